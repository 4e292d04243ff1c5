"""Every endpoint the app uses, in one typed client: the foundation's, campus, prepaid cards, coupons, family
(delegation), family cards and the safety guardian."""

from __future__ import annotations

from app.campus_client import CampusClient
from app.coupon_client import CouponClient
from app.family_client import FamilyClient
from app.family_money_client import FamilyMoneyClient
from app.prepaid_client import PrepaidClient


class AnxinClient(CampusClient, PrepaidClient, CouponClient, FamilyClient, FamilyMoneyClient):
    """One sign-in, one token store, one retry policy for all of them (they are all WalletClients)."""
