"""Payments move money only through the ledger; this module decides who, how much and why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wallet_api import schemas
from wallet_api.auth.models import User
from wallet_api.db import transaction_cache
from wallet_api.errors import (Forbidden, InsufficientFunds, InvalidAmount, MerchantNotFound, NotFound,
                               PayeeNotFound, RefundExceedsPayment, SelfPayment, ValidationFailed)
from wallet_api.family.models import DelegatedAction
from wallet_api.ledger import Account, Leg, Posting, Transfer, post_transfer
from wallet_api.ledger.accounts import wallet_code
from wallet_api.ledger.posting import posted_in_this_transaction
from wallet_api.merchants.models import Merchant
from wallet_api.notifications.service import message, notify, send_all
from wallet_api.payments.models import Payment, Refund
from wallet_api.schemas import NotificationCategory as Cat


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}" if fen >= 0 else "-" + yuan(-fen)


def wallet_account_id(session: Session, user_id: int) -> int:
    known = transaction_cache(session, "wallet_ids")  # an account's id never changes: one read per transaction
    if user_id not in known:
        account_id = session.scalar(select(Account.id).where(Account.code == wallet_code(user_id)))
        if account_id is None:
            raise NotFound("This user has no wallet.")
        known[user_id] = account_id
    return known[user_id]


def _require_positive(amount: int) -> None:
    # The API's schema already insists on this; callers inside the server (demo seeding, tools) do not go
    # through it, and a negative amount would reverse the legs (a "refund" of -5 takes 5 from the customer).
    if type(amount) is not int or amount <= 0:
        raise InvalidAmount("Amounts are whole numbers of fen greater than 0.")


def wallet_balance(session: Session, user_id: int) -> int:
    row = session.execute(select(Account.id, Account.balance).where(Account.code == wallet_code(user_id))).first()
    if row is None:
        return None
    transaction_cache(session, "wallet_ids")[user_id] = row.id  # the payment that follows needs no second read
    return row.balance


def check_merchant_payable(payer: User, merchant: Merchant) -> None:
    if merchant.status != "active":
        raise MerchantNotFound(f"{merchant.name} is not taking payments now.")
    if merchant.owner_user_id == payer.id:
        raise SelfPayment("You cannot pay your own shop.")


def pay_merchant(session: Session, payer: User, merchant: Merchant, amount: int, memo: str = "",
                 actor_user_id: int | None = None, funding_account_id: int | None = None,
                 details: dict[str, Any] | None = None) -> Payment:
    """`funding_account_id`: where the money comes from when not the payer's wallet (a family card's giver,
    a payment the guardian held); `details` adds to the transfer's journal details."""
    _require_positive(amount)
    check_merchant_payable(payer, merchant)
    source = funding_account_id or wallet_account_id(session, payer.id)
    transfer = post_transfer(
        session, kind="payment", memo=memo, actor_user_id=actor_user_id,
        legs=[Leg(source, -amount), Leg(merchant.settlement_account_id, amount)],
        details={"from": payer.display_name, "to": merchant.local_name or merchant.name, "merchant_id": merchant.id,
                 **(details or {})})
    payment = Payment(kind="merchant", payer_user_id=payer.id, merchant_id=merchant.id, amount=amount, memo=memo,
                      transfer_id=transfer.id, actor_user_id=actor_user_id, created_at=transfer.created_at)
    session.add(payment)
    send_all(session, [
        message(payer.id, Cat.TRANSACTIONAL, "notice.payment_sent",
                f"You paid {merchant.name} {yuan(amount)} CNY.", amount_fen=amount, payee=merchant.name),
        message(merchant.owner_user_id, Cat.TRANSACTIONAL, "notice.payment_received",
                f"{merchant.name} received {yuan(amount)} CNY from {payer.display_name}.", amount_fen=amount,
                payer=payer.display_name)])
    session.flush()
    return payment


def find_payee(session: Session, payer: User, payee_username: str) -> User:
    payee = session.scalar(select(User).where(User.username == payee_username))
    if payee is None:
        raise PayeeNotFound(f"There is no user {payee_username!r}. Check the name and try again.")
    if payee.id == payer.id:
        raise SelfPayment("You cannot send money to yourself.")
    return payee


def pay_person(session: Session, payer: User, payee_username: str, amount: int, memo: str = "",
               actor_user_id: int | None = None, funding_account_id: int | None = None) -> Payment:
    _require_positive(amount)
    payee = find_payee(session, payer, payee_username)
    transfer = post_transfer(
        session, kind="p2p", memo=memo, actor_user_id=actor_user_id,
        legs=[Leg(funding_account_id or wallet_account_id(session, payer.id), -amount),
              Leg(wallet_account_id(session, payee.id), amount)],
        details={"from": payer.display_name, "to": payee.display_name})
    payment = Payment(kind="p2p", payer_user_id=payer.id, payee_user_id=payee.id, amount=amount, memo=memo,
                      transfer_id=transfer.id, actor_user_id=actor_user_id, created_at=transfer.created_at)
    session.add(payment)
    notify(session, payer.id, Cat.TRANSACTIONAL, "notice.transfer_sent",
           f"You sent {yuan(amount)} CNY to {payee.display_name}.", amount_fen=amount, payee=payee.display_name)
    notify(session, payee.id, Cat.TRANSACTIONAL, "notice.transfer_received",
           f"{payer.display_name} sent you {yuan(amount)} CNY.", amount_fen=amount, payer=payer.display_name)
    session.flush()
    return payment


# A domain whose payments are paid for by more than the payer's wallet (a city coupon's subsidy) registers how a
# refund goes back to each source: split(session, payment, amount) -> the crediting legs, or None if not its own.
RefundSplit = Callable[[Session, Payment, int], list[Leg] | None]
REFUND_SPLITS: list[RefundSplit] = []


@dataclass(frozen=True)
class RefundTarget:
    """Where a refund of the payer's own share goes. The payer's wallet, unless a domain paid that share from
    another account (a family card: the giver's wallet); that domain then records and announces the refund."""

    account_id: int
    refunded: Callable[[int], None] | None = None  # told how many fen came back; None: notify the payer


# target(session, payment) -> RefundTarget, or None if the payment is not the domain's own.
REFUND_TARGETS: list[Callable[[Session, Payment], RefundTarget | None]] = []


def refund_target(session: Session, payment: Payment) -> RefundTarget:
    return next((t for target in REFUND_TARGETS if (t := target(session, payment)) is not None),
                RefundTarget(wallet_account_id(session, payment.payer_user_id)))


def refund(session: Session, merchant_owner: User, payment_id: int, amount: int, reason: str = "") -> Refund:
    _require_positive(amount)
    # Business row first, ledger accounts last (inside post_transfer): one lock order everywhere.
    payment = session.get(Payment, payment_id, with_for_update=True)
    if payment is None or payment.kind != "merchant":
        raise NotFound(f"There is no merchant payment {payment_id}.")
    merchant = session.get(Merchant, payment.merchant_id)
    if merchant.owner_user_id != merchant_owner.id:
        raise Forbidden("Only the merchant who was paid can refund this payment.")
    left = payment.amount - payment.refunded_amount
    if amount > left:
        raise RefundExceedsPayment(f"At most {yuan(left)} CNY of this payment can still be refunded.",
                                   refundable_fen=left)
    target = refund_target(session, payment)
    credits = next((legs for split in REFUND_SPLITS if (legs := split(session, payment, amount)) is not None),
                   [Leg(target.account_id, amount)])
    to_payer = sum(leg.amount for leg in credits if leg.account_id == target.account_id)
    try:
        transfer = post_transfer(
            session, kind="refund", memo=reason,
            legs=[Leg(merchant.settlement_account_id, -amount), *credits],
            details={"from": merchant.local_name or merchant.name, "to": "customer", "payment_id": payment.id})
    except InsufficientFunds:
        raise InsufficientFunds("The shop's settlement balance is too low to refund this now.") from None
    payment.refunded_amount += amount
    row = Refund(payment_id=payment.id, amount=amount, reason=reason, transfer_id=transfer.id,
                 created_at=transfer.created_at)
    session.add(row)
    if target.refunded is not None:
        target.refunded(to_payer)
    else:
        notify(session, payment.payer_user_id, Cat.TRANSACTIONAL, "notice.refund_received",
               f"{merchant.name} refunded you {yuan(to_payer)} CNY.", amount_fen=to_payer, payee=merchant.name)
    session.flush()
    return row


# A domain that involves someone else in a payment lets them see its receipt (a family card: its giver).
PAYMENT_VIEWERS: list[Callable[[Session, User, Payment], bool]] = []


def can_see_payment(session: Session, user: User, payment: Payment) -> bool:
    if user.id in (payment.payer_user_id, payment.payee_user_id):
        return True
    if any(viewer(session, user, payment) for viewer in PAYMENT_VIEWERS):
        return True
    if payment.merchant_id is not None:
        return session.scalar(select(Merchant.owner_user_id).where(Merchant.id == payment.merchant_id)) == user.id
    return False


def receipt(session: Session, payment: Payment) -> schemas.Receipt:
    # A payment just made: the transfer as this transaction posted it, not read back.
    transfer = posted_in_this_transaction(session, payment.transfer_id) or session.get(Transfer, payment.transfer_id)
    payer = session.get(User, payment.payer_user_id)
    if payment.merchant_id is not None:
        merchant = session.get(Merchant, payment.merchant_id)
        payee = merchant.local_name or merchant.name
    else:
        payee = session.get(User, payment.payee_user_id).display_name
    # A payment nothing was refunded from has no refund rows: a fresh receipt needs no query for them.
    refunds = session.scalars(select(Refund).where(Refund.payment_id == payment.id).order_by(Refund.id)) \
        if payment.refunded_amount else []
    return schemas.Receipt(
        id=payment.id, kind=payment.kind, amount_fen=payment.amount, refunded_fen=payment.refunded_amount,
        payer=payer.display_name, payee=payee, merchant_id=payment.merchant_id, memo=payment.memo,
        transfer_id=payment.transfer_id, journal_hash=transfer.hash, created_at=payment.created_at,
        refunds=[refund_out(r) for r in refunds], coupon_id=(transfer.details or {}).get("coupon_id"),
        subsidy_fen=(transfer.details or {}).get("subsidy_fen", 0),
        family_card_id=(transfer.details or {}).get("family_card_id"), done_by=_done_by(session, payment))


def _done_by(session: Session, payment: Payment) -> str | None:
    """The relative who made this payment for the payer (family/acting.py records it), as history names them.
    Only a payment someone else made has an actor: one's own payments cost no query."""
    if payment.actor_user_id is None or payment.actor_user_id == payment.payer_user_id:
        return None
    return session.scalar(select(User.display_name).join(DelegatedAction, DelegatedAction.actor_user_id == User.id)
                          .where(DelegatedAction.transfer_id == payment.transfer_id,
                                 DelegatedAction.subject_user_id == payment.payer_user_id).limit(1))


def refund_out(r: Refund) -> schemas.RefundOut:
    return schemas.RefundOut(id=r.id, payment_id=r.payment_id, amount_fen=r.amount, reason=r.reason,
                             transfer_id=r.transfer_id, created_at=r.created_at)


def history(session: Session, user_id: int, *, limit: int = 50, cursor: int | None = None, kind: str | None = None,
            direction: str | None = None, since: datetime | None = None,
            until: datetime | None = None) -> schemas.HistoryPage:
    """The wallet's postings, newest first, keyset-paginated by posting id."""
    if since and until and since > until:
        raise ValidationFailed("'since' is after 'until'. Swap them and try again.")
    account_id = wallet_account_id(session, user_id)
    # A refund's history line points at the payment it refunds.
    payment_id = func.coalesce(Payment.id, Refund.payment_id).label("payment_id")
    # What a relative did for this user carries their name (family/acting.py records it).
    done_by = (select(User.display_name).join(DelegatedAction, DelegatedAction.actor_user_id == User.id)
               .where(DelegatedAction.transfer_id == Transfer.id, DelegatedAction.subject_user_id == user_id)
               .limit(1).scalar_subquery().label("done_by"))
    stmt = (select(Posting, Transfer, payment_id, done_by)
            .join(Transfer, Transfer.id == Posting.transfer_id)
            .outerjoin(Payment, Payment.transfer_id == Transfer.id)
            .outerjoin(Refund, Refund.transfer_id == Transfer.id)
            .where(Posting.account_id == account_id))
    if cursor is not None:
        stmt = stmt.where(Posting.id < cursor)
    if kind:
        stmt = stmt.where(Transfer.kind == kind)
    if direction == "in":
        stmt = stmt.where(Posting.amount > 0)
    elif direction == "out":
        stmt = stmt.where(Posting.amount < 0)
    if since:
        stmt = stmt.where(Transfer.created_at >= since)
    if until:
        stmt = stmt.where(Transfer.created_at < until)
    rows = session.execute(stmt.order_by(Posting.id.desc()).limit(limit + 1)).all()
    items = [schemas.HistoryItem(
        posting_id=p.id, transfer_id=t.id, kind=t.kind, amount_fen=p.amount, balance_after_fen=p.balance_after,
        memo=t.memo, counterparty=(t.details or {}).get("to" if p.amount < 0 else "from"), payment_id=payment_id,
        actor_user_id=t.actor_user_id, created_at=t.created_at, done_by=done_by)
        for p, t, payment_id, done_by in rows[:limit]]
    return schemas.HistoryPage(items=items, next_cursor=items[-1].posting_id if len(rows) > limit else None)
