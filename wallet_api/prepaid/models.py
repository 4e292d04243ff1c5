"""Prepaid-card tables: a merchant's escrow profile, card products, cards, alerts, complaints and
the programme's policy. Money itself lives only in the ledger (escrow, liability and card accounts)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from wallet_api.db import Base
from wallet_api.types import BigId, UTCDateTime


class PrepaidAccountKind(StrEnum):
    """Ledger account kinds this domain opens (the ledger stores any kind as text)."""

    ESCROW = "escrow"                        # held at the custodian for one merchant
    PREPAID_LIABILITY = "prepaid_liability"  # memo: minus the merchant's outstanding card balances
    PREPAID_CARD = "prepaid_card"            # one card; its balance IS the card balance


def escrow_code(merchant_id: int) -> str:
    return f"escrow:merchant:{merchant_id}"


def liability_code(merchant_id: int) -> str:
    return f"prepaid_liability:merchant:{merchant_id}"


def card_code(card_id: int) -> str:
    return f"prepaid_card:{card_id}"


class PrepaidMerchant(Base):
    """A merchant enrolled in the prepaid programme: its escrow accounts, policy and standing."""

    __tablename__ = "prepaid_merchants"
    __table_args__ = (
        CheckConstraint("escrow_policy IN ('full', 'ratio')", name="escrow_policy_known"),
        CheckConstraint("issuer_type IN ('group', 'brand', 'scale')", name="issuer_type_known"),
        CheckConstraint("status IN ('active', 'closing', 'defaulted')", name="status_known"),
    )

    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), primary_key=True, autoincrement=False)
    escrow_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    liability_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    escrow_policy: Mapped[str] = mapped_column(String(8), default="full")
    issuer_type: Mapped[str] = mapped_column(String(8), default="scale")
    status: Mapped[str] = mapped_column(String(16), default="active")
    closing_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    defaulted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    default_transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PrepaidProduct(Base):
    """A card a merchant offers: price (face value), optional bonus value, validity, anonymous or named."""

    __tablename__ = "prepaid_products"
    __table_args__ = (
        CheckConstraint("face_value_fen > 0", name="face_value_positive"),
        CheckConstraint("bonus_value_fen >= 0", name="bonus_value_not_negative"),
        CheckConstraint("validity_days > 0", name="validity_positive"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("prepaid_merchants.merchant_id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    face_value_fen: Mapped[int] = mapped_column(BigInteger)
    bonus_value_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    validity_days: Mapped[int] = mapped_column(Integer)
    named: Mapped[bool] = mapped_column(Boolean, default=False)
    on_sale: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PrepaidCard(Base):
    """One sold card. Its balance is the ledger account `prepaid_card:{id}`, owned by the holder."""

    __tablename__ = "prepaid_cards"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'closed')", name="status_known"),
        CheckConstraint("paid_fen > 0 AND bonus_fen >= 0", name="value_sane"),
        CheckConstraint("refunded_fen >= 0 AND unrecovered_fen >= 0", name="payouts_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("prepaid_products.id"), index=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("prepaid_merchants.merchant_id"), index=True)
    holder_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    named: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16), default="active")
    # What the holder paid in (purchase + top-ups) and the bonus value the merchant added: together
    # they split a voluntary refund between holder and merchant (docs/prepaid.md, "Bonus value").
    paid_fen: Mapped[int] = mapped_column(BigInteger)
    bonus_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    purchased_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_charged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    purchase_transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"))
    # Set when the card closes: why, what the holder got back, and any part of the balance that the
    # escrow (and the defaulted merchant's settlement) could not pay.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_reason: Mapped[str | None] = mapped_column(String(24))
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    unrecovered_fen: Mapped[int] = mapped_column(BigInteger, default=0)


class AlertType(StrEnum):
    CARD_OVER_LIMIT = "card_over_limit"
    ESCROW_BELOW_REQUIRED = "escrow_below_required"
    COMPLAINTS = "complaints"
    CLOSING_WITH_BALANCES = "closing_with_balances"


class PrepaidAlert(Base):
    """A warning about a merchant, shown to it and to the regulator.

    `open_key` is "<merchant>:<type>" while the alert is unresolved and NULL afterwards; its unique
    constraint is what keeps a second alert of the same type from opening (NULLs never collide).
    """

    __tablename__ = "prepaid_alerts"
    __table_args__ = (CheckConstraint("severity IN ('warning', 'critical')", name="severity_known"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("prepaid_merchants.merchant_id"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    open_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PrepaidComplaint(Base):
    """A card holder's complaint against a merchant. One open complaint per person per merchant."""

    __tablename__ = "prepaid_complaints"
    __table_args__ = (CheckConstraint("status IN ('open', 'resolved')", name="status_known"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("prepaid_merchants.merchant_id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(16), default="open")
    open_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(String(500))


class PrepaidPolicy(Base):
    """The programme's rules, edited by the regulator. One row (id 1); absent means the defaults."""

    __tablename__ = "prepaid_policy"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("ratio_group_pct BETWEEN 0 AND 100 AND ratio_brand_pct BETWEEN 0 AND 100 "
                        "AND ratio_scale_pct BETWEEN 0 AND 100", name="ratios_are_percentages"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    anonymous_card_limit_fen: Mapped[int] = mapped_column(BigInteger)
    named_card_limit_fen: Mapped[int] = mapped_column(BigInteger)
    ratio_group_pct: Mapped[int] = mapped_column(Integer)
    ratio_brand_pct: Mapped[int] = mapped_column(Integer)
    ratio_scale_pct: Mapped[int] = mapped_column(Integer)
    complaint_threshold: Mapped[int] = mapped_column(Integer)
    complaint_window_days: Mapped[int] = mapped_column(Integer)
    cooling_off_days: Mapped[int] = mapped_column(Integer)
    closing_notice_days: Mapped[int] = mapped_column(Integer)
    balance_refunds_allowed: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
