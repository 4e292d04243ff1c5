"""First-come claims: the flash-crowd hot path.

One short transaction, no row shared by every claim:
1. the per-person counter: an upsert that increments (campaign, person) only while under the cap;
2. one unit from a random shard of the pool (coupons.stock);
3. the coupon row.
A refusal at any step rolls back the others. "Person" is the national-ID hash, so one natural
person counts once across all their accounts; claiming therefore needs real-name verification.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from wallet_api.auth.models import User
from wallet_api.coupons import campaigns, stock
from wallet_api.coupons.errors import (BudgetExhausted, CampaignNotOpen, CapReached, RealNameRequired, SoldOut,
                                       WrongClaimMode)
from wallet_api.coupons.models import Coupon, CouponBatch, CouponCampaign, CouponHolder
from wallet_api.schemas import coupons as wire
from wallet_api.types import utcnow


class ReleaseDue(Exception):
    """A batch is due: release it in its own transaction (campaigns.release_if_due), then claim again."""


def person_key(user: User) -> str:
    if not user.real_name_verified or not user.national_id_hash:
        raise RealNameRequired("City coupons are for real-name verified residents (one person, one share). "
                               "Verify your real name under Me → Real name, then claim again.")
    return user.national_id_hash


_holders = CouponHolder.__table__


def count_for_person(session: Session, campaign: CouponCampaign, person: str, *, enforce_cap: bool = True) -> None:
    """Count one more coupon for this person, or refuse at the cap: one upsert, atomic on both databases.
    (A lottery draw does not enforce it: registration already did, and a draw must not half-fail.)"""
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(_holders)
    stmt = (insert.values(campaign_id=campaign.id, person_key=person, claimed=1)
            .on_conflict_do_update(index_elements=[_holders.c.campaign_id, _holders.c.person_key],
                                   set_={"claimed": _holders.c.claimed + 1},
                                   where=_holders.c.claimed < campaign.per_person_cap if enforce_cap else None)
            .returning(_holders.c.claimed))
    if session.execute(stmt).first() is None:
        raise CapReached(f"You already have {campaign.per_person_cap} coupon(s) from this campaign, the most one "
                         "person may take (all your accounts together).", cap=campaign.per_person_cap)


def issue(session: Session, campaign: CouponCampaign, user_id: int, person: str, now: datetime, *,
          source: str, batch_seq: int | None = None) -> Coupon:
    coupon = Coupon(campaign_id=campaign.id, user_id=user_id, person_key=person, source=source, batch_seq=batch_seq,
                    status="claimed", claimed_at=now, expires_at=now + timedelta(days=campaign.validity_days),
                    recycled=False)
    session.add(coupon)
    session.flush()
    return coupon


def claim(session: Session, campaign_id: int, user: User,
          now: datetime | None = None) -> tuple[Coupon, CouponCampaign]:
    now = now or utcnow()
    campaign = campaigns.get_campaign(session, campaign_id)
    if campaign.claim_mode != wire.ClaimMode.FIRST_COME:
        raise WrongClaimMode("This campaign hands out coupons by lottery: register for the draw instead.")
    if campaign.ends_at is not None and now >= campaign.ends_at:
        raise CampaignNotOpen("This campaign has ended.")
    if campaign.next_release_at is not None and campaign.next_release_at <= now:
        raise ReleaseDue()
    person = person_key(user)
    count_for_person(session, campaign, person)
    if not stock.take_one(session, campaign.id):
        raise _empty(session, campaign, now)
    return issue(session, campaign, user.id, person, now, source="claim"), campaign


def _empty(session: Session, campaign: CouponCampaign, now: datetime) -> Exception:
    rows = session.execute(select(CouponBatch.release_at, CouponBatch.quantity, CouponBatch.released_quantity)
                           .where(CouponBatch.campaign_id == campaign.id).order_by(CouponBatch.seq)).all()
    if not rows or rows[0].release_at > now:
        return CampaignNotOpen(f"Claiming opens at {rows[0].release_at:%Y-%m-%d %H:%M} UTC.",
                               opens_at=rows[0].release_at.isoformat())
    if any(r.release_at <= now and r.released_quantity < r.quantity for r in rows):
        return BudgetExhausted("The city's subsidy for this campaign is used up for now, so no more coupons can "
                               "be claimed. Try again later or look at other campaigns.")
    later = next((r.release_at for r in rows if r.release_at > now), None)
    if later is not None:
        return SoldOut(f"All coupons of this release are taken. The next release is at {later:%Y-%m-%d %H:%M} UTC.",
                       next_release_at=later.isoformat())
    return SoldOut("All coupons of this campaign are taken.")


def coupon_out(coupon: Coupon, campaign: CouponCampaign) -> wire.CouponOut:
    return wire.CouponOut(id=coupon.id, campaign_id=campaign.id, campaign_name=campaign.name,
                          shape=campaigns.shape_of(campaign), threshold_fen=campaign.threshold_fen,
                          value_fen=campaign.value_fen, categories=campaign.categories, region=campaign.region,
                          source=coupon.source, status=coupon.status, claimed_at=coupon.claimed_at,
                          expires_at=coupon.expires_at, redeemed_at=coupon.redeemed_at)


def my_coupons(session: Session, user_id: int, status: str | None = None,
               now: datetime | None = None) -> list[wire.CouponOut]:
    """The resident's coupons, soonest expiry first; one past its expiry shows as expired even before a sweep."""
    now = now or utcnow()
    stmt = (select(Coupon, CouponCampaign).join(CouponCampaign, CouponCampaign.id == Coupon.campaign_id)
            .where(Coupon.user_id == user_id)
            .order_by(Coupon.expires_at, Coupon.id))
    out = []
    for coupon, campaign in session.execute(stmt):
        item = coupon_out(coupon, campaign)
        if item.status == "claimed" and coupon.expires_at <= now:
            item.status = "expired"
        if status is None or item.status == status:
            out.append(item)
    return out
