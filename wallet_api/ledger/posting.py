"""post_transfer: the one function that moves money.

Within the caller's transaction it locks the accounts in id order (no deadlocks between two
transfers), checks the rules, writes the transfer, its postings and the new balances and chain
heads. Four statements whatever the number of legs; nothing is written if any check fails.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from wallet_api.db import transaction_cache
from wallet_api.errors import InsufficientFunds, InvalidAmount, NotFound
from wallet_api.ledger.hashing import posting_hash, transfer_hash
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
    details: dict[str, Any]


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


class _DriverSql:
    """The four hot-path statements in the driver's own parameter style.

    They run on the DBAPI cursor of the session's connection, inside the session's transaction:
    measured (tests/bench/bench_ledger.py), SQLAlchemy's per-statement execution machinery cost
    more than the SQL itself on SQLite. Everything else in the server goes through SQLAlchemy.
    """

    def __init__(self, dialect: str) -> None:
        p = "?" if dialect == "sqlite" else "%s"
        self.sqlite = dialect == "sqlite"
        self.insert_transfer = ("INSERT INTO transfers (ref, kind, memo, details, actor_user_id, created_at, hash) "
                                f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}) RETURNING id")
        self.insert_postings = ("INSERT INTO postings (transfer_id, account_id, amount, account_seq, balance_after, "
                                f"prev_hash, hash) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p})")
        self.update_account = f"UPDATE accounts SET balance = {p}, head_seq = {p}, head_hash = {p} WHERE id = {p}"

    def lock(self, count: int) -> str:
        columns = "id, balance, allow_negative, head_seq, head_hash, currency"
        if self.sqlite:  # writers are already serialised by BEGIN IMMEDIATE
            return f"SELECT {columns} FROM accounts WHERE id IN ({', '.join(['?'] * count)}) ORDER BY id"
        return f"SELECT {columns} FROM accounts WHERE id = ANY(%s) ORDER BY id FOR UPDATE"


_SQL = {name: _DriverSql(name) for name in ("sqlite", "postgresql")}


def post_transfer(session: Session, *, kind: str, legs: Sequence[Leg], memo: str = "",
                  details: dict[str, Any] | None = None, actor_user_id: int | None = None) -> PostedTransfer:
    _check_legs(legs)
    details = details or {}
    ids = sorted(leg.account_id for leg in legs)
    sql = _SQL[session.get_bind().dialect.name]
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql.lock(len(ids)), ids if sql.sqlite else (ids,))
        rows = {row[0]: row for row in cursor.fetchall()}
        if len(rows) != len(ids):
            missing = sorted(set(ids) - set(rows))
            raise NotFound(f"Unknown account(s): {missing}.")
        if len({row[5] for row in rows.values()}) != 1:
            raise LedgerError("All postings of a transfer must be in one currency.")
        for leg in legs:
            _id, balance, allow_negative, *_ = rows[leg.account_id]
            if balance + leg.amount < 0 and not allow_negative:
                raise InsufficientFunds(
                    "The balance is too low for this payment. Top up or pay a smaller amount.",
                    account_id=leg.account_id, balance_fen=balance, needed_fen=-leg.amount)

        ref = uuid.uuid4().hex
        created_at = utcnow()
        t_hash = transfer_hash(ref=ref, kind=kind, memo=memo, details=details, actor_user_id=actor_user_id,
                               created_at=created_at, postings=[(leg.account_id, leg.amount) for leg in legs])
        cursor.execute(sql.insert_transfer, (ref, kind, memo, json.dumps(details), actor_user_id,
                                             created_at.replace(tzinfo=None), t_hash))
        transfer_id = cursor.fetchone()[0]

        postings, updates, balances = [], [], {}
        for leg in sorted(legs, key=lambda leg: leg.account_id):
            _id, balance, _neg, head_seq, head_hash, _cur = rows[leg.account_id]
            seq, after = head_seq + 1, balance + leg.amount
            p_hash = posting_hash(prev_hash=head_hash, account_id=leg.account_id, account_seq=seq,
                                  amount=leg.amount, balance_after=after, transfer_hash=t_hash)
            postings.append((transfer_id, leg.account_id, leg.amount, seq, after, head_hash, p_hash))
            updates.append((after, seq, p_hash, leg.account_id))
            balances[leg.account_id] = after
        cursor.executemany(sql.insert_postings, postings)
        cursor.executemany(sql.update_account, updates)
    finally:
        cursor.close()
    posted = PostedTransfer(id=transfer_id, ref=ref, hash=t_hash, created_at=created_at, balances=balances,
                            details=details)
    transaction_cache(session, "posted")[transfer_id] = posted
    return posted


def posted_in_this_transaction(session: Session, transfer_id: int) -> PostedTransfer | None:
    """The transfer as this transaction just posted it (a receipt needs no read of a row it wrote), else None."""
    return transaction_cache(session, "posted").get(transfer_id)
