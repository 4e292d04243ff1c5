"""Wire models of prepaid cards with escrow (pydantic only). Amounts are integer fen."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from wallet_api.schemas import AmountFen, Pin, Wire

EscrowPolicy = Literal["full", "ratio"]
IssuerType = Literal["group", "brand", "scale"]
MerchantStanding = Literal["active", "closing", "closed", "defaulted"]
AlertType = Literal["card_over_limit", "escrow_below_required", "complaints", "closing_with_balances"]
ComplaintCategory = Literal["service_refused", "closed_without_notice", "refund_refused", "overcharged",
                            "quality", "other"]
BonusFen = Annotated[int, Field(strict=True, ge=0, le=100_000_000, description="Bonus value in fen (0 = none).")]
Percent = Annotated[int, Field(strict=True, ge=0, le=100)]
Days = Annotated[int, Field(strict=True, ge=1, le=3650)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


# ---- products -------------------------------------------------------------------------------

class ProductIn(Wire):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    face_value_fen: AmountFen = Field(description="The price the customer pays, in fen.")
    bonus_value_fen: BonusFen = 0
    validity_days: Days
    named: bool = Field(False, description="Named cards are registered to the buyer's verified real name.")


class ProductOnSaleIn(Wire):
    on_sale: bool


class ProductOut(BaseModel):
    id: int
    merchant_id: int
    merchant_name: str
    name: str
    face_value_fen: int
    bonus_value_fen: int
    validity_days: int
    named: bool
    on_sale: bool


class ProductQrOut(BaseModel):
    product_id: int
    qr_payload: str = Field(description="EMVCo merchant-presented QR: scan it to buy this card.")


# ---- cards (consumer) -----------------------------------------------------------------------

class BuyCardIn(Wire):
    product_id: int | None = None
    qr_payload: Annotated[str, StringConstraints(min_length=1, max_length=512)] | None = None
    bank_card_id: int | None = Field(None, description="Pay with this linked bank card instead of the wallet.")
    pin: Pin | None = None


class CardTopUpIn(Wire):
    amount_fen: AmountFen
    bank_card_id: int | None = None
    pin: Pin | None = None


class CardRefundIn(Wire):
    kind: Literal["auto", "cooling_off", "balance"] = "auto"


class CardEntry(BaseModel):
    transfer_id: int
    kind: str
    amount_fen: int            # signed: negative is value taken off the card
    balance_after_fen: int
    memo: str
    created_at: datetime


class CardOut(BaseModel):
    id: int
    account_id: int
    merchant_id: int
    merchant_name: str
    product_id: int
    product_name: str
    holder: str
    named: bool
    status: Literal["active", "closed"]
    balance_fen: int
    paid_fen: int
    bonus_fen: int
    purchased_at: datetime
    expires_at: datetime
    expired: bool
    used: bool
    cooling_off_until: datetime | None = Field(description="Set while an unused card can still be returned in full.")
    closed_at: datetime | None
    closed_reason: str | None
    refunded_fen: int
    unrecovered_fen: int
    purchase_transfer_id: int | None


class CardDetail(CardOut):
    history: list[CardEntry]


class CardRefundOut(BaseModel):
    card_id: int
    kind: Literal["cooling_off", "balance"]
    card_balance_fen: int
    refunded_fen: int
    returned_to_merchant_fen: int = Field(description="The bonus share of the balance, back to the merchant.")
    transfer_id: int | None
    wallet_balance_fen: int


# ---- merchant -------------------------------------------------------------------------------

class ChargeIn(Wire):
    card_id: int
    amount_fen: AmountFen
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ChargeOut(BaseModel):
    card_id: int
    transfer_id: int
    amount_fen: int
    released_fen: int = Field(description="What left escrow for the merchant's settlement account.")
    card_balance_fen: int


class EscrowWithdrawalIn(Wire):
    amount_fen: AmountFen


class EscrowWithdrawalOut(BaseModel):
    transfer_id: int
    amount_fen: int
    escrow_fen: int
    required_fen: int


class PrepaidMerchantOut(BaseModel):
    """A merchant's prepaid standing: what the merchant sees, and one row of the regulator's table."""

    merchant_id: int
    name: str
    local_name: str | None
    standing: MerchantStanding
    escrow_policy: EscrowPolicy
    issuer_type: IssuerType
    required_pct: int
    outstanding_fen: int = Field(description="The sum of its cards' balances: what holders are owed.")
    escrow_fen: int
    required_fen: int
    coverage_ratio: float | None = Field(description="escrow / outstanding (None when nothing is outstanding).")
    released_fen: int = Field(description="Everything escrow has released to the merchant so far.")
    withdrawable_fen: int
    active_cards: int
    open_alerts: int
    closes_at: datetime | None
    defaulted_at: datetime | None


class ClosingNoticeOut(BaseModel):
    merchant_id: int
    closes_at: datetime
    outstanding_fen: int
    holders_notified: int


class AlertOut(BaseModel):
    id: int
    merchant_id: int
    merchant_name: str
    type: AlertType
    severity: Literal["warning", "critical"]
    evidence: dict[str, Any]
    occurrences: int
    open: bool
    created_at: datetime
    last_seen_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None


# ---- complaints -----------------------------------------------------------------------------

class ComplaintIn(Wire):
    merchant_id: int
    category: ComplaintCategory
    text: Text


class ComplaintResolveIn(Wire):
    resolution: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class ComplaintOut(BaseModel):
    id: int
    merchant_id: int
    merchant_name: str
    category: ComplaintCategory
    text: str
    status: Literal["open", "resolved"]
    created_at: datetime
    resolved_at: datetime | None
    resolution: str | None


# ---- regulator ------------------------------------------------------------------------------

class MerchantPolicyIn(Wire):
    escrow_policy: EscrowPolicy
    issuer_type: IssuerType = "scale"


class ProgrammePolicy(Wire):
    """The programme's rules. Defaults: the regulations in docs/prepaid.md."""

    anonymous_card_limit_fen: AmountFen = 100_000
    named_card_limit_fen: AmountFen = 500_000
    ratio_group_pct: Percent = 20
    ratio_brand_pct: Percent = 30
    ratio_scale_pct: Percent = 40
    complaint_threshold: Annotated[int, Field(strict=True, ge=1, le=1000)] = 3
    complaint_window_days: Days = 30
    cooling_off_days: Annotated[int, Field(strict=True, ge=0, le=365)] = 7
    closing_notice_days: Days = 30
    balance_refunds_allowed: bool = True


class DefaultOut(BaseModel):
    merchant_id: int
    cards_closed: int
    holders: int
    refunded_fen: int
    unrecovered_fen: int = Field(description="Balances neither escrow nor the merchant's settlement could pay.")
    returned_to_merchant_fen: int = Field(description="Escrow above what holders were owed (ratio policy).")
    transfer_id: int | None


__all__ = ["AlertOut", "BuyCardIn", "CardDetail", "CardEntry", "CardOut", "CardRefundIn", "CardRefundOut",
           "CardTopUpIn", "ChargeIn", "ChargeOut", "ClosingNoticeOut", "ComplaintIn", "ComplaintOut",
           "ComplaintResolveIn", "DefaultOut", "EscrowWithdrawalIn", "EscrowWithdrawalOut",
           "MerchantPolicyIn", "PrepaidMerchantOut", "ProductIn", "ProductOnSaleIn", "ProductOut", "ProductQrOut",
           "ProgrammePolicy"]
