"""Links between an elder and a relative, one-time tokens, and the log of what relatives did."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wallet_api.db import Base
from wallet_api.types import BigId, UTCDateTime


class FamilyLink(Base):
    """One elder, one relative, and the grant: what the relative may do and how much they may spend.

    The day's delegated spending is counted on this row, under its row lock, so concurrent delegated
    payments cannot together pass the day limit.
    """

    __tablename__ = "family_links"
    __table_args__ = (UniqueConstraint("elder_user_id", "relative_user_id", name="uq_family_links_pair"),
                      Index("ix_family_links_relative", "relative_user_id"),
                      CheckConstraint("per_payment_limit > 0 AND per_payment_limit <= per_day_limit", name="limits"),
                      CheckConstraint("spent_today >= 0", name="spent_today"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    elder_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    relative_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(12))  # schemas.family.LinkStatus
    scopes: Mapped[list[str]] = mapped_column(JSON)
    per_payment_limit: Mapped[int] = mapped_column(BigInteger)
    per_day_limit: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    spent_on: Mapped[date | None] = mapped_column(Date)   # the China-time day spent_today belongs to
    spent_today: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # An invitation by name (status `invited`) not accepted by then has expired; None for every other link.
    invite_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class FamilyToken(Base):
    """A one-time secret: an invite QR the elder shows, or the setup token of an account a relative created.
    Only its SHA-256 is kept."""

    __tablename__ = "family_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # invite | setup
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    elder_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    link_id: Mapped[int | None] = mapped_column(ForeignKey("family_links.id"))
    grant: Mapped[dict | None] = mapped_column(JSON)  # an invite's proposed grant
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DelegatedAction(Base):
    """Something a relative did for an elder: both identities, the scope used, the money if any."""

    __tablename__ = "delegated_actions"
    __table_args__ = (Index("ix_delegated_actions_subject_id", "subject_user_id", "id"),
                      Index("ix_delegated_actions_transfer", "transfer_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("family_links.id"))
    actor_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    subject_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    scope: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int | None] = mapped_column(BigInteger)
    transfer_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
