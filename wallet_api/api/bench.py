"""The benchmark's baseline: the same server stack doing the least a request can do — one insert.

Mounted only when ANXIN_BENCH_ENDPOINTS=1 (tests/bench/bench_http_payments.py sets it); never by
default, so a production server does not have it. It writes a row that is not money (an
idempotency record under the scope "bench"), through the same session, pool and worker as a payment.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from wallet_api.api.deps import DbDep
from wallet_api.db import transaction
from wallet_api.ledger.models import IdempotencyRecord
from wallet_api.types import utcnow

router = APIRouter(tags=["benchmark"], include_in_schema=False)


class BareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount_fen: int = Field(default=1, gt=0, le=100_000_000, strict=True)


@router.post("/v1/bench/bare-insert", status_code=201)
def bare_insert(db: DbDep, data: BareIn | None = None) -> dict[str, int]:
    amount = data.amount_fen if data else 1  # a coupon claim has no body; its baseline has none either
    with transaction(db) as s:
        record = IdempotencyRecord(scope="bench", key=uuid.uuid4().hex, request_hash="0" * 64, status_code=201,
                                   response={"amount_fen": amount}, created_at=utcnow())
        s.add(record)
        s.flush()
        return {"id": record.id, "amount_fen": amount}
