"""post_transfer: the one function that moves money.

Within the caller's transaction it locks the accounts in id order (no deadlocks between two
transfers), checks the rules, writes the transfer, its postings and the new balances and chain
heads. Four statements whatever the number of legs; nothing is written if any check fails.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from wallet_api.errors import InsufficientFunds, InvalidAmount, NotFound
from wallet_api.ledger.hashing import posting_hash, transfer_hash
from wallet_api.ledger.models import Account, Posting, Transfer
from wallet_api.types import utcnow

# Far above any real amount, far below 2**63: a sum of many legs can never overflow BIGINT.
MAX_LEG_FEN = 10**15


@dataclass(frozen=True)
class Leg:
    account_id: int
    amount: int  # signed fen: + credits the account, - debits it


@dataclass(frozen=True)
class PostedTransfer:
    id: int
    ref: str
    hash: str
    created_at: Any
    balances: dict[int, int]  # account id -> balance after


class LedgerError(InvalidAmount):
    """A transfer that could never be valid (a programming error surfaced as a 422)."""


def _check_legs(legs: Sequence[Leg]) -> None:
    if len(legs) < 2:
        raise LedgerError("A transfer needs at least two postings.")
    if len({leg.account_id for leg in legs}) != len(legs):
        raise LedgerError("A transfer may touch each account once.")
    for leg in legs:
        if type(leg.amount) is not int or leg.amount == 0 or abs(leg.amount) > MAX_LEG_FEN:
            raise LedgerError(f"Posting amount {leg.amount!r} is not a non-zero whole number of fen.")
    if sum(leg.amount for leg in legs) != 0:
        raise LedgerError("Postings do not balance.")


# Core statements on the tables (not ORM units of work): the hot path stays four round trips.
_accounts, _transfers, _postings = Account.__table__, Transfer.__table__, Posting.__table__
_LOCK = (
    select(_accounts.c.id, _accounts.c.balance, _accounts.c.allow_negative, _accounts.c.head_seq,
           _accounts.c.head_hash, _accounts.c.currency)
    .where(_accounts.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(_accounts.c.id)
    .with_for_update()
)
_INSERT_TRANSFER = insert(_transfers).returning(_transfers.c.id)
_INSERT_POSTINGS = insert(_postings)
_UPDATE_ACCOUNT = (
    update(_accounts)
    .where(_accounts.c.id == bindparam("b_id"))
    .values(balance=bindparam("b_balance"), head_seq=bindparam("b_seq"), head_hash=bindparam("b_hash"))
)


def post_transfer(session: Session, *, kind: str, legs: Sequence[Leg], memo: str = "",
                  details: dict[str, Any] | None = None, actor_user_id: int | None = None) -> PostedTransfer:
    _check_legs(legs)
    details = details or {}
    ids = sorted(leg.account_id for leg in legs)
    # Straight to the Connection: the ORM session's execution layer costs more than the SQL here.
    conn = session.connection()
    rows = {row.id: row for row in conn.execute(_LOCK, {"ids": ids})}
    if len(rows) != len(ids):
        missing = sorted(set(ids) - set(rows))
        raise NotFound(f"Unknown account(s): {missing}.")
    if len({row.currency for row in rows.values()}) != 1:
        raise LedgerError("All postings of a transfer must be in one currency.")

    for leg in legs:
        row = rows[leg.account_id]
        if row.balance + leg.amount < 0 and not row.allow_negative:
            raise InsufficientFunds(
                "The balance is too low for this payment. Top up or pay a smaller amount.",
                account_id=leg.account_id, balance_fen=row.balance, needed_fen=-leg.amount)

    ref = uuid.uuid4().hex
    created_at = utcnow()
    t_hash = transfer_hash(ref=ref, kind=kind, memo=memo, details=details, actor_user_id=actor_user_id,
                           created_at=created_at, postings=[(leg.account_id, leg.amount) for leg in legs])
    transfer_id = conn.execute(_INSERT_TRANSFER, {
        "ref": ref, "kind": kind, "memo": memo, "details": details, "actor_user_id": actor_user_id,
        "created_at": created_at, "hash": t_hash,
    }).scalar_one()

    postings, updates, balances = [], [], {}
    for leg in sorted(legs, key=lambda leg: leg.account_id):
        row = rows[leg.account_id]
        seq, after = row.head_seq + 1, row.balance + leg.amount
        p_hash = posting_hash(prev_hash=row.head_hash, account_id=leg.account_id, account_seq=seq,
                              amount=leg.amount, balance_after=after, transfer_hash=t_hash)
        postings.append({"transfer_id": transfer_id, "account_id": leg.account_id, "amount": leg.amount,
                         "account_seq": seq, "balance_after": after, "prev_hash": row.head_hash,
                         "hash": p_hash})
        updates.append({"b_id": leg.account_id, "b_balance": after, "b_seq": seq, "b_hash": p_hash})
        balances[leg.account_id] = after
    conn.execute(_INSERT_POSTINGS, postings)
    conn.execute(_UPDATE_ACCOUNT, updates)
    return PostedTransfer(id=transfer_id, ref=ref, hash=t_hash, created_at=created_at, balances=balances)
