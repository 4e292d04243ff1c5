"""`anxin audit verify` checks for coupons: nothing over-issued, every held coupon paid for in advance,
per-person caps held, and the subsidy account's balance explained by fundings and redemptions."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wallet_api.audit import invariant
from wallet_api.coupons import campaigns as campaign_rules
from wallet_api.coupons import stock
from wallet_api.coupons.models import Coupon, CouponBatch, CouponCampaign, CouponHolder, CouponRedemption
from wallet_api.ledger import Account
from wallet_api.ledger.verify import Finding


@invariant("coupons")
def coupons_are_backed_and_capped(session: Session) -> list[Finding]:
    findings: list[Finding] = []
    for campaign in session.scalars(select(CouponCampaign).order_by(CouponCampaign.id)):
        where = f"coupon campaign {campaign.id}"
        released = session.scalar(select(func.coalesce(func.sum(CouponBatch.released_quantity), 0))
                                  .where(CouponBatch.campaign_id == campaign.id))
        held = campaign_rules.held_count(session, campaign.id)
        pooled = stock.remaining(session, campaign.id)
        if released != campaign.released_units or held + pooled != released or released > campaign.total_quantity:
            findings.append(Finding(where, f"units do not add up: released {released} (campaign says "
                                           f"{campaign.released_units}, total {campaign.total_quantity}), "
                                           f"held {held} + in the pool {pooled}"))
        free = campaign_rules.free_subsidy_fen(session, campaign)
        if free < 0:
            findings.append(Finding(where, f"coupons held or in the pool are not paid for: {-free} fen short"))
        balance = session.scalar(select(Account.balance).where(Account.id == campaign.subsidy_account_id))
        paid = session.scalar(select(func.coalesce(func.sum(CouponRedemption.subsidy_fen
                                                            - CouponRedemption.subsidy_refunded_fen), 0))
                              .where(CouponRedemption.campaign_id == campaign.id))
        if balance != campaign.funded_fen - paid:
            findings.append(Finding(where, f"subsidy balance {balance} is not funded {campaign.funded_fen} minus "
                                           f"subsidy paid {paid}"))
        if campaign.funded_fen > campaign.subsidy_budget_fen:
            findings.append(Finding(where, f"funded {campaign.funded_fen} beyond the budget "
                                           f"{campaign.subsidy_budget_fen}"))
        taken = dict(session.execute(select(Coupon.person_key, func.count()).where(Coupon.campaign_id == campaign.id)
                                     .group_by(Coupon.person_key)).all())
        counted = dict(session.execute(select(CouponHolder.person_key, CouponHolder.claimed)
                                       .where(CouponHolder.campaign_id == campaign.id)).all())
        if taken != counted:
            findings.append(Finding(where, "per-person counters do not match the coupons held"))
        over = [n for n in taken.values() if n > campaign.per_person_cap]
        if over:
            findings.append(Finding(where, f"{len(over)} person(s) over the cap of {campaign.per_person_cap}"))
    return findings
