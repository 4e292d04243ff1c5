"""Top-ups and withdrawals: a bank call between two short transactions, safe to retry.

Top-up:     record the operation -> bank debit -> credit the wallet (bank_clearing -> wallet).
Withdrawal: hold the money (wallet -> in_flight) -> bank credit -> settle the hold
            (in_flight -> bank_clearing), or release it back to the wallet if the bank declines.
A timeout leaves the operation `unknown` with the money where it was; retrying with the same
Idempotency-Key asks the bank again under the same request key, and the bank answers once.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from wallet_api import schemas
from wallet_api.auth.models import User
from wallet_api.db import transaction
from wallet_api.errors import BankDeclined, BankTimeout, IdempotencyMismatch, NotFound, ValidationFailed
from wallet_api.funding.bank import BankGateway, BankResult, BankTimeoutError, CardRejected
from wallet_api.funding.models import BankCard, FundingOperation
from wallet_api.idempotency import require_key
from wallet_api.ledger import Leg, post_transfer
from wallet_api.ledger.accounts import SystemAccount, account_by_code
from wallet_api.notifications.service import notify
from wallet_api.payments.service import wallet_account_id, wallet_balance, yuan
from wallet_api.schemas import NotificationCategory as Cat
from wallet_api.types import utcnow


def link_card(session: Session, gateway: BankGateway, user: User, data: schemas.BankCardIn) -> BankCard:
    try:
        linked = gateway.link_card(data.card_number, data.holder_name)
    except CardRejected as exc:
        raise ValidationFailed(str(exc)) from None
    card = BankCard(user_id=user.id, bank_name=linked.bank_name, last4=linked.last4, holder_name=data.holder_name,
                    gateway_token=linked.token, status="active", created_at=utcnow())
    session.add(card)
    session.flush()
    return card


def owned_card(session: Session, user_id: int, card_id: int) -> BankCard:
    card = session.get(BankCard, card_id)
    if card is None or card.user_id != user_id or card.status != "active":
        raise NotFound(f"You have no linked bank card {card_id}. Link the card first.")
    return card


def funding_out(session: Session, op: FundingOperation) -> schemas.FundingOut:
    return schemas.FundingOut(id=op.id, kind=op.kind, amount_fen=op.amount, status=op.status,
                              transfer_id=op.transfer_id, balance_fen=wallet_balance(session, op.user_id))


def _declined() -> BankDeclined:
    return BankDeclined("Your bank declined this. No money moved. Try another card or ask your bank.")


def _begin(db: sessionmaker[Session], user: User, kind: str, data: schemas.FundingIn, key: str,
           hold: bool) -> tuple[int, str, schemas.FundingOut | None]:
    """Find or create the operation for this key. Returns (op id, card token, finished answer or None)."""
    for _attempt in range(2):
        try:
            with transaction(db) as session:
                op = session.scalar(select(FundingOperation).where(FundingOperation.user_id == user.id,
                                                                   FundingOperation.idempotency_key == key))
                if op is not None:
                    if (op.kind, op.bank_card_id, op.amount) != (kind, data.bank_card_id, data.amount_fen):
                        raise IdempotencyMismatch("This Idempotency-Key was already used for a different "
                                                  "request. Use a new key for a new top-up or withdrawal.")
                    if op.status == "declined":
                        raise _declined()
                    # Finished on the card it began with, even if that card was removed since: the bank
                    # may already have acted, and only a retry under the same key can settle it.
                    card = session.get(BankCard, op.bank_card_id)
                    return op.id, card.gateway_token, funding_out(session, op) if op.status == "completed" else None
                card = owned_card(session, user.id, data.bank_card_id)
                now = utcnow()
                op = FundingOperation(user_id=user.id, bank_card_id=card.id, kind=kind, amount=data.amount_fen,
                                      idempotency_key=key, status="pending", created_at=now, updated_at=now)
                session.add(op)
                session.flush()
                if hold:
                    transfer = post_transfer(session, kind="withdrawal_hold", actor_user_id=user.id, legs=[
                        Leg(wallet_account_id(session, user.id), -data.amount_fen),
                        Leg(account_by_code(session, SystemAccount.WITHDRAWALS_IN_FLIGHT).id, data.amount_fen)],
                        details={"from": user.display_name, "to": f"{card.bank_name} ••{card.last4}"})
                    op.transfer_id = transfer.id
                return op.id, card.gateway_token, None
        except IntegrityError:
            continue  # the same key raced in from another request: read what it recorded
    raise IdempotencyMismatch("This Idempotency-Key is in use by another request; retry in a moment.")


def _call_bank(db: sessionmaker[Session], op_id: int, call) -> BankResult:
    try:
        return call()
    except BankTimeoutError:
        with transaction(db) as session:
            op = session.get(FundingOperation, op_id, with_for_update=True)
            if op.status == "pending":
                op.status, op.updated_at = "unknown", utcnow()
        raise BankTimeout("Your bank did not answer in time. Nothing has been taken twice: try again and it "
                          "will be settled exactly once.", headers={"Retry-After": "2"}) from None


def top_up(db: sessionmaker[Session], gateway: BankGateway, user: User, data: schemas.FundingIn,
           key: str | None) -> tuple[schemas.FundingOut, bool]:
    """The answer, and whether it is the stored answer of an earlier request with this key (a replay)."""
    key = require_key(key)
    op_id, token, done = _begin(db, user, "top_up", data, key, hold=False)
    if done is not None:
        return done, True
    result = _call_bank(db, op_id, lambda: gateway.debit(token, data.amount_fen, f"funding:{op_id}"))
    with transaction(db) as session:
        op = session.get(FundingOperation, op_id, with_for_update=True)
        if op.status not in ("completed", "declined"):
            op.bank_reference, op.updated_at = result.reference, utcnow()
            if result.outcome == "declined":
                op.status = "declined"
            else:
                transfer = post_transfer(session, kind="top_up", actor_user_id=user.id, legs=[
                    Leg(account_by_code(session, SystemAccount.BANK_CLEARING).id, -op.amount),
                    Leg(wallet_account_id(session, user.id), op.amount)],
                    details={"from": f"{gateway_name(session, op)}", "to": user.display_name})
                op.status, op.transfer_id = "completed", transfer.id
                notify(session, user.id, Cat.TRANSACTIONAL, "notice.top_up",
                       f"{yuan(op.amount)} CNY was added to your wallet.", amount_fen=op.amount)
        answer = funding_out(session, op)
    if answer.status == "declined":
        raise _declined()
    return answer, False


def withdraw(db: sessionmaker[Session], gateway: BankGateway, user: User, data: schemas.FundingIn,
             key: str | None) -> tuple[schemas.FundingOut, bool]:
    """The answer, and whether it is the stored answer of an earlier request with this key (a replay)."""
    key = require_key(key)
    op_id, token, done = _begin(db, user, "withdrawal", data, key, hold=True)
    if done is not None:
        return done, True
    result = _call_bank(db, op_id, lambda: gateway.credit(token, data.amount_fen, f"funding:{op_id}"))
    with transaction(db) as session:
        op = session.get(FundingOperation, op_id, with_for_update=True)
        if op.status not in ("completed", "declined"):
            in_flight = account_by_code(session, SystemAccount.WITHDRAWALS_IN_FLIGHT).id
            # Declined: the hold goes back to the wallet; approved: it leaves for the bank.
            back = wallet_account_id(session, user.id) if result.outcome == "declined" else \
                account_by_code(session, SystemAccount.BANK_CLEARING).id
            transfer = post_transfer(session, kind=f"withdrawal_{result.outcome}", actor_user_id=user.id,
                                     legs=[Leg(in_flight, -op.amount), Leg(back, op.amount)],
                                     details={"from": gateway_name(session, op), "to": user.display_name})
            op.settle_transfer_id, op.bank_reference, op.updated_at = transfer.id, result.reference, utcnow()
            op.status = "declined" if result.outcome == "declined" else "completed"
            if op.status == "completed":
                notify(session, user.id, Cat.TRANSACTIONAL, "notice.withdrawal",
                       f"{yuan(op.amount)} CNY was sent to your bank card.", amount_fen=op.amount)
        answer = funding_out(session, op)
    if answer.status == "declined":
        raise _declined()
    return answer, False


def gateway_name(session: Session, op: FundingOperation) -> str:
    card = session.get(BankCard, op.bank_card_id)
    return f"{card.bank_name} ••{card.last4}"
