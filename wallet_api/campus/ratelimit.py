"""Token buckets that limit wrong payment codes per till (terminal) and per merchant.

Only failed verifications (a wrong, expired or replayed code) take a token; a till whose bucket
is empty is refused before the code is even looked at, so a till cannot keep guessing. The
merchant-wide bucket stops a merchant from multiplying its budget by inventing terminal names.

The buckets are rows locked with SELECT ... FOR UPDATE inside the verification transaction:
the limit holds across restarts and across any number of worker processes.
See docs/campus.md for the brute-force arithmetic these numbers give.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from wallet_api.campus.models import CampusRateBucket

MILLI = 1000  # tokens are kept in thousandths so refills need no floating point in the database


@dataclass(frozen=True)
class BucketPolicy:
    capacity: int       # the largest burst
    per_minute: int     # the steady rate it refills at


TERMINAL = BucketPolicy(capacity=5, per_minute=5)
MERCHANT = BucketPolicy(capacity=20, per_minute=10)


@dataclass
class _Bucket:
    row: CampusRateBucket
    policy: BucketPolicy


class TillBuckets:
    """The buckets that govern one till: its own and its merchant's, locked for this transaction."""

    def __init__(self, session: Session, merchant_id: int, terminal_id: str, now: datetime) -> None:
        self._buckets = [_load(session, f"terminal:{merchant_id}:{terminal_id}", TERMINAL, now),
                         _load(session, f"merchant:{merchant_id}", MERCHANT, now)]

    def retry_after(self) -> int | None:
        """Seconds until every bucket holds a whole token again, or None if they all do now."""
        waits = [math.ceil((MILLI - b.row.milli_tokens) * 60 / (b.policy.per_minute * MILLI))
                 for b in self._buckets if b.row.milli_tokens < MILLI]
        return max(waits) if waits else None

    def spend(self) -> None:
        for b in self._buckets:
            b.row.milli_tokens -= MILLI


def _load(session: Session, key: str, policy: BucketPolicy, now: datetime) -> _Bucket:
    full = policy.capacity * MILLI
    row = session.get(CampusRateBucket, key, with_for_update=True)
    if row is None:
        # A race to create the same bucket ends in an IntegrityError; the caller retries.
        row = CampusRateBucket(key=key, milli_tokens=full, updated_at=now)
        session.add(row)
        session.flush()
    elif now > row.updated_at:
        elapsed = (now - row.updated_at).total_seconds()
        row.milli_tokens = min(full, row.milli_tokens + int(elapsed * policy.per_minute * MILLI / 60))
        row.updated_at = now
    return _Bucket(row, policy)
