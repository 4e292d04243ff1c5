"""Recompute everything the journal claims, streaming, and say where the first lie is.

Three passes: every transfer (hash, balance, at least two legs); every account's chain
(links, sequence, running balance, head); every checkpoint (chain of roots, Merkle root,
Ed25519 signature under the trusted public key, which never comes from the database).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count, groupby
from operator import itemgetter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wallet_api.ledger.hashing import GENESIS_ROOT, checkpoint_message, merkle_root, posting_hash, transfer_hash
from wallet_api.ledger.models import GENESIS_HASH, JournalCheckpoint, Transfer
from wallet_api.ledger.signing import key_id_of, signature_valid

BATCH = 5000


@dataclass(frozen=True)
class Finding:
    where: str     # e.g. "transfer 12", "posting 40 (account 3, seq 7)", "checkpoint 2"
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


@dataclass
class LedgerReport:
    transfers: int = 0
    postings: int = 0
    accounts: int = 0
    checkpoints: int = 0
    unchecked_transfers: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


_cursor_names = count(1)


def _rows(session: Session, sql: str) -> Iterator[tuple]:
    """Stream plain driver tuples, BATCH at a time, inside the session's transaction.

    The driver's own cursor (a server-side one on PostgreSQL, so memory stays flat at any journal
    length): SQLAlchemy's per-row result processing cost more than the checks themselves.
    """
    connection = session.connection().connection
    if session.get_bind().dialect.name == "postgresql":
        cursor = connection.cursor(name=f"anxin_verify_{next(_cursor_names)}")
        cursor.itersize = BATCH
    else:
        cursor = connection.cursor()
    try:
        cursor.execute(sql)
        while batch := cursor.fetchmany(BATCH):
            yield from batch
    finally:
        cursor.close()


def _created_at(value: datetime | str) -> datetime:
    """A stored naive UTC timestamp (SQLite hands back its text) as the aware datetime the hash was made from."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


def _verify_transfers(session: Session, report: LedgerReport) -> None:
    # By transfer id only: the hash sorts the legs itself, and no ORDER BY on the legs lets SQLite read
    # the postings straight from their transfer_id index instead of sorting the whole join.
    sql = ("SELECT t.id, t.ref, t.kind, t.memo, t.details, t.actor_user_id, t.created_at, t.hash, "
           "p.account_id, p.amount FROM transfers t LEFT JOIN postings p ON p.transfer_id = t.id ORDER BY t.id")
    findings = report.findings
    for transfer_id, rows in groupby(_rows(session, sql), key=itemgetter(0)):
        t = next(rows)
        legs = [(t[8], t[9])] if t[8] is not None else []
        legs.extend((r[8], r[9]) for r in rows)
        report.transfers += 1
        if len(legs) < 2:
            findings.append(Finding(f"transfer {transfer_id}",
                                    f"has {len(legs)} posting(s); a transfer needs at least two"))
        total = sum(amount for _, amount in legs)
        if total != 0:
            findings.append(Finding(f"transfer {transfer_id}", f"postings sum to {total}, not 0"))
        _id, ref, kind, memo, details, actor_user_id, created_at, stored_hash = t[:8]
        try:
            if isinstance(details, str):  # SQLite keeps JSON as text; psycopg hands back the object
                details = json.loads(details)
            expected = transfer_hash(ref=ref, kind=kind, memo=memo, details=details or {},
                                     actor_user_id=actor_user_id, created_at=_created_at(created_at), postings=legs)
        except (ValueError, TypeError, AttributeError):  # text no hash could have been made from
            expected = None
        if expected != stored_hash:
            findings.append(Finding(f"transfer {transfer_id}", "content does not match its hash"))


def _verify_accounts(session: Session, report: LedgerReport) -> None:
    postings = ("SELECT p.account_id, p.id, p.account_seq, p.amount, p.balance_after, p.prev_hash, p.hash, t.hash "
                "FROM postings p JOIN transfers t ON t.id = p.transfer_id ORDER BY p.account_id, p.account_seq")
    by_account = groupby(_rows(session, postings), key=itemgetter(0))
    pending = next(by_account, None)
    accounts = "SELECT id, balance, allow_negative, head_seq, head_hash FROM accounts ORDER BY id"
    for acc in _rows(session, accounts):
        report.accounts += 1
        while pending is not None and pending[0] < acc[0]:
            report.findings.append(Finding(f"account {pending[0]}", "has postings but no account row"))
            pending = next(by_account, None)
        if pending is not None and pending[0] == acc[0]:
            _verify_chain(acc, pending[1], report)  # streamed: the chain is read as it is checked
            pending = next(by_account, None)
        else:
            _verify_chain(acc, (), report)
    while pending is not None:
        report.findings.append(Finding(f"account {pending[0]}", "has postings but no account row"))
        pending = next(by_account, None)


def _verify_chain(acc: tuple, chain: Iterable[tuple], report: LedgerReport) -> None:
    account_id, balance, allow_negative, head_seq, head_hash = acc
    findings = report.findings
    running, prev, seq = 0, GENESIS_HASH, 0
    for _acc, posting_id, account_seq, amount, balance_after, prev_hash, stored_hash, t_hash in chain:
        seq += 1
        where = None
        if account_seq != seq:
            where = f"posting {posting_id} (account {account_id}, seq {account_seq})"
            findings.append(Finding(where, f"sequence gap: expected seq {seq}"))
        if prev_hash != prev:
            where = f"posting {posting_id} (account {account_id}, seq {account_seq})"
            findings.append(Finding(where, "does not link to the previous posting of its account"))
        running += amount
        if balance_after != running:
            where = f"posting {posting_id} (account {account_id}, seq {account_seq})"
            findings.append(Finding(where, f"balance_after {balance_after} but postings sum to {running}"))
        if stored_hash != posting_hash(prev_hash=prev_hash, account_id=account_id, account_seq=account_seq,
                                       amount=amount, balance_after=balance_after, transfer_hash=t_hash):
            where = f"posting {posting_id} (account {account_id}, seq {account_seq})"
            findings.append(Finding(where, "content does not match its hash"))
        prev = stored_hash
    report.postings += seq
    where = f"account {account_id}"
    if balance != running:
        findings.append(Finding(where, f"balance {balance} but its postings sum to {running}"))
    if head_seq != seq or head_hash != prev:
        findings.append(Finding(where, "chain head does not match its last posting"))
    if balance < 0 and not allow_negative:
        findings.append(Finding(where, f"negative balance {balance}"))


def _verify_checkpoints(session: Session, report: LedgerReport, public_key_hex: str) -> None:
    trusted_key_id = key_id_of(public_key_hex)
    prev_root = GENESIS_ROOT
    for expected_seq, cp in enumerate(session.scalars(select(JournalCheckpoint).order_by(JournalCheckpoint.seq)), 1):
        report.checkpoints += 1
        where = f"checkpoint {cp.seq}"
        leaves = session.execute(select(Transfer.id, Transfer.hash, Transfer.checkpoint_index)
                                 .where(Transfer.checkpoint_id == cp.id).order_by(Transfer.checkpoint_index)).all()
        if cp.seq != expected_seq:
            report.findings.append(Finding(where, f"sequence gap: expected {expected_seq}"))
        if cp.prev_root != prev_root:
            report.findings.append(Finding(where, "does not chain to the previous checkpoint's root"))
        if [leaf.checkpoint_index for leaf in leaves] != list(range(cp.transfer_count)):
            report.findings.append(Finding(where, f"covers {len(leaves)} transfers, signed for {cp.transfer_count}"))
        elif merkle_root([leaf.hash for leaf in leaves]) != cp.merkle_root:
            report.findings.append(Finding(where, "transfers it covers no longer give its Merkle root"))
        message = checkpoint_message(seq=cp.seq, prev_root=cp.prev_root, merkle_root=cp.merkle_root,
                                     transfer_count=cp.transfer_count, first_transfer_id=cp.first_transfer_id,
                                     last_transfer_id=cp.last_transfer_id, created_at=cp.created_at)
        if cp.key_id != trusted_key_id or not signature_valid(public_key_hex, message, cp.signature):
            report.findings.append(Finding(where, "signature does not verify under the trusted journal key"))
        prev_root = cp.merkle_root
    report.unchecked_transfers = session.scalar(
        select(func.count()).select_from(Transfer).where(Transfer.checkpoint_id.is_(None))) or 0


def verify_ledger(session: Session, public_key_hex: str) -> LedgerReport:
    report = LedgerReport()
    _verify_transfers(session, report)
    _verify_accounts(session, report)
    _verify_checkpoints(session, report, public_key_hex)
    return report
