"""Signed checkpoints: a Merkle root over every transfer not yet covered, chained to the last root.

Transfers are picked by "not yet checkpointed", not by id range, so a transfer that commits
late (with a lower id than one already covered) simply lands in the next checkpoint.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.orm import Session

from wallet_api.ledger.hashing import GENESIS_ROOT, checkpoint_message, merkle_root
from wallet_api.ledger.models import JournalCheckpoint, Transfer
from wallet_api.ledger.signing import JournalSigner
from wallet_api.types import utcnow

_transfers = Transfer.__table__


def _serialise_checkpoints(session: Session) -> None:
    # SQLite already serialises writers (BEGIN IMMEDIATE); PostgreSQL needs one cutter at a time.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(727274)"))


def cut_checkpoint(session: Session, signer: JournalSigner, *, limit: int = 100_000) -> JournalCheckpoint | None:
    """Cover up to `limit` unchecked transfers with one signed checkpoint; None if there are none."""
    _serialise_checkpoints(session)
    rows = session.execute(
        select(Transfer.id, Transfer.hash).where(Transfer.checkpoint_id.is_(None)).order_by(Transfer.id).limit(limit)
    ).all()
    if not rows:
        return None
    last = session.scalar(select(JournalCheckpoint).order_by(JournalCheckpoint.seq.desc()).limit(1))
    seq = (last.seq + 1) if last else 1
    prev_root = last.merkle_root if last else GENESIS_ROOT
    root = merkle_root([r.hash for r in rows])
    created_at = utcnow()
    message = checkpoint_message(seq=seq, prev_root=prev_root, merkle_root=root, transfer_count=len(rows),
                                 first_transfer_id=rows[0].id, last_transfer_id=rows[-1].id, created_at=created_at)
    checkpoint = JournalCheckpoint(seq=seq, created_at=created_at, transfer_count=len(rows),
                                   first_transfer_id=rows[0].id, last_transfer_id=rows[-1].id, merkle_root=root,
                                   prev_root=prev_root, key_id=signer.key_id, signature=signer.sign(message))
    session.add(checkpoint)
    session.flush()
    session.execute(
        update(_transfers).where(_transfers.c.id == bindparam("t_id"))
        .values(checkpoint_id=checkpoint.id, checkpoint_index=bindparam("t_index")),
        [{"t_id": r.id, "t_index": i} for i, r in enumerate(rows)],
    )
    return checkpoint
