"""Wire models of family cards ("pay for me"). Amounts are integer fen; months are Asia/Shanghai months."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool, StringConstraints

from wallet_api.schemas import Username, Wire

CapFen = Annotated[int, Field(strict=True, gt=0, le=100_000_000, description=(
    "The monthly cap in fen; the server's range is ANXIN_FAMILY_CARD_MIN_CAP_FEN..MAX (default 1..300000)."))]
CardStatus = Literal["offered", "active", "paused", "declined", "closed"]


class FamilyCardIn(Wire):
    holder_username: Username
    monthly_cap_fen: CapFen
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] = ""


class FamilyCardCapIn(Wire):
    monthly_cap_fen: CapFen


class FamilyCardPauseIn(Wire):
    paused: StrictBool


class FamilyCardOut(BaseModel):
    id: int
    giver: str
    giver_username: str
    holder: str
    holder_username: str
    status: CardStatus
    monthly_cap_fen: int
    note: str
    month: str = Field(description="The current card month, YYYY-MM in Asia/Shanghai time.")
    spent_this_month_fen: int
    left_this_month_fen: int
    created_at: datetime
    accepted_at: datetime | None
    closed_at: datetime | None


class FamilyCardsOut(BaseModel):
    given: list[FamilyCardOut]
    held: list[FamilyCardOut]
    cap_min_fen: int = Field(description="The lowest monthly cap this server allows (ANXIN_FAMILY_CARD_MIN_CAP_FEN).")
    cap_max_fen: int = Field(description="The highest monthly cap this server allows (ANXIN_FAMILY_CARD_MAX_CAP_FEN).")


class FamilyCardUseOut(BaseModel):
    id: int
    payment_id: int
    payee: str
    month: str
    amount_fen: int = Field(description="What the card (the giver) paid; a coupon's subsidy is not in it.")
    refunded_fen: int
    created_at: datetime
