"""A relative sets an elder up from scratch, on the elder's phone (docs/family.md): the relative makes the
account (care mode on), hands the phone over, the elder reads what the relative may do and then types
their own password and PIN. Finishing signs the relative out of this phone and the elder in."""

from __future__ import annotations

from typing import Any

import flet as ft

from app.family import grant_in_words
from ui.shell import Screen
from ui.views.pin_entry import PinEntry


class ElderSetupScreen(Screen):
    title_key = "family.setup_title"

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.step = "details"          # details -> handover (the elder reads) -> secrets (the elder types)
        self.username = self.display_name = self.phone = self.password = ""
        self.setup: Any = None         # ElderSetupOut: the link and the one-time setup token
        self.preview: Any = None       # LinkOut: the grant the elder reads before finishing
        self.pin = PinEntry(self)

    def title(self) -> str:
        if self.step == "details":
            return self.t("family.setup_title")
        return self.t("family.setup_welcome", name=self.setup.link.elder.display_name)

    def build(self) -> list[ft.Control]:
        return {"details": self._details, "handover": self._handover, "secrets": self._secrets}[self.step]()

    # ---- 1. the relative ----------------------------------------------------------------------

    def _details(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        return [kit.muted(t("family.setup_hint")),
                kit.field(t("family.setup_name"), "setup-elder-name", value=self.display_name,
                          on_change=lambda e: setattr(self, "display_name", e.control.value)),
                kit.field(t("family.setup_username"), "setup-elder-username", value=self.username,
                          on_change=lambda e: setattr(self, "username", e.control.value)),
                kit.field(t("family.setup_phone"), "setup-elder-phone", value=self.phone,
                          keyboard=ft.KeyboardType.PHONE, on_change=lambda e: setattr(self, "phone", e.control.value)),
                kit.button(t("family.setup_create"), self.create, "setup-elder-create", icon=ft.Icons.PERSON_ADD,
                           disabled=self.ui.busy)]

    def create(self, _event=None) -> None:
        username, name, phone = self.username.strip(), self.display_name.strip(), self.phone.strip() or None
        if not username or not name:
            self.ui.error = self.t("signin.missing")
            self.ui.render()
            return
        family, language = self.ui.session.family, self.ui.state.prefs.language
        def create_and_preview():
            setup = family.set_up_elder(username, name, phone=phone, language=language)
            # What the elder will agree to, as the server states it for the setup token (not as typed here).
            return setup, family.preview_setup(setup.setup_token)

        self.ui.run(create_and_preview, self._created, busy_key="busy.saving")

    def _created(self, created: tuple[Any, Any]) -> None:
        setup, self.preview = created
        self.setup = setup
        self.step = "handover"
        self.ui.announce(self.t("family.setup_hand_over", name=setup.link.elder.display_name))

    # ---- 2. the elder reads what the relative may do -------------------------------------------

    def _handover(self) -> list[ft.Control]:
        kit, t, link = self.kit, self.t, self.preview
        lines = grant_in_words(link.grant, t, relative=link.relative.display_name)
        return [kit.notice(t("family.setup_hand_over", name=link.elder.display_name), "setup-hand-over",
                           icon=ft.Icons.PHONE_ANDROID),
                kit.card([kit.body(x) for x in lines], identifier="setup-grant", label=" ".join(lines)),
                kit.button(t("family.setup_i_agree"), self.agree, "setup-elder-agree", icon=ft.Icons.CHECK)]

    def agree(self, _event=None) -> None:
        self.step = "secrets"
        self.pin.clear()
        self.ui.render()

    # ---- 3. the elder's own password and PIN ---------------------------------------------------

    def _secrets(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        return [kit.body(t("family.setup_secrets")),
                kit.field(t("signin.password"), "setup-elder-password", value=self.password, password=True,
                          on_change=lambda e: setattr(self, "password", e.control.value)),
                kit.body(t("family.setup_pin")),
                *self.pin.controls(),
                kit.button(t("family.setup_finish"), self.finish, "setup-elder-finish", icon=ft.Icons.LOCK,
                           disabled=self.ui.busy)]

    def finish(self, _event=None) -> None:
        if not self.password or not self.pin.ready():
            if not self.password:
                self.ui.error = self.t("signin.missing")
                self.ui.render()
            return
        family, token, password, pin = self.ui.session.family, self.setup.setup_token, self.password, self.pin.pin
        self.ui.run(lambda: family.finish_elder_setup(token, password, pin), self._finished, busy_key="busy.saving")

    def _finished(self, _result: Any) -> None:
        self.password = ""
        self.pin.clear()
        self.ui.session.device.mark_setup_done(self.ui.state.username)   # care mode was chosen for them
        self.ui.restyle()        # the elder's look (care mode) from now on
        self.ui.home()
        self.ui.announce(self.t("family.setup_done", name=self.ui.state.user.display_name))
