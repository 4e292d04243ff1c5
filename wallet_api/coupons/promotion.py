"""Telling residents about a campaign is promotion: it goes out as MARKETING, which the notification
service drops for everyone who has not allowed marketing. The coupon screen itself is always there."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from wallet_api.auth.models import Preferences, UserRole
from wallet_api.coupons.models import CouponCampaign
from wallet_api.notifications.service import notify
from wallet_api.payments.service import yuan
from wallet_api.schemas import NotificationCategory as Cat
from wallet_api.schemas import coupons as wire


def announce(session: Session, campaign: CouponCampaign) -> wire.AnnounceOut:
    residents = session.execute(select(UserRole.user_id, Preferences.marketing_allowed)
                                .join(Preferences, Preferences.user_id == UserRole.user_id)
                                .where(UserRole.role == "consumer").order_by(UserRole.user_id)).all()
    text = (f"{campaign.name}: city coupons worth {yuan(campaign.value_fen)} CNY for "
            f"{', '.join(campaign.categories)}. Open Coupons to claim yours.")
    delivered = 0
    for user_id, allowed in residents:
        if allowed and notify(session, user_id, Cat.MARKETING, "notice.coupon_campaign", text,
                              campaign_id=campaign.id, campaign=campaign.name) is not None:
            delivered += 1
    return wire.AnnounceOut(delivered=delivered, suppressed=len(residents) - delivered)
