"""The issuer's live statistics, per campaign and per industry.

- released: coupons put into the pool by batches (recycled ones are counted under `recycled`);
- claimed: coupons handed out, by claim or by lottery (a recycled coupon can be handed out again);
- redeemed: coupon payments not refunded in full;
- expired: coupons past their expiry unused (swept or not yet);
- subsidy paid and spending driven: net of refunds. Spending driven counts the whole order value X
  (the resident's X - Y and the city's Y), as cities report it; driven_per_yuan = spending / subsidy.
A coupon belongs to an industry only once it is spent, so the industry lines hold redemptions only.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from wallet_api.auth.models import User
from wallet_api.coupons.models import Coupon, CouponCampaign, CouponRedemption
from wallet_api.ledger import Account
from wallet_api.schemas import coupons as wire
from wallet_api.types import utcnow


def _ratio(spending: int, subsidy: int) -> float | None:
    return round(spending / subsidy, 2) if subsidy else None


def _industry_lines(rows) -> tuple[list[wire.IndustryStats], tuple[int, int, int]]:
    by: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for category, redeemed, subsidy, spending in rows:
        line = by[category]
        line[0] += int(redeemed)
        line[1] += int(subsidy)
        line[2] += int(spending)
    lines = [wire.IndustryStats(category=c, redeemed=r, subsidy_paid_fen=s, spending_driven_fen=d,
                                driven_per_yuan=_ratio(d, s)) for c, (r, s, d) in sorted(by.items())]
    totals = (sum(v[0] for v in by.values()), sum(v[1] for v in by.values()), sum(v[2] for v in by.values()))
    return lines, totals


def _redemptions_by_campaign_and_industry(session: Session, campaign_ids: list[int]):
    net = CouponRedemption.refunded_fen < CouponRedemption.amount_fen
    return session.execute(
        select(CouponRedemption.campaign_id, CouponRedemption.category,
               func.sum(case((net, 1), else_=0)),
               func.sum(CouponRedemption.subsidy_fen - CouponRedemption.subsidy_refunded_fen),
               func.sum(CouponRedemption.amount_fen - CouponRedemption.refunded_fen))
        .where(CouponRedemption.campaign_id.in_(campaign_ids))
        .group_by(CouponRedemption.campaign_id, CouponRedemption.category)).all()


def issuer_stats(session: Session, issuer: User, campaign_id: int | None = None,
                 now: datetime | None = None) -> wire.IssuerStats:
    now = now or utcnow()
    stmt = select(CouponCampaign).where(CouponCampaign.issuer_user_id == issuer.id).order_by(CouponCampaign.id)
    if campaign_id is not None:
        stmt = stmt.where(CouponCampaign.id == campaign_id)
    chosen = list(session.scalars(stmt))
    ids = [c.id for c in chosen]
    expired_now = (Coupon.status == "expired") | ((Coupon.status == "claimed") & (Coupon.expires_at <= now))
    counts = {row[0]: row[1:] for row in session.execute(
        select(Coupon.campaign_id, func.count(), func.sum(case((expired_now, 1), else_=0)),
               func.sum(case((Coupon.recycled, 1), else_=0)))
        .where(Coupon.campaign_id.in_(ids)).group_by(Coupon.campaign_id))}
    balances = dict(session.execute(select(Account.id, Account.balance)
                                    .where(Account.id.in_([c.subsidy_account_id for c in chosen]))).all())
    redemptions = _redemptions_by_campaign_and_industry(session, ids)

    out = []
    for campaign in chosen:
        claimed, expired, recycled = (int(v or 0) for v in counts.get(campaign.id, (0, 0, 0)))
        lines, (redeemed, subsidy, spending) = _industry_lines(r[1:] for r in redemptions if r[0] == campaign.id)
        out.append(wire.CampaignStats(
            campaign_id=campaign.id, name=campaign.name, total_quantity=campaign.total_quantity,
            released=campaign.released_units, claimed=claimed, expired=expired, recycled=recycled,
            redeemed=redeemed, subsidy_paid_fen=subsidy, spending_driven_fen=spending,
            driven_per_yuan=_ratio(spending, subsidy), subsidy_budget_fen=campaign.subsidy_budget_fen,
            funded_fen=campaign.funded_fen, subsidy_balance_fen=balances.get(campaign.subsidy_account_id, 0),
            by_industry=lines))
    lines, (redeemed, subsidy, spending) = _industry_lines(r[1:] for r in redemptions)
    return wire.IssuerStats(campaigns=out, by_industry=lines,
                            total=wire.StatsLine(redeemed=redeemed, subsidy_paid_fen=subsidy,
                                                 spending_driven_fen=spending,
                                                 driven_per_yuan=_ratio(spending, subsidy)))
