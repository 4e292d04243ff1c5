"""Family cards ("pay for me", docs/family-card-and-guardian.md): a relative lets an elder's shop payments draw
on the relative's wallet, up to a monthly cap.

Modules: models (tables), service (every operation, paying, refunds to the giver), invariants (`anxin audit
verify`), demo (seed data). Importing the package registers the invariant, the refund target and the seeder.
"""

from wallet_api.family_card import demo, invariants  # noqa: F401  (registration side effects)
