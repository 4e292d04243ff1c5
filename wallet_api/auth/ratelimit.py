"""Token buckets that limit failed sign-ins, per username and per client address.

Only a failed sign-in takes a token; while either bucket is empty, sign-in is refused with 429
`sign_in_rate_limited` and Retry-After before the password is even checked, so guessing stops
(an argon2 hash per guess would also make guessing a way to burn the server's CPU). The username
bucket protects one account from a distributed guesser; the client bucket stops one client from
trying many usernames. Rows locked FOR UPDATE: the limit holds across restarts and workers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from wallet_api.auth.models import SignInBucket
from wallet_api.db import transaction
from wallet_api.errors import SignInRateLimited
from wallet_api.types import utcnow

MILLI = 1000  # thousandths of a token, so refills need no floating point in the database


@dataclass(frozen=True)
class BucketPolicy:
    capacity: int     # failures allowed in a burst
    per_minute: float  # the steady rate the bucket refills at


USERNAME = BucketPolicy(capacity=5, per_minute=1)   # 5 wrong passwords, then one a minute
CLIENT = BucketPolicy(capacity=20, per_minute=10)   # a family behind one address still signs in


def _bucket(session: Session, key: str, policy: BucketPolicy, now: datetime) -> SignInBucket:
    row = session.get(SignInBucket, key, with_for_update=True)
    full = policy.capacity * MILLI
    if row is None:
        row = SignInBucket(key=key, milli_tokens=full, updated_at=now)
        session.add(row)
        session.flush()
    elif now > row.updated_at:
        gained = int((now - row.updated_at).total_seconds() * policy.per_minute * MILLI / 60)
        row.milli_tokens, row.updated_at = min(full, row.milli_tokens + gained), now
    return row


def _keys(username: str, client: str) -> list[tuple[str, BucketPolicy]]:
    return [(f"user:{username}"[:160], USERNAME), (f"client:{client}"[:160], CLIENT)]


def _wait(rows: list[tuple[SignInBucket, BucketPolicy]]) -> int | None:
    waits = [math.ceil((MILLI - row.milli_tokens) * 60 / (policy.per_minute * MILLI))
             for row, policy in rows if row.milli_tokens < MILLI]
    return max(waits) if waits else None


def _refusal(seconds: int) -> SignInRateLimited:
    return SignInRateLimited(f"Too many failed sign-ins. Try again in {seconds} seconds.",
                             retry_after_seconds=seconds, headers={"Retry-After": str(seconds)})


def refuse_if_limited(db: sessionmaker[Session], username: str, client: str) -> None:
    """Raise 429 if this username or this client has no failures left. Reads without writing."""
    with db() as session:
        now = utcnow()
        rows = []
        for key, policy in _keys(username, client):
            row = session.get(SignInBucket, key)
            if row is not None:
                gained = int(max(0.0, (now - row.updated_at).total_seconds()) * policy.per_minute * MILLI / 60)
                rows.append((SignInBucket(key=key, milli_tokens=min(policy.capacity * MILLI,
                                                                    row.milli_tokens + gained)), policy))
        seconds = _wait(rows)
    if seconds is not None:
        raise _refusal(seconds)


def count_failure(db: sessionmaker[Session], username: str, client: str) -> None:
    """Take a token from both buckets, in a transaction of its own that commits (the failure sticks)."""
    for _attempt in range(3):
        try:
            with transaction(db) as session:
                now = utcnow()
                for key, policy in _keys(username, client):
                    _bucket(session, key, policy, now).milli_tokens -= MILLI
            return
        except IntegrityError:
            continue  # two first failures raced to create the same bucket: count again
