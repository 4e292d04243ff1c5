"""Guardianships and pending payments. A pending payment's money sits in the ledger account
`system:guardian_holds` from the moment it is held until it is paid on or released back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from wallet_api.db import Base
from wallet_api.types import BigId, UTCDateTime

# held (waits for the guardian) -> approved | declined | expired | revoked;
# delayed (waits for the clock)  -> settled | revoked.
OPEN_STATUSES = ("held", "delayed")


class Guardianship(Base):
    __tablename__ = "guardianships"
    __table_args__ = (
        CheckConstraint("elder_user_id <> guardian_user_id", name="not_self"),
        CheckConstraint("status IN ('invited', 'active', 'declined', 'ended')", name="status_known"),
        Index("ix_guardianships_elder_status", "elder_user_id", "status"),
        Index("ix_guardianships_guardian_status", "guardian_user_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    elder_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    guardian_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16))
    delay_new_payee_transfers: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PendingPayment(Base):
    __tablename__ = "pending_payments"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("kind IN ('merchant', 'p2p')", name="kind_known"),
        CheckConstraint("reason IN ('guardian', 'delay')", name="reason_known"),
        CheckConstraint("status IN ('held', 'delayed', 'approved', 'declined', 'expired', 'settled', 'revoked')",
                        name="status_known"),
        CheckConstraint("(merchant_id IS NULL) <> (payee_user_id IS NULL)", name="one_payee"),
        Index("ix_pending_payments_payer_id", "payer_user_id", "id"),
        Index("ix_pending_payments_guardian_status", "guardian_user_id", "status"),
        Index("ix_pending_payments_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    payer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"))
    payee_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    guardian_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    memo: Mapped[str] = mapped_column(String(200), default="")
    risks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    hold_transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"))
    release_transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # held: expires then; delayed: pays out then
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
