"""The journal's public face: the key that signs checkpoints, and the latest checkpoint."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from wallet_api import schemas
from wallet_api.api.deps import DbDep, SignerDep
from wallet_api.db import transaction
from wallet_api.errors import NotFound
from wallet_api.ledger.models import JournalCheckpoint
from wallet_api.ledger.proof import checkpoint_out

router = APIRouter(tags=["journal"])


@router.get("/v1/journal/key", response_model=schemas.JournalKeyOut)
def journal_key(signer: SignerDep) -> schemas.JournalKeyOut:
    return schemas.JournalKeyOut(public_key=signer.public_key_hex, key_id=signer.key_id)


@router.get("/v1/journal/checkpoints/latest", response_model=schemas.CheckpointOut)
def latest_checkpoint(db: DbDep) -> schemas.CheckpointOut:
    with transaction(db) as s:
        cp = s.scalar(select(JournalCheckpoint).order_by(JournalCheckpoint.seq.desc()).limit(1))
        if cp is None:
            raise NotFound("No checkpoint has been signed yet.")
        return checkpoint_out(cp)
