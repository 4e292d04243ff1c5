"""The inclusion proof a consumer can check offline: the transfer's content, its place in each
account chain, and the Merkle path to a signed checkpoint (cut on demand if none covers it yet)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from wallet_api.errors import NotFound
from wallet_api.ledger.checkpoints import cut_checkpoint
from wallet_api.ledger.hashing import merkle_path
from wallet_api.ledger.models import JournalCheckpoint, Posting, Transfer
from wallet_api.ledger.signing import JournalSigner
from wallet_api.schemas import ChainLink, CheckpointOut, MerkleStep, TransferContent, TransferProof


def transfer_proof(session: Session, signer: JournalSigner, transfer_id: int) -> TransferProof:
    transfer = session.get(Transfer, transfer_id)
    if transfer is None:
        raise NotFound(f"No transfer {transfer_id}.")
    if transfer.checkpoint_id is None:
        cut_checkpoint(session, signer)
        session.refresh(transfer)
    checkpoint = session.get(JournalCheckpoint, transfer.checkpoint_id)
    leaves = session.scalars(select(Transfer.hash).where(Transfer.checkpoint_id == checkpoint.id)
                             .order_by(Transfer.checkpoint_index)).all()
    postings = session.scalars(select(Posting).where(Posting.transfer_id == transfer.id)
                               .order_by(Posting.account_id)).all()
    return TransferProof(
        transfer=TransferContent(
            id=transfer.id, ref=transfer.ref, kind=transfer.kind, memo=transfer.memo, details=transfer.details,
            actor_user_id=transfer.actor_user_id, created_at=transfer.created_at,
            postings=[(p.account_id, p.amount) for p in postings]),
        transfer_hash=transfer.hash,
        chain=[ChainLink(account_id=p.account_id, account_seq=p.account_seq, amount=p.amount,
                         balance_after=p.balance_after, prev_hash=p.prev_hash, hash=p.hash) for p in postings],
        leaf_index=transfer.checkpoint_index,
        merkle_path=[MerkleStep(side=side, hash=h) for side, h in merkle_path(leaves, transfer.checkpoint_index)],
        checkpoint=checkpoint_out(checkpoint),
        public_key=signer.public_key_hex,
    )


def checkpoint_out(cp: JournalCheckpoint) -> CheckpointOut:
    return CheckpointOut(seq=cp.seq, created_at=cp.created_at, transfer_count=cp.transfer_count,
                         first_transfer_id=cp.first_transfer_id, last_transfer_id=cp.last_transfer_id,
                         merkle_root=cp.merkle_root, prev_root=cp.prev_root, key_id=cp.key_id,
                         signature=cp.signature)
