"""Ledger tables: accounts, transfers (journal entries), postings (legs), checkpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer,
                        String, Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from wallet_api.db import Base
from wallet_api.types import BigId, UTCDateTime

GENESIS_HASH = "0" * 64


class Account(Base):
    """A balance in integer fen. `head_*` is the tip of this account's hash chain."""

    __tablename__ = "accounts"
    __table_args__ = (
        # The database itself refuses an overdraft on accounts not designed for one.
        CheckConstraint("allow_negative OR balance >= 0", name="balance_non_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    allow_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    head_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    head_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Transfer(Base):
    """One journal entry: a balanced set of postings, hashed over its whole content."""

    __tablename__ = "transfers"
    __table_args__ = (Index("ix_transfers_unchecked", "checkpoint_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    memo: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor_user_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    hash: Mapped[str] = mapped_column(String(64))
    # Filled when a checkpoint covers this entry; not part of the hash.
    checkpoint_id: Mapped[int | None] = mapped_column(ForeignKey("journal_checkpoints.id"))
    checkpoint_index: Mapped[int | None] = mapped_column(Integer)


class Posting(Base):
    """One leg: `amount` is added to the account's balance (negative = money out)."""

    __tablename__ = "postings"
    __table_args__ = (
        UniqueConstraint("account_id", "account_seq", name="uq_postings_account_seq"),
        CheckConstraint("amount <> 0", name="amount_non_zero"),
        # A wallet's history is its newest postings first, by id: without this, each page sorted every
        # posting the account ever had (tests/bench/bench_scaling.py saw a busy account's page slow down
        # linearly with its length).
        Index("ix_postings_account_id_id", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    account_seq: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int] = mapped_column(BigInteger)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class JournalCheckpoint(Base):
    """A signed Merkle root over the transfers not covered by any earlier checkpoint."""

    __tablename__ = "journal_checkpoints"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    transfer_count: Mapped[int] = mapped_column(Integer)
    first_transfer_id: Mapped[int] = mapped_column(BigInteger)
    last_transfer_id: Mapped[int] = mapped_column(BigInteger)
    merkle_root: Mapped[str] = mapped_column(String(64))
    prev_root: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(Text)


class IdempotencyRecord(Base):
    """The first answer to a money-moving request, replayed for every retry with the same key."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_scope_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
