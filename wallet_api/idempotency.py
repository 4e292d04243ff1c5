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
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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
    return _claim_and_run(db, scope, key, request_hash, action, status_code)


_records = IdempotencyRecord.__table__
_INSERT = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}


def _claim(session: Session, scope: str, key: str, request_hash: str) -> int | None:
    """Insert the key's record; its id, or None when the key is already taken. A concurrent duplicate waits
    here on the unique index (PostgreSQL; SQLite has one writer at a time) until the first request's
    transaction ends: None if it committed, a fresh claim if it rolled back."""
    insert = _INSERT[session.get_bind().dialect.name](_records)
    return session.scalar(insert.values(scope=scope, key=key, request_hash=request_hash, created_at=utcnow())
                          .on_conflict_do_nothing(index_elements=["scope", "key"]).returning(_records.c.id))


def _claim_and_run(db: sessionmaker[Session], scope: str, key: str, request_hash: str,
                   action: Callable[[Session], BaseModel], status_code: int) -> Outcome:
    # The claim and the answer go through Core (no unit of work for a row the request never reads back).
    with db() as session, session.begin():
        record_id = _claim(session, scope, key, request_hash)
        if record_id is None:  # answered before (or just now by a concurrent duplicate): replay that answer
            stored = _stored(session, scope, key, request_hash)
            if stored is None:  # cannot happen while records are kept; never run the action twice for it
                raise IdempotencyMismatch("This Idempotency-Key is in use by another request; retry in a moment.")
            return stored
        result = action(session)
        # A reply model may name its own status: a payment held for the guardian answers 202, not 201.
        status_code = getattr(type(result), "HTTP_STATUS", status_code)
        body = result.model_dump(mode="json")
        session.execute(update(_records).where(_records.c.id == record_id)
                        .values(status_code=status_code, response=body))
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
