"""The family endpoints (docs/family.md) on top of WalletClient: one typed method each.

All of them are personal (granting, accepting, ending), so they are always sent as oneself, even
while the client is acting for someone. Acting for someone is `WalletClient.acting_for`.
"""

from __future__ import annotations

from app.api_client import WalletClient
from wallet_api.schemas import TokensOut
from wallet_api.schemas.family import (
    DelegatedActionOut, ElderSetupIn, ElderSetupOut, GrantIn, InviteCodeAcceptIn, InviteCodeIn, InviteCodeOut,
    InviteIn, LinkOut, LinksOut, SetupFinishIn, SetupPreviewIn, SetupPreviewOut,
)


class FamilyClient(WalletClient):
    # ---- the elder ----------------------------------------------------------------------------

    def invite_relative(self, body: InviteIn) -> LinkOut:
        return self._post(LinkOut, "/v1/family/invites", body, as_self=True)

    def invite_code(self, body: InviteCodeIn) -> InviteCodeOut:
        return self._post(InviteCodeOut, "/v1/family/invite-codes", body, as_self=True)

    def set_grant(self, link_id: int, body: GrantIn) -> LinkOut:
        response = self._t.request("PUT", f"/v1/family/links/{link_id}/grant", json=body.model_dump(mode="json"),
                                   as_self=True)
        return LinkOut.model_validate(response.json())

    # ---- the relative -------------------------------------------------------------------------

    def accept_invite_code(self, body: InviteCodeAcceptIn) -> LinkOut:
        return self._post(LinkOut, "/v1/family/invite-codes/accept", body, as_self=True)

    def accept_link(self, link_id: int) -> LinkOut:
        return self._post(LinkOut, f"/v1/family/links/{link_id}/accept", as_self=True)

    def create_elder(self, body: ElderSetupIn) -> ElderSetupOut:
        return self._post(ElderSetupOut, "/v1/family/elders", body, as_self=True)

    # ---- both ---------------------------------------------------------------------------------

    def family_links(self) -> LinksOut:
        return self._get(LinksOut, "/v1/family/links", as_self=True)

    def family_link(self, link_id: int) -> LinkOut:
        return self._get(LinkOut, f"/v1/family/links/{link_id}", as_self=True)

    def end_link(self, link_id: int) -> None:
        self._t.request("DELETE", f"/v1/family/links/{link_id}", as_self=True)

    def link_actions(self, link_id: int) -> list[DelegatedActionOut]:
        response = self._t.request("GET", f"/v1/family/links/{link_id}/actions", as_self=True)
        return [DelegatedActionOut.model_validate(a) for a in response.json()]

    # ---- the elder finishing an account a relative made (no sign-in needed) -------------------

    def setup_preview(self, body: SetupPreviewIn) -> SetupPreviewOut:
        return self._post(SetupPreviewOut, "/v1/family/setup/preview", body, auth=False)

    def finish_setup(self, body: SetupFinishIn) -> TokensOut:
        """The elder's own password and PIN; signs this client in as the elder."""
        tokens = self._post(TokensOut, "/v1/family/setup", body, auth=False)
        self._t.keep_tokens(tokens)
        return tokens
