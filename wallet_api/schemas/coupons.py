"""Wire models of city consumption coupons (pydantic only). Amounts in fen."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints, model_validator

from wallet_api.schemas import AmountFen, MerchantCategory, Wire

# A city's budget runs to millions of yuan: above the per-payment ceiling of AmountFen.
BudgetFen = Annotated[int, Field(strict=True, gt=0, le=10**13, description="A positive amount in fen.")]
Quantity = Annotated[int, Field(strict=True, gt=0, le=10_000_000)]
Hex64 = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[0-9a-fA-F]{64}$")]
# At least 128 bits of secret, written as hex.
Seed = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[0-9a-fA-F]{32,128}$")]


class CouponShape(StrEnum):
    SPEND_X_SAVE_Y = "spend_x_save_y"
    NO_THRESHOLD = "no_threshold"


class ClaimMode(StrEnum):
    FIRST_COME = "first_come"
    LOTTERY = "lottery"


class BatchIn(Wire):
    """A release (first come) or a round (lottery: registration closes at `release_at`, then the draw)."""

    release_at: AwareDatetime
    quantity: Quantity


class CampaignIn(Wire):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    categories: list[MerchantCategory] = Field(min_length=1, max_length=11)
    region: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
    shape: CouponShape
    threshold_fen: Annotated[int, Field(strict=True, ge=0, le=100_000_000)] = 0
    value_fen: AmountFen
    total_quantity: Quantity
    subsidy_budget_fen: BudgetFen
    batches: list[BatchIn] = Field(min_length=1, max_length=100)
    claim_mode: ClaimMode = ClaimMode.FIRST_COME
    per_person_cap: Annotated[int, Field(strict=True, ge=1, le=100)] = 6
    validity_days: Annotated[int, Field(strict=True, ge=1, le=90)] = 7
    recycle_expired: bool = True
    rollover_non_winners: bool = True
    ends_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _consistent(self) -> CampaignIn:
        if len(set(self.categories)) != len(self.categories):
            raise ValueError("categories: each industry once")
        if self.shape is CouponShape.SPEND_X_SAVE_Y and self.threshold_fen <= self.value_fen:
            raise ValueError("threshold_fen: spend X save Y needs X greater than Y")
        if self.shape is CouponShape.NO_THRESHOLD and self.threshold_fen != 0:
            raise ValueError("threshold_fen: a no-threshold coupon has threshold_fen 0")
        if sum(b.quantity for b in self.batches) != self.total_quantity:
            raise ValueError("batches: the quantities must add up to total_quantity")
        times = [b.release_at for b in self.batches]
        if any(later <= earlier for earlier, later in zip(times, times[1:], strict=False)):
            raise ValueError("batches: release times must be in increasing order")
        if self.subsidy_budget_fen < self.value_fen:
            raise ValueError("subsidy_budget_fen: the budget must pay for at least one coupon")
        if self.ends_at is not None and self.ends_at <= times[0]:
            raise ValueError("ends_at: the campaign must end after its first release")
        return self


class BatchOut(BaseModel):
    seq: int
    release_at: datetime
    quantity: int
    released_quantity: int
    commitment: str | None
    drawn_at: datetime | None
    winners_count: int | None


class CampaignOut(BaseModel):
    id: int
    name: str
    issuer: str
    categories: list[MerchantCategory]
    region: str
    shape: CouponShape
    threshold_fen: int
    value_fen: int
    total_quantity: int
    claim_mode: ClaimMode
    per_person_cap: int
    validity_days: int
    recycle_expired: bool
    rollover_non_winners: bool
    ends_at: datetime | None
    open: bool = Field(description="Coupons can be claimed (or registered for) now.")
    released: int
    claimed: int = Field(description="Coupons handed out so far: the progress of the issue is claimed / total.")
    available: int = Field(description="Released and not yet claimed.")
    progress_percent: int
    batches: list[BatchOut]


class CampaignFundingIn(Wire):
    amount_fen: BudgetFen


class CampaignFundingOut(BaseModel):
    campaign_id: int
    amount_fen: int
    funded_fen: int
    subsidy_budget_fen: int
    subsidy_balance_fen: int
    released_now: int
    transfer_id: int


class CouponOut(BaseModel):
    id: int
    campaign_id: int
    campaign_name: str
    shape: CouponShape
    threshold_fen: int
    value_fen: int
    categories: list[MerchantCategory]
    region: str
    source: Literal["claim", "lottery"]
    status: Literal["claimed", "redeemed", "expired"]
    claimed_at: datetime
    expires_at: datetime
    redeemed_at: datetime | None


class CouponProposal(BaseModel):
    """The best coupon for this payment, for the payer to accept (send its id) or decline."""

    merchant_id: int
    amount_fen: int
    coupon: CouponOut | None
    subsidy_fen: int
    you_pay_fen: int
    applicable: int = Field(description="How many of your coupons would apply to this payment.")


class CommitmentIn(Wire):
    commitment: Hex64 = Field(description="SHA-256 of the round's secret seed, as 64 hex digits.")


class DrawIn(Wire):
    seed: Seed = Field(description="The secret seed behind the commitment: 32 to 128 hex digits.")


class RegistrationOut(BaseModel):
    campaign_id: int
    round: int
    ticket: str = Field(description="Your anonymous entry in the published registrant list.")
    status: Literal["registered", "won", "lost", "rolled_over"]
    coupon_id: int | None
    created_at: datetime


class DrawRecord(BaseModel):
    """Everything needed to recompute a lottery round (`anxin coupons verify-draw`)."""

    algorithm: Literal["anxin-draw-v1"] = "anxin-draw-v1"
    campaign_id: int
    round: int
    quantity: int = Field(description="Coupons to win: planned before the draw, the pool drawn from after it.")
    commitment: str | None
    committed_at: datetime | None
    registration_closes_at: datetime
    registrants: list[str] | None = Field(description="Sorted tickets; published once registration has closed.")
    registrants_hash: str | None
    seed: str | None = Field(description="Revealed at the draw.")
    winners_count: int | None
    winners: list[str] | None


class SweepOut(BaseModel):
    expired: int
    recycled: int


class AnnounceOut(BaseModel):
    delivered: int
    suppressed: int = Field(description="Residents who turned marketing off: nothing was pushed to them.")


class StatsLine(BaseModel):
    redeemed: int
    subsidy_paid_fen: int
    spending_driven_fen: int
    driven_per_yuan: float | None = Field(description="Spending driven per yuan of subsidy (order value / subsidy).")


class IndustryStats(StatsLine):
    category: MerchantCategory


class CampaignStats(StatsLine):
    campaign_id: int
    name: str
    total_quantity: int
    released: int
    claimed: int
    expired: int
    recycled: int
    subsidy_budget_fen: int
    funded_fen: int
    subsidy_balance_fen: int
    by_industry: list[IndustryStats]


class IssuerStats(BaseModel):
    campaigns: list[CampaignStats]
    by_industry: list[IndustryStats]
    total: StatsLine


class SubsidyLine(BaseModel):
    payment_id: int
    campaign_id: int
    amount_fen: int
    subsidy_fen: int
    refunded_fen: int
    subsidy_refunded_fen: int
    created_at: datetime


class MerchantSubsidyOut(BaseModel):
    merchant_id: int
    subsidy_received_fen: int = Field(description="Paid by the cities' coupons, net of refunds.")
    coupon_payments: int
    lines: list[SubsidyLine]
