"""Exactly-once for money-moving requests.

The key is claimed (a row inserted) at the start of the same transaction that moves the money,
and the answer stored in it before commit. A retry finds the stored answer and replays it; a
concurrent duplicate blocks on the unique index until the first commits, then replays. A
request that fails rolls back its claim with everything else, so it can simply be retried.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from wallet_api.errors import IdempotencyKeyMissing, IdempotencyMismatch
from wallet_api.ledger.hashing import canonical, sha256_hex
from wallet_api.ledger.models import IdempotencyRecord
from wallet_api.types import utcnow

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")


@dataclass(frozen=True)
class Outcome:
    status_code: int
    body: dict[str, Any]
    replayed: bool


def require_key(key: str | None) -> str:
    if key is None or not KEY_PATTERN.match(key):
        raise IdempotencyKeyMissing(
            "Send an Idempotency-Key header (8–128 letters, digits, '-', '_', '.', ':') chosen once per payment "
            "and reused for its retries.")
    return key


def run_once(db: sessionmaker[Session], *, scope: str, key: str | None, request: dict[str, Any],
             action: Callable[[Session], BaseModel], status_code: int = 201,
             guard: Callable[[], None] | None = None) -> Outcome:
    """Run `action` once per key. `guard` (e.g. the PIN check) runs only when there is no stored
    answer to replay: a retry of a payment that already happened needs no second PIN."""
    key = require_key(key)
    request_hash = sha256_hex(canonical(request))
    if guard is not None:
        with db() as session, session.begin():
            stored = _stored(session, scope, key, request_hash)
        if stored is not None:
            return stored
        guard()
    for _attempt in range(3):
        try:
            return _claim_and_run(db, scope, key, request_hash, action, status_code)
        except _LostRace:
            continue  # a concurrent duplicate committed first: read its answer
    raise IdempotencyMismatch("This Idempotency-Key is in use by a request that keeps failing; use a new key.")


class _LostRace(Exception):
    pass


def _claim_and_run(db: sessionmaker[Session], scope: str, key: str, request_hash: str,
                   action: Callable[[Session], BaseModel], status_code: int) -> Outcome:
    with db() as session, session.begin():
        stored = _stored(session, scope, key, request_hash)
        if stored is not None:
            return stored
        record = IdempotencyRecord(scope=scope, key=key, request_hash=request_hash, created_at=utcnow())
        session.add(record)
        try:
            session.flush()
        except IntegrityError:
            raise _LostRace from None
        result = action(session)
        # A reply model may name its own status: a payment held for the guardian answers 202, not 201.
        status_code = getattr(type(result), "HTTP_STATUS", status_code)
        body = result.model_dump(mode="json")
        record.status_code, record.response = status_code, body
        return Outcome(status_code, body, replayed=False)


def _stored(session: Session, scope: str, key: str, request_hash: str) -> Outcome | None:
    record = session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.scope == scope,
                                                            IdempotencyRecord.key == key))
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise IdempotencyMismatch("This Idempotency-Key was already used for a different request. "
                                  "Use a new key for a new payment.")
    return Outcome(record.status_code, record.response, replayed=True)
