"""Paying with a coupon, proposing the best one, and refunding such a payment.

A coupon payment of X with a coupon worth Y is ONE balanced transfer:
    resident wallet  -(X - Y)
    campaign subsidy -Y
    merchant          +X
A refund of r (of X) reverses both legs in proportion: the subsidy gets back
floor(refunded_total x Y / X) minus what it already got back, the resident the rest of r, so a
full refund (in one go or several) returns exactly Y to the subsidy and X - Y to the resident.
When the payment has been refunded in full, the coupon comes back to its holder if it is still
valid; past its expiry it is expired instead (and returns to the pool if the campaign recycles).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wallet_api.auth.models import User
from wallet_api.coupons import campaigns, claims, stock
from wallet_api.coupons.errors import (BudgetExhausted, CouponExpired, CouponNotApplicable, CouponNotFound,
                                       CouponUsed, ThresholdNotMet)
from wallet_api.coupons.models import Coupon, CouponCampaign, CouponRedemption
from wallet_api.errors import InsufficientFunds, InvalidAmount, MerchantNotFound, SelfPayment
from wallet_api.ledger import Leg, post_transfer
from wallet_api.merchants.models import Merchant
from wallet_api.notifications.service import notify
from wallet_api.payments import service as payments
from wallet_api.payments.models import Payment
from wallet_api.schemas import NotificationCategory as Cat
from wallet_api.schemas import coupons as wire
from wallet_api.types import utcnow


def refusal(coupon: Coupon, campaign: CouponCampaign, merchant: Merchant, amount: int,
            now: datetime) -> Exception | None:
    """Why this coupon cannot pay part of this payment, or None if it can."""
    if coupon.status == "redeemed":
        return CouponUsed("This coupon has already been used. Pay without it or choose another coupon.")
    if coupon.status == "expired" or coupon.expires_at <= now:
        return CouponExpired(f"This coupon expired on {coupon.expires_at:%Y-%m-%d %H:%M} UTC. Pay without it.")
    if merchant.category not in campaign.categories:
        return CouponNotApplicable(f"This coupon is for {', '.join(campaign.categories)} shops; {merchant.name} "
                                   "is not one. Pay without it.")
    if not campaigns.region_covers(campaign.region, merchant.region):
        return CouponNotApplicable(f"This coupon is valid in {campaign.region} only. Pay without it.")
    if amount < campaign.threshold_fen:
        return ThresholdNotMet(f"This coupon needs a payment of at least {payments.yuan(campaign.threshold_fen)} CNY.",
                               threshold_fen=campaign.threshold_fen)
    if amount <= campaign.value_fen:  # the resident always pays something: a coupon is not cash
        return ThresholdNotMet(f"This coupon needs a payment above its value of {payments.yuan(campaign.value_fen)} "
                               "CNY.", threshold_fen=campaign.value_fen + 1)
    return None


def best(session: Session, user: User, merchant: Merchant, amount: int,
         now: datetime | None = None) -> wire.CouponProposal:
    """The applicable coupon worth most (soonest expiry among equals). One per order."""
    now = now or utcnow()
    rows = session.execute(select(Coupon, CouponCampaign).join(CouponCampaign, CouponCampaign.id == Coupon.campaign_id)
                           .where(Coupon.user_id == user.id, Coupon.status == "claimed", Coupon.expires_at > now))
    usable = [(c, k) for c, k in rows if refusal(c, k, merchant, amount, now) is None]
    usable.sort(key=lambda ck: (-ck[1].value_fen, ck[0].expires_at, ck[0].id))
    if not usable:
        return wire.CouponProposal(merchant_id=merchant.id, amount_fen=amount, coupon=None, subsidy_fen=0,
                                   you_pay_fen=amount, applicable=0)
    coupon, campaign = usable[0]
    return wire.CouponProposal(merchant_id=merchant.id, amount_fen=amount, coupon=claims.coupon_out(coupon, campaign),
                               subsidy_fen=campaign.value_fen, you_pay_fen=amount - campaign.value_fen,
                               applicable=len(usable))


def pay_with_coupon(session: Session, payer: User, merchant: Merchant, amount: int, coupon_id: int, memo: str = "",
                    actor_user_id: int | None = None, now: datetime | None = None,
                    funding_account_id: int | None = None, details: dict | None = None) -> Payment:
    """`funding_account_id` pays the payer's share X - Y from another account (a family card's giver)."""
    now = now or utcnow()
    if type(amount) is not int or amount <= 0:
        raise InvalidAmount("Amounts are whole numbers of fen greater than 0.")
    if merchant.status != "active":
        raise MerchantNotFound(f"{merchant.name} is not taking payments now.")
    if merchant.owner_user_id == payer.id:
        raise SelfPayment("You cannot pay your own shop.")
    # The coupon row first, ledger accounts last (post_transfer): one lock order everywhere.
    coupon = session.get(Coupon, coupon_id, with_for_update=True, populate_existing=True)
    if coupon is None or coupon.user_id != payer.id:
        raise CouponNotFound(f"You have no coupon {coupon_id}. Pay without it or choose one of your coupons.")
    campaign = session.get(CouponCampaign, coupon.campaign_id)
    problem = refusal(coupon, campaign, merchant, amount, now)
    if problem is not None:
        raise problem
    subsidy = campaign.value_fen
    try:
        transfer = post_transfer(
            session, kind="payment", memo=memo, actor_user_id=actor_user_id,
            legs=[Leg(funding_account_id or payments.wallet_account_id(session, payer.id), -(amount - subsidy)),
                  Leg(campaign.subsidy_account_id, -subsidy), Leg(merchant.settlement_account_id, amount)],
            details={"from": payer.display_name, "to": merchant.local_name or merchant.name,
                     "merchant_id": merchant.id, "coupon_id": coupon.id, "campaign_id": campaign.id,
                     "subsidy_fen": subsidy, **(details or {})})
    except InsufficientFunds as exc:
        if exc.extra.get("account_id") == campaign.subsidy_account_id:  # cannot happen while coupons are backed
            raise BudgetExhausted("The city's subsidy for this coupon is used up. Pay without it.") from None
        raise
    payment = Payment(kind="merchant", payer_user_id=payer.id, merchant_id=merchant.id, amount=amount, memo=memo,
                      transfer_id=transfer.id, actor_user_id=actor_user_id, created_at=transfer.created_at)
    session.add(payment)
    session.flush()
    coupon.status, coupon.redeemed_at = "redeemed", now
    session.add(CouponRedemption(coupon_id=coupon.id, campaign_id=campaign.id, payment_id=payment.id,
                                 merchant_id=merchant.id, category=merchant.category, amount_fen=amount,
                                 subsidy_fen=subsidy, refunded_fen=0, subsidy_refunded_fen=0, coupon_returned=False,
                                 created_at=transfer.created_at))
    paid = amount - subsidy
    notify(session, payer.id, Cat.TRANSACTIONAL, "notice.coupon_payment_sent",
           f"You paid {merchant.name} {payments.yuan(paid)} CNY; your coupon paid {payments.yuan(subsidy)} CNY.",
           amount_fen=paid, subsidy_fen=subsidy, payee=merchant.name)
    notify(session, merchant.owner_user_id, Cat.TRANSACTIONAL, "notice.payment_received",
           f"{merchant.name} received {payments.yuan(amount)} CNY from {payer.display_name} "
           f"({payments.yuan(subsidy)} CNY of it from a city coupon).", amount_fen=amount, payer=payer.display_name)
    session.flush()
    return payment


def refund_split(session: Session, payment: Payment, amount: int) -> list[Leg] | None:
    """payments.refund asks this how to credit a refund of `amount`; None for a payment without a coupon.
    Runs in the refund's transaction after the payment row is locked, before the ledger."""
    redemption = session.scalar(select(CouponRedemption).where(CouponRedemption.payment_id == payment.id)
                                .with_for_update())
    if redemption is None:
        return None
    campaign = session.get(CouponCampaign, redemption.campaign_id)
    to_payer, to_subsidy = refund_shares(redemption.amount_fen, redemption.subsidy_fen, redemption.refunded_fen,
                                         redemption.subsidy_refunded_fen, amount)
    redemption.refunded_fen += amount
    redemption.subsidy_refunded_fen += to_subsidy
    legs = [Leg(payments.refund_target(session, payment).account_id, to_payer),
            Leg(campaign.subsidy_account_id, to_subsidy)]
    if redemption.refunded_fen == redemption.amount_fen:
        _give_coupon_back(session, redemption, campaign)
    return [leg for leg in legs if leg.amount]


def refund_shares(amount: int, subsidy: int, refunded_before: int, subsidy_back_before: int,
                  refund: int) -> tuple[int, int]:
    """(to the resident, to the subsidy) for a refund of `refund` fen of a payment of `amount` of which the
    subsidy paid `subsidy`. Cumulative, so rounding never drifts: after a full refund the subsidy has got
    back exactly `subsidy` and the resident exactly `amount - subsidy`."""
    to_subsidy = (refunded_before + refund) * subsidy // amount - subsidy_back_before
    return refund - to_subsidy, to_subsidy


def _give_coupon_back(session: Session, redemption: CouponRedemption, campaign: CouponCampaign) -> None:
    coupon = session.get(Coupon, redemption.coupon_id, with_for_update=True, populate_existing=True)
    if coupon.expires_at > utcnow():
        coupon.status, coupon.redeemed_at = "claimed", None
        redemption.coupon_returned = True
        return
    coupon.status, coupon.recycled = "expired", campaign.recycle_expired
    if campaign.recycle_expired:
        stock.add(session, campaign.id, campaign.shards, 1)


payments.REFUND_SPLITS.append(refund_split)


def merchant_subsidy(session: Session, merchant: Merchant) -> wire.MerchantSubsidyOut:
    rows = list(session.scalars(select(CouponRedemption).where(CouponRedemption.merchant_id == merchant.id)
                                .order_by(CouponRedemption.id.desc())))
    return wire.MerchantSubsidyOut(
        merchant_id=merchant.id, coupon_payments=len(rows),
        subsidy_received_fen=sum(r.subsidy_fen - r.subsidy_refunded_fen for r in rows),
        lines=[wire.SubsidyLine(payment_id=r.payment_id, campaign_id=r.campaign_id, amount_fen=r.amount_fen,
                                subsidy_fen=r.subsidy_fen, refunded_fen=r.refunded_fen,
                                subsidy_refunded_fen=r.subsidy_refunded_fen, created_at=r.created_at)
               for r in rows[:200]])
