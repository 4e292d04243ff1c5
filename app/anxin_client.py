"""Every endpoint the app uses, in one typed client: the foundation's, campus, prepaid cards, coupons, family."""

from __future__ import annotations

from app.campus_client import CampusClient
from app.coupon_client import CouponClient
from app.family_client import FamilyClient
from app.prepaid_client import PrepaidClient


class AnxinClient(CampusClient, PrepaidClient, CouponClient, FamilyClient):
    """One sign-in, one token store, one retry policy for all of them (they are all WalletClients)."""
