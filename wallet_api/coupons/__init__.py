"""City consumption coupons (docs/coupons.md): campaigns funded from a city budget, flash-crowd
claims from a sharded pool, verifiable lotteries, and coupon payments whose subsidy is one leg
of the payment's single balanced transfer.

Importing the package registers its audit invariant, its demo seeder and its refund split.
"""

from wallet_api.coupons import audit, demo, redemption  # noqa: F401
