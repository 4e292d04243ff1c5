"""Family: the people I look after and the people who look after me, each grant in plain words,
"act for Mum" (the shell then shows a banner on every screen), invitations by name or one-time QR,
family cards, and the safety guardian's approvals (docs/family.md, docs/family-card-and-guardian.md).

Care mode keeps it simple for the elder: who helps me and what they may do, one clear button to end
it (after a confirmation), my waiting payments in words, and the family card I hold.
"""

from __future__ import annotations

from typing import Any

LinkOut = Any   # wallet_api.schemas.family.LinkOut (ui never imports the server's package)

import flet as ft

from app.family import (FamilyOverview, grant_in_words, invite_expiry_in_words, read_overview, status_in_words,
                        yuan_to_fen)
from ui.shell import Screen
from ui.views.family_parts import FamilyMoneyParts, InviteParts


class FamilyScreen(Screen):
    title_key = "family.title"

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.overview: FamilyOverview | None = None
        self.ending: LinkOut | None = None            # a link whose end waits for "Yes, end it"
        self.invite = InviteParts(self)
        self.money = FamilyMoneyParts(self)

    @property
    def care(self) -> bool:
        return self.ui.state.prefs.care_mode

    def on_show(self) -> None:
        self.reload()

    def reload(self, _result: Any = None) -> None:
        client = self.ui.session.client
        self.ui.run(lambda: read_overview(client), self._loaded, busy_key="busy.loading")

    def _loaded(self, overview: FamilyOverview) -> None:
        self.overview = overview

    # ---- drawing ------------------------------------------------------------------------------

    def build(self) -> list[ft.Control]:
        if self.ending is not None:
            return self._confirm_end()
        controls: list[ft.Control] = []
        if self.ui.state.acting_for_name:
            controls.append(self.kit.button(self.t("family.stop_acting", name=self.ui.state.acting_for_name),
                                            self.stop_acting, "family-stop-acting", icon=ft.Icons.PERSON))
        if self.overview is None:
            return controls
        o = self.overview
        controls += self.money.waiting()           # the elder's own waiting payments come first: money is moving
        controls += self._helpers(o.links.looked_after_by)
        if self.care:
            return controls + self.money.held_cards()
        controls += self._cared_for(o.links.looking_after)
        controls += self.money.approvals()
        controls += self.money.cards()
        controls += self.money.guardian()
        controls += self.invite.controls()
        controls += [self._section("family.setup_title", "family-setup-title"), self.kit.muted(self.t("family.setup_hint")),
                     self.kit.button(self.t("family.setup_start"), self.set_up_elder, "family-setup-elder",
                                     icon=ft.Icons.PERSON_ADD, primary=False)]
        return controls

    def set_up_elder(self, _event=None) -> None:
        from ui.views.family_setup import ElderSetupScreen
        self.ui.open(ElderSetupScreen(self.ui))

    def _section(self, key: str, identifier: str) -> ft.Control:
        return self.kit.text(self.t(key), size=self.kit.s.button_text, weight=ft.FontWeight.BOLD,
                             identifier=identifier)

    def _people(self, title_key: str, identifier: str, none_key: str,
                links: list[LinkOut]) -> tuple[list[ft.Control], list[LinkOut]]:
        """A section's heading (and "nobody" when empty), and its links that have not ended."""
        live = [link for link in links if link.status != "ended"]
        controls = [self._section(title_key, identifier)]
        if not live:
            controls.append(self.kit.muted(self.t(none_key)))
        return controls, live

    def _link_card(self, link: LinkOut, name: str, identifier: str, **whom: str) -> ft.Control:
        """One person and what the grant lets them do, in words (shown, and as one accessible label)."""
        until = invite_expiry_in_words(link, self.t)
        lines = [status_in_words(link, self.t), *([until] if until else []), *grant_in_words(link.grant, self.t, **whom)]
        return self.kit.card([self.kit.text(name, weight=ft.FontWeight.BOLD), *[self.kit.body(x) for x in lines]],
                             identifier=identifier, label=". ".join([name, *lines]))

    def _helpers(self, links: list[LinkOut]) -> list[ft.Control]:
        """The people who look after me, with what each may do, to change or end."""
        kit, t = self.kit, self.t
        controls, live = self._people("family.helpers", "family-helpers", "family.helpers_none", links)
        for link in live:
            name = link.relative.display_name
            controls.append(self._link_card(link, name, f"family-helper-{link.id}", relative=name))
            if not self.care and link.status != "expired":   # an expired invitation: end it or invite again
                controls.append(kit.button(t("family.edit_grant", name=name), lambda e, x=link: self.edit(x),
                                           f"family-edit-{link.id}", icon=ft.Icons.TUNE, primary=False))
            controls.append(kit.button(t("family.end_helper", name=name), lambda e, x=link: self.ask_end(x),
                                       f"family-end-{link.id}", icon=ft.Icons.BLOCK, primary=self.care))
        return controls

    def _cared_for(self, links: list[LinkOut]) -> list[ft.Control]:
        """The people I look after: accept an invitation, act for them, or stop."""
        kit, t = self.kit, self.t
        controls, live = self._people("family.cared_for", "family-cared-for", "family.cared_for_none", links)
        for link in live:
            name = link.elder.display_name
            controls.append(self._link_card(link, name, f"family-elder-{link.id}", elder=name))
            if link.status == "invited":
                controls.append(kit.button(t("family.accept", name=name), lambda e, x=link: self.accept(x),
                                           f"family-accept-{link.id}", icon=ft.Icons.CHECK))
            if link.status in ("invited", "expired"):          # an expired one can only be cleared away
                controls.append(kit.button(t("family.decline"), lambda e, x=link: self.ask_end(x),
                                           f"family-decline-{link.id}", primary=False))
            elif link.status == "active" and self.ui.state.acting_for != link.elder.username:
                controls.append(kit.button(t("family.act_for", name=name), lambda e, x=link: self.act_for(x),
                                           f"family-act-{link.id}", icon=ft.Icons.SUPERVISOR_ACCOUNT))
        return controls

    # ---- acting for someone -------------------------------------------------------------------

    def act_for(self, link: LinkOut) -> None:
        family = self.ui.session.family
        self.ui.run(lambda: family.act_for(link), self._acting, busy_key="busy.switching")

    def _acting(self, _balance: int) -> None:
        self.ui.announce(self.t("family.acting_for_now", name=self.ui.state.acting_for_name))
        self.ui.home()       # her home: her balance, her pay, her bills — under the banner

    def stop_acting(self, _event=None) -> None:
        self.ui.run(self.ui.session.family.stop_acting, self.reload, busy_key="busy.switching")

    # ---- changing and ending ------------------------------------------------------------------

    def accept(self, link: LinkOut) -> None:
        family = self.ui.session.family
        self.ui.run(lambda: family.accept(link), self.reload, busy_key="busy.working")

    def edit(self, link: LinkOut) -> None:
        from ui.views.family_grant import GrantScreen
        self.ui.open(GrantScreen(self.ui, link))

    def ask_end(self, link: LinkOut) -> None:
        self.ending = link
        self.ui.announce(self._end_question())
        self.ui.render()

    def _end_question(self) -> str:
        link, me = self.ending, self.ui.state.username
        if link.elder.username == me:
            return self.t("family.end_question_elder", name=link.relative.display_name)
        return self.t("family.end_question_relative", name=link.elder.display_name)

    def _confirm_end(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        return kit.confirmation(self._end_question(), "family-end-question",
                                (t("family.end_yes"), self.end, "family-end-yes"),
                                (t("family.end_no"), self.keep, "family-end-no"), yes_icon=ft.Icons.BLOCK)

    def keep(self, _event=None) -> None:
        self.ending = None
        self.ui.render()

    def end(self, _event=None) -> None:
        link, family = self.ending, self.ui.session.family
        self.ending = None
        self.ui.run(lambda: family.end(link), self._ended, busy_key="busy.working")

    def _ended(self, _result: Any) -> None:
        self.ui.announce(self.t("family.ended_now"))
        self.reload()

    def amount_or_error(self, text: str) -> int | None:
        fen = yuan_to_fen(text)
        if not fen:
            self.ui.error = self.t("family.amount_wrong")
            self.ui.render()
        return fen
