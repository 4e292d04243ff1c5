"""Family-card tables. No money lives here: a card is a permission to draw on the giver's wallet, and
each use points at the payment (and so the ledger transfer) that moved the money."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from wallet_api.db import Base
from wallet_api.types import BigId, UTCDateTime

# offered -> active <-> paused; offered -> declined; any open state -> closed.
OPEN_STATUSES = ("offered", "active", "paused")


class FamilyCard(Base):
    __tablename__ = "family_cards"
    __table_args__ = (
        CheckConstraint("monthly_cap_fen > 0", name="cap_positive"),
        CheckConstraint("giver_user_id <> holder_user_id", name="not_to_self"),
        CheckConstraint("status IN ('offered', 'active', 'paused', 'declined', 'closed')", name="status_known"),
        Index("ix_family_cards_giver_status", "giver_user_id", "status"),
        Index("ix_family_cards_holder_status", "holder_user_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    giver_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    holder_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    monthly_cap_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FamilyCardUse(Base):
    """One merchant payment paid (in part, with a coupon) by a card. `amount_fen` is what the giver paid;
    `cap_fen` the cap in force then. Refunds go back to the giver and give the month its room back."""

    __tablename__ = "family_card_uses"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("refunded_fen >= 0 AND refunded_fen <= amount_fen", name="refund_within_amount"),
        Index("ix_family_card_uses_card_month", "card_id", "month"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("family_cards.id"))
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), unique=True)
    month: Mapped[str] = mapped_column(String(7))  # "2026-11", in Asia/Shanghai time
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    cap_fen: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
