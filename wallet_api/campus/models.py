"""Campus tables: campuses, their merchants, students' campus cards, devices, spent codes,
charges (campus payments) and the per-terminal rate-limit buckets.

Money itself lives in the ledger: a completed charge points at the `payments` row and the
journal transfer that moved it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wallet_api.db import Base
from wallet_api.types import BigId, UTCDateTime


class Campus(Base):
    """A school, run by a campus admin (role campus_admin), with its own payment rules."""

    __tablename__ = "campuses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    local_name: Mapped[str | None] = mapped_column(String(40))
    owner_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Charges above this need the student's PIN on their own phone (fen).
    pin_free_limit_fen: Mapped[int] = mapped_column(BigInteger)
    # The daily limit a new campus card starts with; the student may change their own.
    default_daily_limit_fen: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CampusMerchant(Base):
    """An ordinary merchant that accepts this campus's codes (a merchant belongs to one campus)."""

    __tablename__ = "campus_merchants"

    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), primary_key=True)
    campus_id: Mapped[int] = mapped_column(ForeignKey("campuses.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CampusCard(Base):
    """A student's enrolment and campus e-card. Bound to a wallet user when activated."""

    __tablename__ = "campus_cards"
    __table_args__ = (UniqueConstraint("campus_id", "student_number", name="uq_campus_cards_student_number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campus_id: Mapped[int] = mapped_column(ForeignKey("campuses.id"))
    student_number: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(40))
    # One campus card per wallet user; empty until the student activates it.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16))  # enrolled | active | suspended
    # SHA-256 of the one-time activation code (never the code itself); cleared once used.
    activation_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    activation_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    funding_source: Mapped[str] = mapped_column(String(16), default="wallet")  # wallet | bank_card
    bank_card_id: Mapped[int | None] = mapped_column(ForeignKey("bank_cards.id"))
    daily_limit_fen: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CampusDevice(Base):
    """A phone that makes payment codes offline. The server keeps its TOTP secret encrypted."""

    __tablename__ = "campus_devices"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("campus_cards.id"), index=True)
    # The 6-digit number folded into every code this device makes; never reused.
    number: Mapped[int] = mapped_column(Integer, unique=True)
    label: Mapped[str] = mapped_column(String(40))
    algorithm: Mapped[str] = mapped_column(String(8))  # SHA256 | SHA1
    secret_sealed: Mapped[str] = mapped_column(String(200))  # AES-GCM under a key derived from the server secret
    status: Mapped[str] = mapped_column(String(16))  # active | revoked
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CampusCodeUse(Base):
    """A code that has been presented and verified: (device, time step) is spent for ever.

    The primary key is what makes a code single-use under concurrency; the row is committed
    before any payment is attempted, so a failed payment does not give the code back.
    """

    __tablename__ = "campus_code_uses"

    device_id: Mapped[int] = mapped_column(ForeignKey("campus_devices.id"), primary_key=True)
    step: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    used_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CampusCharge(Base):
    """One campus payment attempt, from the moment a code verified (or a student scanned a QR).

    status: claimed -> completed | failed | awaiting_confirmation | processing
            awaiting_confirmation -> (student's PIN) claimed path | cancelled | expired
            processing (bank called) -> completed | failed | unknown (bank timeout; retry settles once)
    """

    __tablename__ = "campus_charges"
    __table_args__ = (
        UniqueConstraint("idempotency_scope", "idempotency_key", name="uq_campus_charges_idempotency"),
        Index("ix_campus_charges_card_created", "card_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("campus_cards.id"))
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    origin: Mapped[str] = mapped_column(String(8))  # code (cashier scanned the student) | scan (student scanned the QR)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("campus_devices.id"))
    terminal_id: Mapped[str | None] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(BigInteger)
    memo: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(24))
    funding_source: Mapped[str | None] = mapped_column(String(16))
    bank_card_id: Mapped[int | None] = mapped_column(ForeignKey("bank_cards.id"))
    bank_reference: Mapped[str | None] = mapped_column(String(64))
    confirm_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirm_key: Mapped[str | None] = mapped_column(String(128))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"))
    failure_code: Mapped[str | None] = mapped_column(String(40))
    failure_status: Mapped[int | None] = mapped_column(Integer)
    failure_detail: Mapped[str | None] = mapped_column(String(300))
    failure_extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # e.g. what is left of the daily limit
    idempotency_scope: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CampusRateBucket(Base):
    """A token bucket for failed code verifications, per terminal and per merchant.

    In the database so the limit holds across restarts and across every worker process.
    """

    __tablename__ = "campus_rate_buckets"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    milli_tokens: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
