"""Recompute everything the journal claims, streaming, and say where the first lie is.

Three passes: every transfer (hash, balance, at least two legs); every account's chain
(links, sequence, running balance, head); every checkpoint (chain of roots, Merkle root,
Ed25519 signature under the trusted public key, which never comes from the database).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import groupby

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wallet_api.ledger.hashing import GENESIS_ROOT, checkpoint_message, merkle_root, posting_hash, transfer_hash
from wallet_api.ledger.models import GENESIS_HASH, Account, JournalCheckpoint, Posting, Transfer
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


def _stream(session: Session, stmt) -> Iterator:
    return iter(session.execute(stmt.execution_options(yield_per=BATCH)))


def _verify_transfers(session: Session, report: LedgerReport) -> None:
    stmt = (select(Transfer.id, Transfer.ref, Transfer.kind, Transfer.memo, Transfer.details, Transfer.actor_user_id,
                   Transfer.created_at, Transfer.hash, Posting.account_id, Posting.amount)
            .outerjoin(Posting, Posting.transfer_id == Transfer.id)
            .order_by(Transfer.id, Posting.account_id))
    for transfer_id, rows in groupby(_stream(session, stmt), key=lambda r: r.id):
        rows = list(rows)
        t = rows[0]
        legs = [(r.account_id, r.amount) for r in rows if r.account_id is not None]
        report.transfers += 1
        where = f"transfer {transfer_id}"
        if len(legs) < 2:
            report.findings.append(Finding(where, f"has {len(legs)} posting(s); a transfer needs at least two"))
        if sum(a for _, a in legs) != 0:
            report.findings.append(Finding(where, f"postings sum to {sum(a for _, a in legs)}, not 0"))
        expected = transfer_hash(ref=t.ref, kind=t.kind, memo=t.memo, details=t.details or {},
                                 actor_user_id=t.actor_user_id, created_at=t.created_at, postings=legs)
        if expected != t.hash:
            report.findings.append(Finding(where, "content does not match its hash"))


def _verify_accounts(session: Session, report: LedgerReport) -> None:
    postings = (select(Posting.id, Posting.account_id, Posting.account_seq, Posting.amount, Posting.balance_after,
                       Posting.prev_hash, Posting.hash, Transfer.hash.label("transfer_hash"))
                .join(Transfer, Transfer.id == Posting.transfer_id)
                .order_by(Posting.account_id, Posting.account_seq))
    by_account = groupby(_stream(session, postings), key=lambda r: r.account_id)
    pending = next(by_account, None)
    accounts = select(Account.id, Account.balance, Account.allow_negative, Account.head_seq, Account.head_hash)
    for acc in _stream(session, accounts.order_by(Account.id)):
        report.accounts += 1
        chain = []
        while pending is not None and pending[0] <= acc.id:
            if pending[0] == acc.id:
                chain = list(pending[1])
            else:
                report.findings.append(Finding(f"account {pending[0]}", "has postings but no account row"))
            pending = next(by_account, None)
        _verify_chain(acc, chain, report)
    while pending is not None:
        report.findings.append(Finding(f"account {pending[0]}", "has postings but no account row"))
        pending = next(by_account, None)


def _verify_chain(acc, chain, report: LedgerReport) -> None:
    running, prev = 0, GENESIS_HASH
    for expected_seq, p in enumerate(chain, start=1):
        report.postings += 1
        where = f"posting {p.id} (account {acc.id}, seq {p.account_seq})"
        if p.account_seq != expected_seq:
            report.findings.append(Finding(where, f"sequence gap: expected seq {expected_seq}"))
        if p.prev_hash != prev:
            report.findings.append(Finding(where, "does not link to the previous posting of its account"))
        running += p.amount
        if p.balance_after != running:
            report.findings.append(Finding(where, f"balance_after {p.balance_after} but postings sum to {running}"))
        recomputed = posting_hash(prev_hash=p.prev_hash, account_id=p.account_id, account_seq=p.account_seq,
                                  amount=p.amount, balance_after=p.balance_after, transfer_hash=p.transfer_hash)
        if recomputed != p.hash:
            report.findings.append(Finding(where, "content does not match its hash"))
        prev = p.hash
    where = f"account {acc.id}"
    if acc.balance != running:
        report.findings.append(Finding(where, f"balance {acc.balance} but its postings sum to {running}"))
    if acc.head_seq != len(chain) or acc.head_hash != prev:
        report.findings.append(Finding(where, "chain head does not match its last posting"))
    if acc.balance < 0 and not acc.allow_negative:
        report.findings.append(Finding(where, f"negative balance {acc.balance}"))


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
