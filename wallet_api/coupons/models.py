"""Coupon tables: campaigns, their batches (rounds), the sharded stock, per-person counters,
coupons, lottery registrations and redemptions.

A campaign's money lives in the ledger (its subsidy account); these rows say who holds what.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from wallet_api.db import Base
from wallet_api.types import BigId, UTCDateTime


class CouponCampaign(Base):
    """What the city issues: the coupon's shape, how many, for whom, and the money behind it."""

    __tablename__ = "coupon_campaigns"
    __table_args__ = (
        CheckConstraint("value_fen > 0 AND threshold_fen >= 0", name="coupon_shape"),
        CheckConstraint("funded_fen >= 0 AND funded_fen <= subsidy_budget_fen", name="funded_within_budget"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    issuer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    categories: Mapped[list[str]] = mapped_column(JSON)   # merchant categories the coupon is good for
    region: Mapped[str] = mapped_column(String(32))       # "weihai" also covers "weihai-huancui"
    threshold_fen: Mapped[int] = mapped_column(BigInteger)  # spend at least this (0: no threshold)
    value_fen: Mapped[int] = mapped_column(BigInteger)      # ... and the city pays this much of it
    total_quantity: Mapped[int] = mapped_column(Integer)
    subsidy_budget_fen: Mapped[int] = mapped_column(BigInteger)
    funded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    claim_mode: Mapped[str] = mapped_column(String(16))     # first_come | lottery
    per_person_cap: Mapped[int] = mapped_column(Integer)
    validity_days: Mapped[int] = mapped_column(Integer)
    recycle_expired: Mapped[bool] = mapped_column(Boolean)
    rollover_non_winners: Mapped[bool] = mapped_column(Boolean)
    shards: Mapped[int] = mapped_column(Integer)
    subsidy_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    released_units: Mapped[int] = mapped_column(Integer, default=0)  # released by batches (not recycled ones)
    # The earliest batch due and not yet (fully) released; the claim path only reads it.
    next_release_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CouponBatch(Base):
    """A release of coupons into the pool. In a lottery campaign, a round: `release_at` is when its
    registration closes and it may be drawn; the commitment, seed and result live here too."""

    __tablename__ = "coupon_batches"
    __table_args__ = (UniqueConstraint("campaign_id", "seq", name="uq_coupon_batches_campaign_seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("coupon_campaigns.id"))
    seq: Mapped[int] = mapped_column(Integer)
    release_at: Mapped[datetime] = mapped_column(UTCDateTime)
    quantity: Mapped[int] = mapped_column(Integer)
    released_quantity: Mapped[int] = mapped_column(Integer, default=0)
    commitment: Mapped[str | None] = mapped_column(String(64))
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seed: Mapped[str | None] = mapped_column(String(128))
    registrants_hash: Mapped[str | None] = mapped_column(String(64))
    registrant_count: Mapped[int | None] = mapped_column(Integer)
    pool_at_draw: Mapped[int | None] = mapped_column(Integer)  # coupons there were to win (leftovers included)
    winners_count: Mapped[int | None] = mapped_column(Integer)
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CouponStock(Base):
    """One shard of a campaign's unclaimed coupons. Claims decrement a random shard, so a flash
    crowd spreads over many rows instead of queueing on one."""

    __tablename__ = "coupon_stock"
    __table_args__ = (
        UniqueConstraint("campaign_id", "shard", name="uq_coupon_stock_campaign_shard"),
        CheckConstraint("remaining >= 0", name="remaining_non_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("coupon_campaigns.id"))
    shard: Mapped[int] = mapped_column(Integer)
    remaining: Mapped[int] = mapped_column(Integer, default=0)


class CouponHolder(Base):
    """How many coupons one natural person (national-ID hash) has taken from a campaign, over all
    their accounts. The per-person cap is a conditional increment of this row."""

    __tablename__ = "coupon_holders"
    __table_args__ = (CheckConstraint("claimed >= 0", name="claimed_non_negative"),)

    campaign_id: Mapped[int] = mapped_column(ForeignKey("coupon_campaigns.id"), primary_key=True)
    person_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    claimed: Mapped[int] = mapped_column(Integer, default=0)


class Coupon(Base):
    """One coupon held by one account. status: claimed -> redeemed (-> claimed again if the payment
    is refunded in full while the coupon is still valid) | expired."""

    __tablename__ = "coupons"
    __table_args__ = (
        Index("ix_coupons_user_id_status", "user_id", "status"),
        Index("ix_coupons_campaign_id_status_expires_at", "campaign_id", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("coupon_campaigns.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    person_key: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))      # claim | lottery
    batch_seq: Mapped[int | None] = mapped_column(Integer)  # the lottery round it was won in
    status: Mapped[str] = mapped_column(String(16))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recycled: Mapped[bool] = mapped_column(Boolean, default=False)  # expired and returned to the pool


class CouponRegistration(Base):
    """A person's entry in one lottery round. `ticket` is the public, anonymous id that the draw ranks."""

    __tablename__ = "coupon_registrations"
    __table_args__ = (
        UniqueConstraint("campaign_id", "round", "person_key", name="uq_coupon_registrations_person"),
        UniqueConstraint("campaign_id", "round", "ticket", name="uq_coupon_registrations_ticket"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("coupon_campaigns.id"))
    round: Mapped[int] = mapped_column(Integer)
    person_key: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    ticket: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # registered | won | lost | rolled_over
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CouponRedemption(Base):
    """A merchant payment a coupon paid part of: the order value, the city's share, what came back."""

    __tablename__ = "coupon_redemptions"
    __table_args__ = (
        CheckConstraint("subsidy_fen > 0 AND subsidy_fen < amount_fen", name="subsidy_within_amount"),
        CheckConstraint("refunded_fen >= 0 AND refunded_fen <= amount_fen", name="refund_within_amount"),
        CheckConstraint("subsidy_refunded_fen >= 0 AND subsidy_refunded_fen <= subsidy_fen",
                        name="subsidy_refund_within_subsidy"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    coupon_id: Mapped[int] = mapped_column(ForeignKey("coupons.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("coupon_campaigns.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), unique=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    amount_fen: Mapped[int] = mapped_column(BigInteger)    # X: what the merchant received
    subsidy_fen: Mapped[int] = mapped_column(BigInteger)   # Y: what the city paid
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    subsidy_refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    coupon_returned: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
