"""Lottery rounds in the database: commitment, registration, the draw, the published record.

A round is a batch of a lottery campaign; its `release_at` is when registration closes. The rules:
- registration for a round opens only once the issuer has published its commitment (so the seed
  is fixed before anyone registers) and goes to the earliest round not yet drawn;
- one entry per natural person per round; a person at the per-person cap cannot register;
- the draw (after registration closes) reveals the seed, puts the round's quantity into the pool
  as far as the subsidy pays for it, and gives the winners their coupons (lottery.winners);
- non-winners roll into the next round, keeping their ticket, when the campaign says so.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wallet_api.auth.models import User
from wallet_api.coupons import campaigns, claims, lottery, stock
from wallet_api.coupons.errors import (AlreadyDrawn, CampaignNotOpen, CapReached, CommitmentExists,
                                       CommitmentMismatch, CommitmentRequired, DrawNotDue, RegistrationClosed,
                                       WrongClaimMode)
from wallet_api.coupons.models import CouponBatch, CouponCampaign, CouponHolder, CouponRegistration
from wallet_api.errors import NotFound
from wallet_api.notifications.service import notify
from wallet_api.schemas import NotificationCategory as Cat
from wallet_api.schemas import coupons as wire
from wallet_api.types import utcnow


def _round(session: Session, campaign_id: int, round_no: int, *, lock: bool = False,
           shared: bool = False) -> CouponBatch:
    stmt = select(CouponBatch).where(CouponBatch.campaign_id == campaign_id, CouponBatch.seq == round_no)
    if lock or shared:
        stmt = stmt.with_for_update(read=shared and not lock).execution_options(populate_existing=True)
    batch = session.scalar(stmt)
    if batch is None:
        raise NotFound(f"Campaign {campaign_id} has no round {round_no}.")
    return batch


def _lottery(campaign: CouponCampaign) -> None:
    if campaign.claim_mode != wire.ClaimMode.LOTTERY:
        raise WrongClaimMode("This campaign is first come, first served: claim a coupon directly.")


def _current_round(session: Session, campaign_id: int) -> CouponBatch | None:
    return session.scalar(select(CouponBatch).where(CouponBatch.campaign_id == campaign_id,
                                                    CouponBatch.drawn_at.is_(None)).order_by(CouponBatch.seq).limit(1))


def publish_commitment(session: Session, issuer: User, campaign_id: int, round_no: int, commitment: str,
                       now: datetime | None = None) -> wire.DrawRecord:
    now = now or utcnow()
    campaign = campaigns.issuer_campaign(session, issuer, campaign_id, lock=True)
    _lottery(campaign)
    batch = _round(session, campaign_id, round_no, lock=True)
    if batch.commitment is not None:
        raise CommitmentExists("This round's commitment is already published and cannot change.")
    if now >= batch.release_at:
        raise RegistrationClosed("Registration for this round has closed: a commitment must come before that.")
    batch.commitment, batch.committed_at = commitment.lower(), now
    return draw_record(session, campaign_id, round_no, now)


def register(session: Session, campaign_id: int, user: User, now: datetime | None = None) -> CouponRegistration:
    now = now or utcnow()
    campaign = campaigns.get_campaign(session, campaign_id)
    _lottery(campaign)
    if campaign.ends_at is not None and now >= campaign.ends_at:
        raise CampaignNotOpen("This campaign has ended.")
    person = claims.person_key(user)
    current = _current_round(session, campaign_id)
    if current is None:
        raise CampaignNotOpen("Every round of this lottery has been drawn.")
    # Shared lock: registrations do not wait for each other, but the draw waits for them (and they for it).
    current = _round(session, campaign_id, current.seq, shared=True)
    if current.drawn_at is not None:
        raise RegistrationClosed("This round has just been drawn. Register again for the next one.")
    if current.commitment is None:
        raise CommitmentRequired("Registration opens when the city publishes this round's draw commitment. "
                                 "Check again later.")
    if now >= current.release_at:
        raise RegistrationClosed("Registration for this round has closed; the draw follows. Check the result on "
                                 "this campaign's page.")
    existing = _registration(session, campaign_id, current.seq, person)
    if existing is not None:
        return existing
    held = session.scalar(select(CouponHolder.claimed).where(CouponHolder.campaign_id == campaign_id,
                                                             CouponHolder.person_key == person)) or 0
    if held >= campaign.per_person_cap:
        raise CapReached(f"You already have {campaign.per_person_cap} coupon(s) from this campaign, the most one "
                         "person may take.", cap=campaign.per_person_cap)
    earlier = session.scalar(select(CouponRegistration.ticket).where(CouponRegistration.campaign_id == campaign_id,
                                                                     CouponRegistration.person_key == person)
                             .order_by(CouponRegistration.id.desc()).limit(1))
    row = CouponRegistration(campaign_id=campaign_id, round=current.seq, person_key=person, user_id=user.id,
                             ticket=earlier or secrets.token_hex(8), status="registered", created_at=now)
    try:
        with session.begin_nested():  # the same person from two accounts at once: one entry
            session.add(row)
    except IntegrityError:
        found = _registration(session, campaign_id, current.seq, person)
        if found is None:  # a ticket collision (2^-64): let the client retry
            raise
        return found
    return row


def _registration(session: Session, campaign_id: int, round_no: int, person: str) -> CouponRegistration | None:
    return session.scalar(select(CouponRegistration).where(CouponRegistration.campaign_id == campaign_id,
                                                           CouponRegistration.round == round_no,
                                                           CouponRegistration.person_key == person))


def registration_out(row: CouponRegistration) -> wire.RegistrationOut:
    return wire.RegistrationOut(campaign_id=row.campaign_id, round=row.round, ticket=row.ticket, status=row.status,
                                coupon_id=row.coupon_id, created_at=row.created_at)


def my_registrations(session: Session, campaign_id: int, user: User) -> list[wire.RegistrationOut]:
    who = CouponRegistration.user_id == user.id
    if user.national_id_hash:
        who = who | (CouponRegistration.person_key == user.national_id_hash)
    rows = session.scalars(select(CouponRegistration).where(CouponRegistration.campaign_id == campaign_id, who)
                           .order_by(CouponRegistration.round))
    return [registration_out(r) for r in rows]


def draw(session: Session, issuer: User, campaign_id: int, round_no: int, seed: str,
         now: datetime | None = None) -> wire.DrawRecord:
    now = now or utcnow()
    seed = seed.strip().lower()
    campaign = campaigns.issuer_campaign(session, issuer, campaign_id, lock=True)
    _lottery(campaign)
    batch = _round(session, campaign_id, round_no, lock=True)
    if batch.drawn_at is not None:
        if batch.seed == seed:  # a retry of the same draw
            return draw_record(session, campaign_id, round_no, now)
        raise AlreadyDrawn("This round has already been drawn; its result is final.")
    current = _current_round(session, campaign_id)
    if current is not None and current.seq != round_no:
        raise DrawNotDue(f"Draw round {current.seq} first: rounds are drawn in order.")
    if batch.commitment is None:
        raise CommitmentRequired("This round has no published commitment, so it cannot be drawn verifiably.")
    if now < batch.release_at:
        raise DrawNotDue(f"Registration is open until {batch.release_at:%Y-%m-%d %H:%M} UTC; draw after that.",
                         registration_closes_at=batch.release_at.isoformat())
    if lottery.commitment_of(seed) != batch.commitment:
        raise CommitmentMismatch("This seed does not match the commitment published for this round. Reveal the "
                                 "seed whose SHA-256 was published.")

    campaigns.sweep(session, campaign, now)  # expired coupons back into the pool first, if the campaign says so
    affordable = max(0, campaigns.free_subsidy_fen(session, campaign) // campaign.value_fen)
    released = min(batch.quantity, affordable)
    stock.add(session, campaign.id, campaign.shards, released)
    batch.released_quantity = released
    campaign.released_units += released

    entries = list(session.scalars(select(CouponRegistration).where(CouponRegistration.campaign_id == campaign_id,
                                                                    CouponRegistration.round == round_no)
                                   .order_by(CouponRegistration.ticket)))
    tickets = [e.ticket for e in entries]
    pool = stock.remaining(session, campaign.id)  # this round's release, leftovers and recycled coupons
    k = min(pool, len(tickets))
    won = set(lottery.winners(seed, tickets, k))
    if stock.take_many(session, campaign.id, k) != k:  # cannot happen: the campaign row is locked
        raise RuntimeError("the lottery pool changed during the draw")
    next_round = session.scalar(select(CouponBatch.seq).where(CouponBatch.campaign_id == campaign_id,
                                                              CouponBatch.seq > round_no)
                                .order_by(CouponBatch.seq).limit(1))
    for entry in entries:
        if entry.ticket in won:
            claims.count_for_person(session, campaign, entry.person_key, enforce_cap=False)
            coupon = claims.issue(session, campaign, entry.user_id, entry.person_key, now, source="lottery",
                                  batch_seq=round_no)
            entry.status, entry.coupon_id = "won", coupon.id
            notify(session, entry.user_id, Cat.TRANSACTIONAL, "notice.coupon_won",
                   f"You won a coupon in the draw of {campaign.name}. Use it within {campaign.validity_days} days.",
                   campaign=campaign.name, coupon_id=coupon.id)
        elif campaign.rollover_non_winners and next_round is not None:
            entry.status = "rolled_over"
            session.add(CouponRegistration(campaign_id=campaign_id, round=next_round, person_key=entry.person_key,
                                           user_id=entry.user_id, ticket=entry.ticket, status="registered",
                                           created_at=now))
            notify(session, entry.user_id, Cat.TRANSACTIONAL, "notice.coupon_rolled_over",
                   f"You were not drawn this time in {campaign.name}; you are entered in round {next_round}.",
                   campaign=campaign.name, round=next_round)
        else:
            entry.status = "lost"
            notify(session, entry.user_id, Cat.TRANSACTIONAL, "notice.coupon_not_won",
                   f"You were not drawn in {campaign.name}.", campaign=campaign.name)
    batch.seed, batch.drawn_at = seed, now
    batch.registrants_hash, batch.registrant_count = lottery.registrants_hash(tickets), len(tickets)
    batch.pool_at_draw, batch.winners_count = pool, k
    session.flush()
    return draw_record(session, campaign_id, round_no, now)


def draw_record(session: Session, campaign_id: int, round_no: int, now: datetime | None = None) -> wire.DrawRecord:
    """The public record of a round. The registrant list appears once registration has closed (it can no
    longer change), the seed and winners once the round is drawn."""
    now = now or utcnow()
    campaign = campaigns.get_campaign(session, campaign_id)
    _lottery(campaign)
    batch = _round(session, campaign_id, round_no)
    tickets = hash_ = winners = None
    if batch.drawn_at is not None or now >= batch.release_at:
        tickets = list(session.scalars(select(CouponRegistration.ticket)
                                       .where(CouponRegistration.campaign_id == campaign_id,
                                              CouponRegistration.round == round_no)
                                       .order_by(CouponRegistration.ticket)))
        hash_ = batch.registrants_hash or lottery.registrants_hash(tickets)
    if batch.drawn_at is not None:
        won = session.scalars(select(CouponRegistration.ticket).where(CouponRegistration.campaign_id == campaign_id,
                                                                      CouponRegistration.round == round_no,
                                                                      CouponRegistration.status == "won"))
        winners = sorted(won, key=lambda t: (lottery.rank(batch.seed, t), t))
    quantity = batch.pool_at_draw if batch.pool_at_draw is not None else batch.quantity
    return wire.DrawRecord(campaign_id=campaign_id, round=round_no, quantity=quantity,
                           commitment=batch.commitment, committed_at=batch.committed_at,
                           registration_closes_at=batch.release_at, registrants=tickets, registrants_hash=hash_,
                           seed=batch.seed, winners_count=batch.winners_count, winners=winners)
