"""The safety guardian: an elder invites a relative, who accepts; the guardian approves or declines held
payments; the payer sees and revokes waiting payments. Payments are held by POST /v1/payments/*."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from wallet_api.api.deps import ClockDep, CurrentUser, DbDep, IdempotencyKey, reply
from wallet_api.auth.models import User
from wallet_api.db import transaction
from wallet_api.guardian import service
from wallet_api.idempotency import run_once
from wallet_api.schemas import guardian as wire

router = APIRouter(tags=["guardian"])


@router.post("/v1/guardian/invitations", status_code=201, response_model=wire.GuardianshipOut)
def invite(data: wire.GuardianInviteIn, user: CurrentUser, db: DbDep, clock: ClockDep) -> wire.GuardianshipOut:
    with transaction(db) as s:
        row = service.invite(s, s.get(User, user.id), data.guardian_username, data.delay_new_payee_transfers,
                             clock())
        return service.guardianship_out(s, row)


@router.get("/v1/guardian", response_model=wire.GuardianOverview)
def overview(user: CurrentUser, db: DbDep) -> wire.GuardianOverview:
    with transaction(db) as s:
        return service.overview(s, user)


def _answer(gid: int, user: User, db, clock, accept: bool) -> wire.GuardianshipOut:
    with transaction(db) as s:
        return service.guardianship_out(s, service.answer(s, s.get(User, user.id), gid, accept, clock()))


@router.post("/v1/guardian/{gid}/accept", response_model=wire.GuardianshipOut)
def accept(gid: int, user: CurrentUser, db: DbDep, clock: ClockDep) -> wire.GuardianshipOut:
    return _answer(gid, user, db, clock, True)


@router.post("/v1/guardian/{gid}/decline", response_model=wire.GuardianshipOut)
def decline_invitation(gid: int, user: CurrentUser, db: DbDep, clock: ClockDep) -> wire.GuardianshipOut:
    return _answer(gid, user, db, clock, False)


@router.post("/v1/guardian/{gid}/end", response_model=wire.GuardianshipOut)
def end(gid: int, user: CurrentUser, db: DbDep, clock: ClockDep) -> wire.GuardianshipOut:
    with transaction(db) as s:
        return service.guardianship_out(s, service.end(s, s.get(User, user.id), gid, clock()))


def _settle_lazily(db, clock, **where) -> None:
    # Due payments are settled before anyone reads or decides them, in their own transaction, so a refusal
    # that follows ("too late") cannot roll the settlement back.
    with transaction(db) as s:
        service.settle_due(s, clock(), **where)


@router.get("/v1/pending-payments", response_model=list[wire.PendingPaymentOut])
def pending(user: CurrentUser, db: DbDep, clock: ClockDep, role: Literal["payer", "guardian"] = "payer",
            open_only: bool = False) -> list[wire.PendingPaymentOut]:
    """Payments waiting (or once waiting): mine as payer, or those I am asked to approve as guardian."""
    _settle_lazily(db, clock, user_id=user.id)
    with transaction(db) as s:
        return service.pending_list(s, user, role, open_only)


@router.get("/v1/pending-payments/{pid}", response_model=wire.PendingPaymentOut)
def pending_one(pid: int, user: CurrentUser, db: DbDep, clock: ClockDep) -> wire.PendingPaymentOut:
    _settle_lazily(db, clock, pid=pid)
    with transaction(db) as s:
        return service.pending_of(s, user, pid)


def _decide(pid: int, user: User, db, clock, key: str | None, action: str) -> JSONResponse:
    decide = {"approve": service.approve, "decline": service.decline, "revoke": service.revoke}[action]
    _settle_lazily(db, clock, pid=pid)

    def act(s) -> wire.PendingPaymentOut:
        return service.pending_out(s, decide(s, s.get(User, user.id), pid, clock()))

    return reply(run_once(db, scope=f"user:{user.id}", key=key, status_code=200, action=act,
                          request={"route": f"pending_{action}", "pending_payment_id": pid}))


@router.post("/v1/pending-payments/{pid}/approve", response_model=wire.PendingPaymentOut)
def approve(pid: int, user: CurrentUser, db: DbDep, clock: ClockDep,
            idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """The guardian lets a held payment go: it is paid from the hold, exactly once."""
    return _decide(pid, user, db, clock, idempotency_key, "approve")


@router.post("/v1/pending-payments/{pid}/decline", response_model=wire.PendingPaymentOut)
def decline(pid: int, user: CurrentUser, db: DbDep, clock: ClockDep,
            idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """The guardian stops a held payment: the money goes back to the payer's wallet."""
    return _decide(pid, user, db, clock, idempotency_key, "decline")


@router.post("/v1/pending-payments/{pid}/revoke", response_model=wire.PendingPaymentOut)
def revoke(pid: int, user: CurrentUser, db: DbDep, clock: ClockDep,
           idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """The payer takes back a waiting payment (a delayed transfer only before its delay is over)."""
    return _decide(pid, user, db, clock, idempotency_key, "revoke")
