"""The safety guardian (docs/family-card-and-guardian.md): an elder's risky payments wait for a consenting
relative's approval, and transfers to new payees wait out a revocable delay.

Modules: models (tables), rules (the pure risk rules), service (every operation), invariants (`anxin audit
verify`), demo (seed data). Importing the package registers the invariant and the demo seeder.
"""

from wallet_api.guardian import demo, invariants  # noqa: F401  (registration side effects)
