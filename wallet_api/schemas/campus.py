"""Wire models of the campus domain (campus cards, devices, payment codes, charges)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from wallet_api.schemas import AmountFen, Memo, MerchantCategory, MerchantIn, Pin, Username, Wire

StudentNumber = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9]{4,20}$")]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
# 16 base32 letters, with or without dashes or spaces between groups; case does not matter.
ActivationCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=16, max_length=24,
                                                  pattern=r"^[A-Za-z2-7 -]+$")]
# The 18 digits the cashier scans or types (spaces between groups are allowed and ignored).
PaymentCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=18, max_length=24,
                                               pattern=r"^[0-9 ]+$")]
TerminalId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_.:-]{1,40}$")]
# A student's own daily limit: at most 5,000 CNY a day.
DailyLimitFen = Annotated[int, Field(strict=True, gt=0, le=500_000, description="fen per day (1 CNY = 100 fen)")]

CardStatus = Literal["enrolled", "active", "suspended"]
FundingSource = Literal["wallet", "bank_card"]
ChargeStatus = Literal["claimed", "awaiting_confirmation", "processing", "unknown", "completed", "failed",
                       "cancelled", "expired"]


# ---- campus admin ---------------------------------------------------------------------------

class CampusIn(Wire):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    local_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None = None
    pin_free_limit_fen: AmountFen = 5_000
    default_daily_limit_fen: DailyLimitFen = 30_000


class CampusOut(BaseModel):
    id: int
    name: str
    local_name: str | None
    pin_free_limit_fen: int
    default_daily_limit_fen: int
    created_at: datetime


class CampusMerchantIn(MerchantIn):
    """A new merchant on this campus; its owner (the cashier's login) must already be a wallet user."""

    owner_username: Username
    category: MerchantCategory = MerchantCategory.CAMPUS_CANTEEN


class StudentIn(Wire):
    student_number: StudentNumber
    name: PersonName


class StudentOut(BaseModel):
    id: int
    campus_id: int
    student_number: str
    name: str
    status: CardStatus
    username: str | None
    activated_at: datetime | None
    active_devices: int


class ActivationCodeOut(BaseModel):
    """Shown once: only a hash is kept. Give it to the student in person."""

    student: StudentOut
    activation_code: str
    expires_at: datetime


# ---- the student's card and devices ---------------------------------------------------------

class ActivateIn(Wire):
    activation_code: ActivationCode
    device_label: Label = "my phone"


class DeviceIn(Wire):
    device_label: Label
    pin: Pin


class DeviceOut(BaseModel):
    id: int
    number: int
    label: str
    status: Literal["active", "revoked"]
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class DeviceSecretOut(BaseModel):
    """Everything a phone needs to make codes offline. The secret is sent once; keep it in the keychain."""

    device: DeviceOut
    secret_b32: str
    algorithm: Literal["SHA256", "SHA1"]
    digits: int            # of the TOTP part
    step_seconds: int
    prefix: str
    code_length: int


class CampusCardOut(BaseModel):
    campus_id: int
    campus_name: str
    campus_local_name: str | None
    student_number: str
    name: str
    masked_name: str
    status: CardStatus
    funding_source: FundingSource
    bank_card_id: int | None
    daily_limit_fen: int
    spent_today_fen: int
    pin_free_limit_fen: int
    devices: list[DeviceOut]


class FundingSourceIn(Wire):
    source: FundingSource
    bank_card_id: int | None = None


class DailyLimitIn(Wire):
    daily_limit_fen: DailyLimitFen


class SpendingLine(BaseModel):
    merchant_id: int
    merchant_name: str
    local_name: str | None
    payments: int
    total_fen: int
    refunded_fen: int


class SpendingOut(BaseModel):
    since: datetime
    until: datetime
    total_fen: int
    by_merchant: list[SpendingLine]


# ---- charges --------------------------------------------------------------------------------

class ChargeIn(Wire):
    """The cashier's request: the student's code and the amount."""

    merchant_id: int
    terminal_id: TerminalId
    code: PaymentCode
    amount_fen: AmountFen
    memo: Memo = ""


class ScanPayIn(Wire):
    """The student scanned a campus merchant's static QR (EMVCo payload)."""

    qr_payload: Annotated[str, StringConstraints(min_length=1, max_length=512)]
    amount_fen: AmountFen
    pin: Pin | None = None
    memo: Memo = ""


class ConfirmIn(Wire):
    pin: Pin


class ChargeOut(BaseModel):
    id: int
    status: ChargeStatus
    origin: Literal["code", "scan"]
    amount_fen: int
    merchant_id: int
    merchant_name: str
    student_number: str
    student_masked_name: str
    funding_source: FundingSource | None
    payment_id: int | None
    transfer_id: int | None
    confirm_by: datetime | None
    failure_code: str | None
    memo: str
    created_at: datetime
