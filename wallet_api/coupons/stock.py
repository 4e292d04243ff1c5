"""The pool of unclaimed coupons, pre-split into shard rows.

A claim takes one unit with a conditional decrement of one shard, so a flash crowd spreads its
row locks over many rows instead of queueing behind one counter. On PostgreSQL the shard is
picked at random among those nobody holds right now (FOR UPDATE SKIP LOCKED); SQLite serialises
writers anyway (BEGIN IMMEDIATE), so there the same statement simply takes a random shard.
"""

from __future__ import annotations

import random

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from wallet_api.coupons.models import CouponStock

MAX_SHARDS = 32


def shard_count(total_quantity: int) -> int:
    """Enough shards that concurrent claims rarely meet on one row; never more than units."""
    return max(1, min(MAX_SHARDS, total_quantity // 16))


def create_shards(session: Session, campaign_id: int, shards: int) -> None:
    session.add_all(CouponStock(campaign_id=campaign_id, shard=s, remaining=0) for s in range(shards))
    session.flush()


_stock = CouponStock.__table__
# One statement: pick a random non-empty shard that no other transaction holds, and take one unit.
_pick_free = (select(_stock.c.id)
              .where(_stock.c.campaign_id == bindparam("c"), _stock.c.remaining > 0)
              .order_by(func.random()).limit(1)
              .with_for_update(skip_locked=True)
              .scalar_subquery())
_TAKE_ANY = (update(_stock).where(_stock.c.id == _pick_free, _stock.c.remaining > 0)
             .values(remaining=_stock.c.remaining - 1).returning(_stock.c.shard))
# Fallback when every non-empty shard is momentarily held: wait for one (the holder commits quickly).
_TAKE_THIS = (update(_stock).where(_stock.c.id == bindparam("sid"), _stock.c.remaining > 0)
              .values(remaining=_stock.c.remaining - 1).returning(_stock.c.shard))
_ADD = (update(_stock).where(_stock.c.campaign_id == bindparam("c"), _stock.c.shard == bindparam("s"))
        .values(remaining=_stock.c.remaining + bindparam("n")))


def take_one(session: Session, campaign_id: int) -> bool:
    """Take one unit from the pool; False when the pool is empty."""
    if session.execute(_TAKE_ANY, {"c": campaign_id}).first() is not None:
        return True
    candidates = list(session.scalars(select(_stock.c.id).where(_stock.c.campaign_id == campaign_id,
                                                                _stock.c.remaining > 0)))
    random.shuffle(candidates)
    return any(session.execute(_TAKE_THIS, {"sid": sid}).first() is not None for sid in candidates)


def add(session: Session, campaign_id: int, shards: int, units: int) -> None:
    """Spread `units` over the shards (released batches, recycled coupons)."""
    if units <= 0:
        return
    base, extra = divmod(units, shards)
    start = random.randrange(shards)
    rows = [{"c": campaign_id, "s": s, "n": base + (1 if (s - start) % shards < extra else 0)}
            for s in range(shards)]
    session.execute(_ADD, [r for r in rows if r["n"]])


def take_many(session: Session, campaign_id: int, units: int) -> int:
    """Take up to `units` at once (a lottery draw, under the campaign lock); returns how many were taken."""
    taken = 0
    rows = session.execute(select(_stock.c.id, _stock.c.remaining)
                           .where(_stock.c.campaign_id == campaign_id, _stock.c.remaining > 0)
                           .order_by(_stock.c.id).with_for_update()).all()
    for row in rows:
        if taken == units:
            break
        n = min(row.remaining, units - taken)
        session.execute(update(_stock).where(_stock.c.id == row.id).values(remaining=_stock.c.remaining - n))
        taken += n
    return taken


def remaining(session: Session, campaign_id: int) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(_stock.c.remaining), 0))
                              .where(_stock.c.campaign_id == campaign_id)))
