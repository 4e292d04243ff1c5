"""Imports every model so that Base.metadata is complete (Alembic and tests rely on it)."""

from wallet_api.auth.models import AuthSession, Preferences, RefreshToken, SignInBucket, User, UserRole  # noqa: F401
from wallet_api.campus.models import Campus, CampusCard, CampusCharge, CampusCodeUse, CampusDevice  # noqa: F401
from wallet_api.coupons.models import Coupon, CouponCampaign  # noqa: F401  (+ invariant, seeder, refund split)
from wallet_api.family.models import DelegatedAction, FamilyLink, FamilyToken  # noqa: F401
from wallet_api.family_card.models import FamilyCard, FamilyCardUse  # noqa: F401  (+ invariant, seeder)
from wallet_api.funding.models import BankCard, FundingOperation, SandboxBankOperation  # noqa: F401
from wallet_api.guardian.models import Guardianship, PendingPayment  # noqa: F401  (+ invariant, seeder)
from wallet_api.ledger.models import Account, IdempotencyRecord, JournalCheckpoint, Posting, Transfer  # noqa: F401
from wallet_api.merchants.models import Merchant  # noqa: F401
from wallet_api.notifications.models import Notification  # noqa: F401
from wallet_api.payments.models import Payment, Refund  # noqa: F401
from wallet_api.prepaid.models import PrepaidCard, PrepaidMerchant  # noqa: F401  (+ its invariant, demo seeder)

import wallet_api.family.demo  # noqa: E402,F401  (registers the family demo seeder)
