"""Balance, history, proofs, bank cards, top-ups and withdrawals."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime
from sqlalchemy import select

from wallet_api import schemas
from wallet_api.api.deps import CurrentActor, CurrentUser, DbDep, GatewayDep, IdempotencyKey, SignerDep
from wallet_api.db import transaction
from wallet_api.errors import NotFound
from wallet_api.family import acting
from wallet_api.funding import service as funding
from wallet_api.funding.models import BankCard
from wallet_api.ledger import Account, Posting
from wallet_api.ledger.proof import transfer_proof
from wallet_api.payments import service as payments

router = APIRouter(tags=["wallet"])


@router.get("/v1/wallet", response_model=schemas.WalletOut)
def wallet(user: CurrentUser, db: DbDep) -> schemas.WalletOut:
    with transaction(db) as s:
        account_id = payments.wallet_account_id(s, user.id)
        return schemas.WalletOut(account_id=account_id, balance_fen=s.get(Account, account_id).balance)


@router.get("/v1/wallet/history", response_model=schemas.HistoryPage)
def history(user: CurrentUser, db: DbDep,
            limit: Annotated[int, Query(ge=1, le=200)] = 50,
            cursor: Annotated[int | None, Query(ge=1, description="next_cursor of the previous page")] = None,
            # Digits too: "p2p" is a kind.
            kind: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z0-9_]+$")] = None,
            direction: Literal["in", "out"] | None = None,
            # With a zone (e.g. "Z" or "+08:00"): a zoneless time is ambiguous and is refused with a 422.
            since: AwareDatetime | None = None, until: AwareDatetime | None = None) -> schemas.HistoryPage:
    with transaction(db) as s:
        return payments.history(s, user.id, limit=limit, cursor=cursor, kind=kind, direction=direction,
                                since=since, until=until)


@router.get("/v1/wallet/transfers/{transfer_id}/proof", response_model=schemas.TransferProof)
def proof(transfer_id: int, user: CurrentUser, db: DbDep, signer: SignerDep) -> schemas.TransferProof:
    """Everything needed to check offline that this transfer is in the signed journal."""
    with transaction(db) as s:
        mine = s.scalar(select(Posting.id).join(Account, Account.id == Posting.account_id)
                        .where(Posting.transfer_id == transfer_id, Account.owner_user_id == user.id).limit(1))
        if mine is None:
            raise NotFound(f"You have no transfer {transfer_id}.")
        return transfer_proof(s, signer, transfer_id)


@router.post("/v1/bank-cards", status_code=201, response_model=schemas.BankCardOut)
def link_card(data: schemas.BankCardIn, actor: CurrentActor, db: DbDep, gateway: GatewayDep) -> schemas.BankCardOut:
    with transaction(db) as s:
        acting.authorize(s, actor, acting.Scope.MANAGE_CARDS)
        card = funding.link_card(s, gateway, actor.subject, data)
        acting.record(s, actor, action="link_card", scope=acting.Scope.MANAGE_CARDS, last4=card.last4,
                      what=f"linked the bank card ending {card.last4}")
        return _card_out(card)


@router.get("/v1/bank-cards", response_model=list[schemas.BankCardOut])
def list_cards(user: CurrentUser, db: DbDep) -> list[schemas.BankCardOut]:
    with transaction(db) as s:
        cards = s.scalars(select(BankCard).where(BankCard.user_id == user.id, BankCard.status == "active")
                          .order_by(BankCard.id))
        return [_card_out(c) for c in cards]


@router.delete("/v1/bank-cards/{card_id}", status_code=204)
def unlink_card(card_id: int, actor: CurrentActor, db: DbDep) -> Response:
    with transaction(db) as s:
        acting.authorize(s, actor, acting.Scope.MANAGE_CARDS)
        card = funding.owned_card(s, actor.subject.id, card_id)
        card.status = "removed"
        acting.record(s, actor, action="unlink_card", scope=acting.Scope.MANAGE_CARDS, last4=card.last4,
                      what=f"removed the bank card ending {card.last4}")
    return Response(status_code=204)


def _card_out(card: BankCard) -> schemas.BankCardOut:
    return schemas.BankCardOut(id=card.id, bank_name=card.bank_name, last4=card.last4,
                               holder_name=card.holder_name, status=card.status)


@router.post("/v1/wallet/top-ups", status_code=201, response_model=schemas.FundingOut)
def top_up(data: schemas.FundingIn, actor: CurrentActor, db: DbDep, gateway: GatewayDep,
           idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """A relative with `top_up` may move money from the elder's own linked card into the elder's wallet;
    it leaves nothing of the elder's, so the payment limits do not count it."""
    out, replayed = funding.top_up(db, gateway, actor.subject, data, idempotency_key)
    if actor.delegated and not replayed and out.status == "completed":
        # The bank call sits between two transactions (funding/service.py), so the record gets its own.
        with transaction(db) as s:
            acting.record(s, actor, action="top_up", scope=acting.Scope.TOP_UP, amount=out.amount_fen,
                          transfer_id=out.transfer_id, what=f"added {acting.yuan(out.amount_fen)} CNY to your wallet")
    return JSONResponse(out.model_dump(mode="json"), status_code=201,
                        headers={"Idempotent-Replayed": "true"} if replayed else {})


@router.post("/v1/wallet/withdrawals", status_code=201, response_model=schemas.FundingOut)
def withdraw(data: schemas.FundingIn, user: CurrentUser, db: DbDep, gateway: GatewayDep,
             idempotency_key: IdempotencyKey = None) -> JSONResponse:
    out, replayed = funding.withdraw(db, gateway, user, data, idempotency_key)
    return JSONResponse(out.model_dump(mode="json"), status_code=201,
                        headers={"Idempotent-Replayed": "true"} if replayed else {})
