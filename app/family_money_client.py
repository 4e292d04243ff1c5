"""The family-card and safety-guardian endpoints (docs/family-card-and-guardian.md) on top of WalletClient.
Paying with a card is `pay_merchant` with `funding`; a payment that waits comes back as a PendingPaymentOut."""

from __future__ import annotations

from typing import Any, Literal

from app.api_client import M, WalletClient, _body, _key, _list_of
from wallet_api.schemas.family_card import (FamilyCardCapIn, FamilyCardIn, FamilyCardOut, FamilyCardPauseIn,
                                            FamilyCardsOut, FamilyCardUseOut)
from wallet_api.schemas.guardian import GuardianInviteIn, GuardianOverview, GuardianshipOut, PendingPaymentOut


class FamilyMoneyClient(WalletClient):
    """Every route here is personal (consent, approvals): never sent acting for someone else."""

    def _list(self, model: type[M], path: str, params: dict[str, Any] | None = None) -> list[M]:
        return _list_of(model).validate_python(self._t.request("GET", path, params=params, as_self=True).json())

    # ---- family cards ---------------------------------------------------------------------

    def offer_family_card(self, body: FamilyCardIn) -> FamilyCardOut:
        return self._post(FamilyCardOut, "/v1/family-cards", body, as_self=True)

    def family_cards(self) -> FamilyCardsOut:
        return self._get(FamilyCardsOut, "/v1/family-cards", as_self=True)

    def answer_family_card(self, card_id: int, accept: bool) -> FamilyCardOut:
        answer = "accept" if accept else "decline"
        return self._post(FamilyCardOut, f"/v1/family-cards/{card_id}/{answer}", as_self=True)

    def pause_family_card(self, card_id: int, paused: bool) -> FamilyCardOut:
        response = self._t.request("PUT", f"/v1/family-cards/{card_id}/paused",
                                   json=_body(FamilyCardPauseIn(paused=paused)), as_self=True)
        return FamilyCardOut.model_validate(response.json())

    def set_family_card_cap(self, card_id: int, monthly_cap_fen: int) -> FamilyCardOut:
        response = self._t.request("PUT", f"/v1/family-cards/{card_id}/cap",
                                   json=_body(FamilyCardCapIn(monthly_cap_fen=monthly_cap_fen)), as_self=True)
        return FamilyCardOut.model_validate(response.json())

    def close_family_card(self, card_id: int) -> FamilyCardOut:
        return self._post(FamilyCardOut, f"/v1/family-cards/{card_id}/close", as_self=True)

    def family_card_uses(self, card_id: int) -> list[FamilyCardUseOut]:
        return self._list(FamilyCardUseOut, f"/v1/family-cards/{card_id}/uses")

    # ---- the safety guardian and waiting payments -----------------------------------------

    def invite_guardian(self, body: GuardianInviteIn) -> GuardianshipOut:
        return self._post(GuardianshipOut, "/v1/guardian/invitations", body, as_self=True)

    def guardian_overview(self) -> GuardianOverview:
        return self._get(GuardianOverview, "/v1/guardian", as_self=True)

    def answer_guardianship(self, guardianship_id: int, accept: bool) -> GuardianshipOut:
        answer = "accept" if accept else "decline"
        return self._post(GuardianshipOut, f"/v1/guardian/{guardianship_id}/{answer}", as_self=True)

    def end_guardianship(self, guardianship_id: int) -> GuardianshipOut:
        return self._post(GuardianshipOut, f"/v1/guardian/{guardianship_id}/end", as_self=True)

    def pending_payments(self, *, role: Literal["payer", "guardian"] = "payer",
                         open_only: bool = False) -> list[PendingPaymentOut]:
        return self._list(PendingPaymentOut, "/v1/pending-payments", {"role": role, "open_only": open_only})

    def pending_payment(self, pending_id: int) -> PendingPaymentOut:
        return self._get(PendingPaymentOut, f"/v1/pending-payments/{pending_id}", as_self=True)

    def decide_pending_payment(self, pending_id: int, decision: Literal["approve", "decline", "revoke"], *,
                               idempotency_key: str | None = None) -> PendingPaymentOut:
        """approve / decline (the guardian), revoke (the payer). Retried under one key: decided once."""
        return self._post(PendingPaymentOut, f"/v1/pending-payments/{pending_id}/{decision}",
                          idempotency_key=_key(idempotency_key), as_self=True)
