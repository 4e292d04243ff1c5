"""Wire models of the safety guardian: guardianships and payments waiting for a guardian or a delay."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, StrictBool

from wallet_api.schemas import Username, Wire

GuardianshipStatus = Literal["invited", "active", "declined", "ended"]
PendingStatus = Literal["held", "delayed", "approved", "declined", "expired", "settled", "revoked"]


class GuardianInviteIn(Wire):
    guardian_username: Username
    delay_new_payee_transfers: StrictBool = Field(default=True, description=(
        "Transfers to a new payee wait ANXIN_GUARDIAN_TRANSFER_DELAY_MINUTES (default 120), revocable."))


class GuardianshipOut(BaseModel):
    id: int
    elder: str
    elder_username: str
    guardian: str
    guardian_username: str
    status: GuardianshipStatus
    delay_new_payee_transfers: bool
    created_at: datetime
    accepted_at: datetime | None
    ended_at: datetime | None


class GuardianOverview(BaseModel):
    my_guardian: GuardianshipOut | None = Field(description="Who guards my payments (active or invited).")
    i_guard: list[GuardianshipOut] = Field(description="Whom I guard, and invitations waiting for my answer.")


class WaitReason(BaseModel):
    code: Literal["new_payee", "unusual_amount", "rapid_repeats", "new_payee_delay"]
    message_key: str = Field(description="guardian.risk.<code>, for the client to say in the person's language.")
    params: dict[str, Any]
    text: str = Field(description="The same in English words.")


class PendingPaymentOut(BaseModel):
    """A payment that has not reached its payee yet: its money waits in `system:guardian_holds`."""

    id: int
    kind: Literal["merchant", "p2p"]
    reason: Literal["guardian", "delay"]
    status: PendingStatus
    amount_fen: int
    payer: str
    payee: str
    merchant_id: int | None
    payee_username: str | None
    guardian: str | None
    memo: str
    reasons: list[WaitReason]
    explanation: str = Field(description="Why it waits and what happens next, in English words.")
    created_at: datetime
    due_at: datetime = Field(description="held: released back to the payer if undecided by then; "
                                         "delayed: paid to the payee then.")
    decided_at: datetime | None
    payment_id: int | None = Field(description="The payment (receipt) once approved or settled.")
