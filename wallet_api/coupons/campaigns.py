"""Campaigns: creation, the money behind them, releases into the pool, expiry and recycling.

Money model (docs/coupons.md): each issuer has a fiscal budget account
`coupon_budget:issuer:{id}` that stands for the city treasury outside the wallet — like
`system:bank_clearing` it may go negative, by exactly what the city has put in. Funding moves
money from it into the campaign's subsidy account `coupon_subsidy:campaign:{id}`, which may
never go negative. A coupon is put into the pool only when the subsidy account can pay it:

    subsidy balance >= value x (units in the pool + coupons held) + subsidy held back by partial refunds

so every coupon anyone holds is paid for in advance, a budget that runs out stops releases (and
with them claims), and a redemption can never overdraw.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from wallet_api.auth.models import User
from wallet_api.coupons import stock
from wallet_api.coupons.errors import BudgetExceeded, CampaignNotFound
from wallet_api.coupons.models import Coupon, CouponBatch, CouponCampaign, CouponRedemption, CouponStock
from wallet_api.db import transaction
from wallet_api.errors import Forbidden
from wallet_api.ledger import Account, Leg, open_account, post_transfer
from wallet_api.schemas import coupons as wire
from wallet_api.types import utcnow

FISCAL_BUDGET = "fiscal_budget"
COUPON_SUBSIDY = "coupon_subsidy"


def budget_code(issuer_user_id: int) -> str:
    return f"coupon_budget:issuer:{issuer_user_id}"


def subsidy_code(campaign_id: int) -> str:
    return f"coupon_subsidy:campaign:{campaign_id}"


def region_covers(campaign_region: str, merchant_region: str) -> bool:
    """A campaign for "weihai" covers "weihai" and its districts "weihai-huancui", "weihai-gaoqu" ..."""
    return merchant_region == campaign_region or merchant_region.startswith(campaign_region + "-")


def _budget_account_id(session: Session, issuer_user_id: int) -> int:
    code = budget_code(issuer_user_id)
    found = session.scalar(select(Account.id).where(Account.code == code))
    if found is not None:
        return found
    try:
        with session.begin_nested():  # two first campaigns of one issuer at once: one opens it
            return open_account(session, code=code, kind=FISCAL_BUDGET, owner_user_id=issuer_user_id,
                                allow_negative=True).id
    except IntegrityError:
        return session.scalar(select(Account.id).where(Account.code == code))


def create_campaign(session: Session, issuer: User, data: wire.CampaignIn) -> CouponCampaign:
    _budget_account_id(session, issuer.id)
    # The subsidy account is opened first (as merchants do) so the campaign never points at nothing.
    account = open_account(session, code=f"coupon_subsidy:pending:{issuer.id}:{utcnow().timestamp()}",
                           kind=COUPON_SUBSIDY, owner_user_id=issuer.id)
    campaign = CouponCampaign(
        issuer_user_id=issuer.id, name=data.name, categories=[str(c) for c in data.categories], region=data.region,
        threshold_fen=data.threshold_fen, value_fen=data.value_fen, total_quantity=data.total_quantity,
        subsidy_budget_fen=data.subsidy_budget_fen, funded_fen=0, claim_mode=str(data.claim_mode),
        per_person_cap=data.per_person_cap, validity_days=data.validity_days, recycle_expired=data.recycle_expired,
        rollover_non_winners=data.rollover_non_winners, shards=stock.shard_count(data.total_quantity),
        subsidy_account_id=account.id, released_units=0, ends_at=data.ends_at, created_at=utcnow(),
        next_release_at=data.batches[0].release_at if data.claim_mode is wire.ClaimMode.FIRST_COME else None)
    session.add(campaign)
    session.flush()
    account.code = subsidy_code(campaign.id)
    session.add_all(CouponBatch(campaign_id=campaign.id, seq=n, release_at=b.release_at, quantity=b.quantity,
                                released_quantity=0) for n, b in enumerate(data.batches, 1))
    stock.create_shards(session, campaign.id, campaign.shards)
    return campaign


def get_campaign(session: Session, campaign_id: int, *, lock: bool = False) -> CouponCampaign:
    # with_for_update=None (not False) lets an unlocked read come from the identity map.
    campaign = session.get(CouponCampaign, campaign_id, with_for_update=True if lock else None,
                           populate_existing=lock)
    if campaign is None:
        raise CampaignNotFound(f"There is no coupon campaign {campaign_id}. Check the list of open campaigns.")
    return campaign


def issuer_campaign(session: Session, issuer: User, campaign_id: int, *, lock: bool = False) -> CouponCampaign:
    campaign = get_campaign(session, campaign_id, lock=lock)
    if campaign.issuer_user_id != issuer.id:
        raise Forbidden("Only the issuer who created this campaign can manage it.")
    return campaign


def batches(session: Session, campaign_id: int) -> list[CouponBatch]:
    return list(session.scalars(select(CouponBatch).where(CouponBatch.campaign_id == campaign_id)
                                .order_by(CouponBatch.seq)))


# ---- the money behind the coupons ---------------------------------------------------------------

def free_subsidy_fen(session: Session, campaign: CouponCampaign) -> int:
    """Subsidy not yet promised to any coupon. One statement, so on PostgreSQL one snapshot: a claim
    or a redemption committing meanwhile moves a unit between the terms, never half-way."""
    balance = select(Account.balance).where(Account.id == campaign.subsidy_account_id).scalar_subquery()
    pooled = (select(func.coalesce(func.sum(CouponStock.remaining), 0))
              .where(CouponStock.campaign_id == campaign.id).scalar_subquery())
    held = (select(func.count()).select_from(Coupon)
            .where(Coupon.campaign_id == campaign.id, Coupon.status == "claimed").scalar_subquery())
    held_back = (select(func.coalesce(func.sum(CouponRedemption.subsidy_refunded_fen), 0))
                 .where(CouponRedemption.campaign_id == campaign.id,
                        CouponRedemption.refunded_fen < CouponRedemption.amount_fen).scalar_subquery())
    row = session.execute(select(balance, pooled, held, held_back)).one()
    return int(row[0]) - campaign.value_fen * (int(row[1]) + int(row[2])) - int(row[3])


def fund(session: Session, issuer: User, campaign_id: int, amount: int,
         now: datetime | None = None) -> wire.CampaignFundingOut:
    """Move city budget into the campaign's subsidy account, then release what it now pays for."""
    campaign = issuer_campaign(session, issuer, campaign_id, lock=True)
    if campaign.funded_fen + amount > campaign.subsidy_budget_fen:
        left = campaign.subsidy_budget_fen - campaign.funded_fen
        raise BudgetExceeded(f"This campaign's budget allows {left} fen more. Fund at most that, or create a "
                             "campaign with a larger budget.", fundable_fen=left)
    # Pool rows before ledger accounts: one lock order everywhere (business rows first).
    released = release_due(session, campaign, now, incoming_fen=amount)
    budget = session.scalar(select(Account.id).where(Account.code == budget_code(campaign.issuer_user_id)))
    transfer = post_transfer(session, kind="coupon_funding", memo=campaign.name[:200], actor_user_id=issuer.id,
                             legs=[Leg(budget, -amount), Leg(campaign.subsidy_account_id, amount)],
                             details={"from": "city budget", "to": f"coupon campaign {campaign.id}",
                                      "campaign_id": campaign.id})
    campaign.funded_fen += amount
    return wire.CampaignFundingOut(campaign_id=campaign.id, amount_fen=amount, funded_fen=campaign.funded_fen,
                                   subsidy_budget_fen=campaign.subsidy_budget_fen,
                                   subsidy_balance_fen=transfer.balances[campaign.subsidy_account_id],
                                   released_now=released, transfer_id=transfer.id)


# ---- releases, expiry, recycling ------------------------------------------------------------------

def release_due(session: Session, campaign: CouponCampaign, now: datetime | None = None, *,
                incoming_fen: int = 0) -> int:
    """Put every due first-come batch into the pool, as far as the subsidy pays for it. The caller
    holds the campaign row locked. Returns the units released. A batch the budget cut short is
    completed by the next funding."""
    now = now or utcnow()
    sweep(session, campaign, now)
    if campaign.claim_mode != wire.ClaimMode.FIRST_COME:
        return 0
    affordable = max(0, (free_subsidy_fen(session, campaign) + incoming_fen) // campaign.value_fen)
    released = 0
    pending = [b for b in batches(session, campaign.id) if b.released_quantity < b.quantity]
    for batch in pending:
        if batch.release_at > now:
            break
        units = min(batch.quantity - batch.released_quantity, affordable - released)
        batch.released_quantity += units
        released += units
    stock.add(session, campaign.id, campaign.shards, released)
    campaign.released_units += released
    # Only a future batch is "next": a batch the budget cut short must not make every claim retry.
    campaign.next_release_at = next((b.release_at for b in pending if b.release_at > now), None)
    return released


def release_if_due(db: sessionmaker[Session], campaign_id: int) -> None:
    """In its own short transaction, so that a claim that is then refused does not undo the release."""
    with transaction(db) as session:
        campaign = get_campaign(session, campaign_id, lock=True)
        if campaign.next_release_at is not None and campaign.next_release_at <= utcnow():
            release_due(session, campaign)


def sweep(session: Session, campaign: CouponCampaign, now: datetime | None = None) -> wire.SweepOut:
    """Mark held coupons past their expiry as expired; return them to the pool if the campaign says so.
    (A coupon past its expiry is refused at payment whether or not it has been swept yet.)"""
    now = now or utcnow()
    result = session.execute(
        update(Coupon).where(Coupon.campaign_id == campaign.id, Coupon.status == "claimed", Coupon.expires_at <= now)
        .values(status="expired", recycled=campaign.recycle_expired).execution_options(synchronize_session=False))
    expired = result.rowcount
    recycled = expired if campaign.recycle_expired else 0
    stock.add(session, campaign.id, campaign.shards, recycled)
    return wire.SweepOut(expired=expired, recycled=recycled)


# ---- what residents see --------------------------------------------------------------------------

def held_count(session: Session, campaign_id: int) -> int:
    """Coupons handed out that still count against the issue (a recycled one gave its unit back)."""
    return int(session.scalar(select(func.count()).select_from(Coupon)
                              .where(Coupon.campaign_id == campaign_id, Coupon.recycled.is_(False))))


def is_open(campaign: CouponCampaign, batch_rows: list[CouponBatch], available: int, now: datetime) -> bool:
    if campaign.ends_at is not None and now >= campaign.ends_at:
        return False
    if campaign.claim_mode == wire.ClaimMode.LOTTERY:
        current = next((b for b in batch_rows if b.drawn_at is None), None)
        return current is not None and current.commitment is not None and now < current.release_at
    started = bool(batch_rows) and batch_rows[0].release_at <= now
    # A batch whose time has come is released by the first claim after it (claims.ReleaseDue).
    release_pending = campaign.next_release_at is not None and campaign.next_release_at <= now
    return started and (available > 0 or release_pending)


def campaign_out(session: Session, campaign: CouponCampaign, now: datetime | None = None) -> wire.CampaignOut:
    now = now or utcnow()
    batch_rows = batches(session, campaign.id)
    available = stock.remaining(session, campaign.id)
    claimed = held_count(session, campaign.id)
    issuer = session.scalar(select(User.display_name).where(User.id == campaign.issuer_user_id))
    return wire.CampaignOut(
        id=campaign.id, name=campaign.name, issuer=issuer, categories=campaign.categories, region=campaign.region,
        shape=shape_of(campaign), threshold_fen=campaign.threshold_fen, value_fen=campaign.value_fen,
        total_quantity=campaign.total_quantity, claim_mode=campaign.claim_mode,
        per_person_cap=campaign.per_person_cap, validity_days=campaign.validity_days,
        recycle_expired=campaign.recycle_expired, rollover_non_winners=campaign.rollover_non_winners,
        ends_at=campaign.ends_at, open=is_open(campaign, batch_rows, available, now),
        released=campaign.released_units, claimed=claimed, available=available,
        progress_percent=min(100, claimed * 100 // campaign.total_quantity),
        batches=[wire.BatchOut(seq=b.seq, release_at=b.release_at, quantity=b.quantity,
                               released_quantity=b.released_quantity, commitment=b.commitment,
                               drawn_at=b.drawn_at, winners_count=b.winners_count) for b in batch_rows])


def shape_of(campaign: CouponCampaign) -> wire.CouponShape:
    return wire.CouponShape.SPEND_X_SAVE_Y if campaign.threshold_fen else wire.CouponShape.NO_THRESHOLD


def browse(session: Session, *, category: str | None = None, open_only: bool = True,
           now: datetime | None = None) -> list[wire.CampaignOut]:
    """Campaigns residents can see, newest first, optionally for one industry."""
    now = now or utcnow()
    stmt = (select(CouponCampaign).where(CouponCampaign.ends_at.is_(None) | (CouponCampaign.ends_at > now))
            .order_by(CouponCampaign.id.desc()))
    out = []
    for campaign in session.scalars(stmt.limit(200)):
        if category is not None and category not in campaign.categories:
            continue
        item = campaign_out(session, campaign, now)
        if item.open or not open_only:
            out.append(item)
    return out
