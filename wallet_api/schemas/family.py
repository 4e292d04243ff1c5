"""Wire models for delegated family operation (docs/family.md).

An elder grants a relative a set of scopes and limits; the relative then sends
`Acting-For: <elder's username or user id>` on requests made for the elder.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field, StrictBool, StringConstraints

from wallet_api.schemas import AmountFen, Pin, Username, Wire

ACTING_FOR_HEADER = "Acting-For"


class Scope(StrEnum):
    """What a relative may do for the elder. Each API route needs one (wallet_api/family/scopes.py)."""

    VIEW = "view"                        # balance, history, cards, coupons, messages, settings
    PAY_BILLS = "pay_bills"              # pay utilities merchants (water, power, gas, phone)
    PAY_MERCHANTS = "pay_merchants"      # pay other merchants, buy and top up prepaid cards
    TOP_UP = "top_up"                    # top the wallet up from the elder's own bank card
    MANAGE_CARDS = "manage_cards"        # link and remove bank cards, return prepaid cards, complain
    MANAGE_SETTINGS = "manage_settings"  # care mode, text size, contrast, voice, language
    CLAIM_COUPONS = "claim_coupons"      # claim city coupons and enter their lotteries


class LinkStatus(StrEnum):
    INVITED = "invited"     # the elder invited by name; the relative has not accepted yet
    SETUP = "setup"         # a relative created the account; the elder has not finished setting it up
    ACTIVE = "active"
    ENDED = "ended"
    EXPIRED = "expired"     # an invitation by name not accepted in time (shown, never stored: it stays `invited`)


class GrantIn(Wire):
    """What the relative may do. Limits bound delegated payments instead of the elder's PIN."""

    scopes: list[Scope] = Field(min_length=1, max_length=len(Scope))
    per_payment_limit_fen: AmountFen = Field(default=20_000, description="Largest single delegated payment.")
    per_day_limit_fen: AmountFen = Field(default=50_000, description="Delegated payments per day (China time).")
    expires_at: AwareDatetime | None = Field(default=None, description="The grant ends by itself at this moment.")


class GrantOut(BaseModel):
    scopes: list[Scope]
    per_payment_limit_fen: int
    per_day_limit_fen: int
    expires_at: datetime | None
    spent_today_fen: int


class PersonOut(BaseModel):
    id: int
    username: str
    display_name: str
    phone: str | None = Field(default=None, description=(
        "The phone number this person gave at sign-up. Only in a family link, only for the other party of an "
        "active link, and only to the two people in it (care mode's \"Call my family\"); never for an invited, "
        "ended or set-up link, never elsewhere."))


class LinkOut(BaseModel):
    id: int
    status: LinkStatus
    elder: PersonOut
    relative: PersonOut
    grant: GrantOut
    created_at: datetime
    ended_at: datetime | None
    invite_expires_at: datetime | None = Field(
        default=None, description="An invitation by name (`invited` or `expired`): when it expires if not accepted.")


class LinksOut(BaseModel):
    looking_after: list[LinkOut] = Field(description="Elders the signed-in user helps (they are the relative).")
    looked_after_by: list[LinkOut] = Field(description="Relatives who help the signed-in user (they are the elder).")


class InviteIn(Wire):
    relative: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=40)] = Field(
        description="The relative's username or phone number.")
    grant: GrantIn


class InviteCodeIn(Wire):
    grant: GrantIn


class InviteCodeOut(BaseModel):
    token: str = Field(description="Show it as a QR (app/qr.py); the relative's app sends it back to accept.")
    qr_payload: str
    expires_at: datetime


class InviteCodeAcceptIn(Wire):
    token: Annotated[str, StringConstraints(strip_whitespace=True, min_length=16, max_length=120)]


class ElderSetupIn(Wire):
    """A relative creates the elder's account, with the elder present."""

    username: Username
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9]{6,15}$")] | None = None
    language: Literal["en", "zh-CN", "ko"] = "zh-CN"
    care_mode: StrictBool = True
    grant: GrantIn


class ElderSetupOut(BaseModel):
    link: LinkOut
    setup_token: str = Field(description="One-time, short-lived: hand the phone to the elder, who sends it to "
                                         "/v1/family/setup with their own password and PIN.")
    expires_at: datetime


class SetupPreviewIn(Wire):
    setup_token: Annotated[str, StringConstraints(min_length=16, max_length=120)]


class SetupPreviewOut(BaseModel):
    """What the elder agrees to by finishing the setup, shown to them first."""

    link: LinkOut


class SetupFinishIn(Wire):
    setup_token: Annotated[str, StringConstraints(min_length=16, max_length=120)]
    password: Annotated[str, StringConstraints(min_length=8, max_length=128)]
    pin: Pin


class DelegatedActionOut(BaseModel):
    id: int
    actor: PersonOut
    subject: PersonOut
    action: str
    scope: Scope
    amount_fen: int | None
    transfer_id: int | None
    created_at: datetime


__all__ = ["ACTING_FOR_HEADER", "DelegatedActionOut", "ElderSetupIn", "ElderSetupOut", "GrantIn", "GrantOut",
           "InviteCodeAcceptIn", "InviteCodeIn", "InviteCodeOut", "InviteIn", "LinkOut", "LinkStatus", "LinksOut",
           "PersonOut", "Scope", "SetupFinishIn", "SetupPreviewIn", "SetupPreviewOut"]
