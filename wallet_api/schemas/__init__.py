"""The wire contract: pydantic models only. The one server package clients may import.

This module holds the core (users, wallet, payments, merchants, notifications, journal);
each domain keeps its own models in a submodule (`wallet_api.schemas.prepaid`, ...).
Amounts are integers in fen (1 CNY = 100 fen) everywhere; clients format them at the edge.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, ValidationInfo, field_validator

# Strict: 12.5, "1250", true and 1e3 are refused, not coerced. The upper bound is the
# server's sanity ceiling (1,000,000 CNY); a smaller configured limit may apply on top.
AmountFen = Annotated[int, Field(strict=True, gt=0, le=100_000_000,
                                 description="A positive amount in fen (1 CNY = 100 fen).")]
# pydantic checks the pattern before lowering, so it admits ASCII upper case ("Alice" -> "alice");
# non-ASCII look-alikes (e.g. the Kelvin sign, which lowers to "k") are refused before lowering.
Username = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=3, max_length=40,
                                            pattern=r"^[A-Za-z0-9_.-]+$")]
Pin = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
Memo = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Funding = Annotated[str, StringConstraints(pattern=r"^(wallet|family_card:[1-9][0-9]{0,17})$")]


# Characters a person cannot see but a screen obeys: controls (NUL, escapes), the format characters
# (right-to-left overrides that turn "gnp.exe" around, zero-width spaces that make two names look alike,
# the byte-order mark, invisible tags) and lone surrogates: Unicode's Cc, Cf and Cs, listed here because
# this module imports nothing but pydantic. A name, memo or reason with one is refused, not cleaned.
_HIDDEN = frozenset(c for first, last in (
    (0x00, 0x1F), (0x7F, 0x9F), (0xAD, 0xAD), (0x600, 0x605), (0x61C, 0x61C), (0x6DD, 0x6DD), (0x70F, 0x70F),
    (0x890, 0x891), (0x8E2, 0x8E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x2064),
    (0x2066, 0x206F), (0xD800, 0xDFFF), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD),
    (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001), (0xE0020, 0xE007F))
    for c in range(first, last + 1))
# Secrets are never shown, so nothing can be spoofed with them: any character a keyboard gives is theirs.
_SECRET_FIELDS = frozenset({"password", "new_password", "pin"})


class Wire(BaseModel):
    """Every request body: unknown fields refused, and no hidden characters in any text."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_hidden_characters(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and info.field_name not in _SECRET_FIELDS:
            hidden = next((ch for ch in value if ord(ch) in _HIDDEN), None)
            if hidden is not None:
                raise ValueError(f"contains an invisible or control character (U+{ord(hidden):04X}); "
                                 "type the text again without it")
        return value


class Problem(BaseModel):
    """RFC 9457 problem details, with a stable `code` and a translatable `message_key`."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    message_key: str
    instance: str | None = None
    model_config = ConfigDict(extra="allow")


# ---- users and auth -------------------------------------------------------------------------

class Role(StrEnum):
    CONSUMER = "consumer"
    MERCHANT = "merchant"
    REGULATOR = "regulator"
    CAMPUS_ADMIN = "campus_admin"
    COUPON_ISSUER = "coupon_issuer"


class RegisterIn(Wire):
    username: Username
    password: Annotated[str, StringConstraints(min_length=8, max_length=128)]
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9]{6,15}$")] | None = None
    roles: list[Literal["consumer", "merchant"]] = Field(default_factory=lambda: ["consumer"], min_length=1)


class LoginIn(Wire):
    username: Username
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class RefreshIn(Wire):
    refresh_token: Annotated[str, StringConstraints(min_length=10, max_length=200)]


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    phone: str | None
    roles: list[Role]
    pin_set: bool
    real_name_verified: bool
    created_at: datetime


class SetPinIn(Wire):
    pin: Pin
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class RealNameIn(Wire):
    real_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    national_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=15, max_length=18)]


FontScalePercent = Annotated[int, Field(strict=True, ge=100, le=200,
                                        description="Text size in percent of the default; only upward.")]
SpeechRatePercent = Annotated[int, Field(strict=True, ge=50, le=200,
                                         description="Speaking speed in percent of the normal rate.")]


class PreferencesOut(BaseModel):
    marketing_allowed: bool
    language: Literal["en", "zh-CN", "ko"]
    care_mode: bool = False
    font_scale_percent: int = 100
    high_contrast: bool = False
    voice_enabled: bool = False
    speech_rate_percent: int = 100


class PreferencesIn(Wire):
    """Only the fields sent change. Turning care mode on also turns marketing off; while care mode
    is on, allowing marketing is refused."""

    marketing_allowed: bool | None = None
    language: Literal["en", "zh-CN", "ko"] | None = None
    care_mode: StrictBool | None = None
    font_scale_percent: FontScalePercent | None = None
    high_contrast: StrictBool | None = None
    voice_enabled: StrictBool | None = None
    speech_rate_percent: SpeechRatePercent | None = None


# ---- wallet, history, funding ---------------------------------------------------------------

class WalletOut(BaseModel):
    account_id: int
    balance_fen: int
    currency: Literal["CNY"] = "CNY"


class HistoryItem(BaseModel):
    posting_id: int
    transfer_id: int
    kind: str
    amount_fen: int          # signed: negative is money out of the wallet
    balance_after_fen: int
    memo: str
    counterparty: str | None
    payment_id: int | None
    actor_user_id: int | None
    created_at: datetime
    done_by: str | None = Field(default=None, description="The relative who did this for the wallet's owner "
                                "(docs/family.md): show 'done by <name> for you'.")


class HistoryPage(BaseModel):
    items: list[HistoryItem]
    next_cursor: int | None


class BankCardIn(Wire):
    card_number: Annotated[str, StringConstraints(pattern=r"^[0-9]{16,19}$")]
    holder_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


class BankCardOut(BaseModel):
    id: int
    bank_name: str
    last4: str
    holder_name: str
    status: str


class FundingIn(Wire):
    bank_card_id: int
    amount_fen: AmountFen


class FundingOut(BaseModel):
    id: int
    kind: Literal["top_up", "withdrawal"]
    amount_fen: int
    status: Literal["pending", "unknown", "completed", "declined"]
    transfer_id: int | None
    balance_fen: int


# ---- merchants and payments -----------------------------------------------------------------

class MerchantCategory(StrEnum):
    DINING = "dining"
    SUPERMARKET = "supermarket"
    CLOTHING = "clothing"
    FITNESS = "fitness"
    BEAUTY = "beauty"
    EDUCATION = "education"
    CAMPUS_CANTEEN = "campus_canteen"
    CAMPUS_SHOP = "campus_shop"
    UTILITIES = "utilities"
    PHARMACY = "pharmacy"
    TRANSPORT = "transport"


class MerchantIn(Wire):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=25,
                                           pattern=r"^[ -~]+$")]
    local_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None = None
    category: MerchantCategory
    region: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
    city: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=15, pattern=r"^[ -~]+$")]


class MerchantOut(BaseModel):
    id: int
    name: str
    local_name: str | None
    category: MerchantCategory
    region: str
    city: str
    status: str
    qr_payload: str


class QrIn(Wire):
    payload: Annotated[str, StringConstraints(min_length=1, max_length=512)]


class QrOut(BaseModel):
    merchant_id: int
    merchant_name: str
    local_name: str | None
    amount_fen: int | None


class MerchantPaymentIn(Wire):
    merchant_id: int | None = None
    qr_payload: Annotated[str, StringConstraints(min_length=1, max_length=512)] | None = None
    amount_fen: AmountFen
    pin: Pin | None = None
    memo: Memo = ""
    coupon_id: int | None = Field(default=None, description="A city coupon to apply (GET /v1/coupons/best).")
    funding: Funding | None = Field(default=None, description=(
        "What pays: 'wallet', or 'family_card:<id>' (a family card you hold). Left out: the wallet, or your first "
        "family card with room this month when the wallet is short."))


class P2PPaymentIn(Wire):
    to_username: Username
    amount_fen: AmountFen
    pin: Pin | None = None
    memo: Memo = ""
    funding: Funding | None = Field(default=None, description="Only 'wallet': family cards pay shops only.")


class RefundIn(Wire):
    amount_fen: AmountFen
    reason: Memo = ""


class RefundOut(BaseModel):
    id: int
    payment_id: int
    amount_fen: int
    reason: str
    transfer_id: int
    created_at: datetime


class Receipt(BaseModel):
    id: int
    kind: Literal["merchant", "p2p"]
    amount_fen: int
    refunded_fen: int
    payer: str
    payee: str
    merchant_id: int | None
    memo: str
    transfer_id: int
    journal_hash: str
    created_at: datetime
    refunds: list[RefundOut] = Field(default_factory=list)
    coupon_id: int | None = None
    subsidy_fen: int = Field(default=0, description="Paid by a city coupon; the payer paid amount_fen - subsidy_fen.")
    family_card_id: int | None = Field(default=None, description="The family card that paid the payer's share.")
    done_by: str | None = Field(default=None, description="The relative who made this payment for the payer "
                                "(docs/family.md): show 'done by <name> for you', as history does.")


# ---- notifications --------------------------------------------------------------------------

class NotificationCategory(StrEnum):
    TRANSACTIONAL = "transactional"
    SECURITY = "security"
    MARKETING = "marketing"


class NotificationOut(BaseModel):
    id: int
    category: NotificationCategory
    message_key: str
    params: dict[str, Any]
    text: str
    created_at: datetime
    read_at: datetime | None


class MarketingIn(Wire):
    """An operator's promotional message. The server drops it for everyone who has not allowed marketing."""

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    usernames: list[Username] = Field(min_length=1, max_length=1000)


class MarketingOut(BaseModel):
    delivered: int
    suppressed: int


# ---- journal proofs -------------------------------------------------------------------------

class TransferContent(BaseModel):
    id: int
    ref: str
    kind: str
    memo: str
    details: dict[str, Any]
    actor_user_id: int | None
    created_at: datetime
    postings: list[tuple[int, int]]


class ChainLink(BaseModel):
    account_id: int
    account_seq: int
    amount: int
    balance_after: int
    prev_hash: str
    hash: str


class MerkleStep(BaseModel):
    side: Literal["L", "R"]
    hash: str


class CheckpointOut(BaseModel):
    seq: int
    created_at: datetime
    transfer_count: int
    first_transfer_id: int
    last_transfer_id: int
    merkle_root: str
    prev_root: str
    key_id: str
    signature: str


class TransferProof(BaseModel):
    transfer: TransferContent
    transfer_hash: str
    chain: list[ChainLink]
    leaf_index: int
    merkle_path: list[MerkleStep]
    checkpoint: CheckpointOut
    public_key: str


class JournalKeyOut(BaseModel):
    public_key: str
    key_id: str
    algorithm: Literal["Ed25519"] = "Ed25519"
