from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wallet_api.db import Base
from wallet_api.types import BigId, UTCDateTime


class BankCard(Base):
    __tablename__ = "bank_cards"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    bank_name: Mapped[str] = mapped_column(String(40))
    last4: Mapped[str] = mapped_column(String(4))
    holder_name: Mapped[str] = mapped_column(String(80))
    gateway_token: Mapped[str] = mapped_column(String(64))  # the bank's handle; we never keep the number
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FundingOperation(Base):
    """A top-up or withdrawal: the record that makes a bank call safe to retry with the same key."""

    __tablename__ = "funding_operations"
    __table_args__ = (UniqueConstraint("user_id", "idempotency_key", name="uq_funding_user_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    bank_card_id: Mapped[int] = mapped_column(ForeignKey("bank_cards.id"))
    kind: Mapped[str] = mapped_column(String(16))  # top_up | withdrawal
    amount: Mapped[int] = mapped_column(BigInteger)
    idempotency_key: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))  # pending | unknown | completed | declined
    # The transfer that moved the user's money (the top-up credit, or the withdrawal's hold) ...
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"))
    # ... and, for a withdrawal, the one that settled the hold (to the bank, or back on a decline).
    settle_transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"))
    bank_reference: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SandboxBankOperation(Base):
    """The sandbox bank's own book (a fake: no real bank exists here). Keyed by our request key,
    exactly as a real bank API dedupes on it."""

    __tablename__ = "sandbox_bank_operations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_key: Mapped[str] = mapped_column(String(160), unique=True)
    card_token: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)
    outcome: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
