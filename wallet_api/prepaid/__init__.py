"""Prepaid cards with escrow (docs/prepaid.md): money prepaid to a shop waits in escrow at the custodian
and is released to the shop only as it is consumed; refunded to holders if the shop defaults.

Modules: models (tables), policy (the rules and the escrow arithmetic), service (every operation),
alerts (warning rules), views (read models), invariants (`anxin audit verify`), demo (seed data).
Importing the package registers the audit invariant and the demo seeder.
"""

from wallet_api.prepaid import demo, invariants  # noqa: F401  (registration side effects)
