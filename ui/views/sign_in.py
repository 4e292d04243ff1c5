"""Sign in, or create an account; the language can be chosen before anything else."""

from __future__ import annotations

import flet as ft

from app.i18n import LANGUAGE_NAMES, SUPPORTED
from ui.shell import Screen


class SignInScreen(Screen):
    title_key = "signin.title"
    is_home = True

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.registering = False
        self.username = ""
        self.password = ""
        self.display_name = ""

    def title(self) -> str:
        return self.t("register.title" if self.registering else "signin.title")

    def build(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        controls: list[ft.Control] = [kit.muted(t("signin.welcome"))]
        if self.registering:
            controls.append(kit.field(t("register.display_name"), "register-display-name", value=self.display_name,
                                      on_change=lambda e: setattr(self, "display_name", e.control.value)))
        controls += [
            kit.field(t("signin.username"), "signin-username", value=self.username,
                      on_change=lambda e: setattr(self, "username", e.control.value)),
            kit.field(t("signin.password"), "signin-password", value=self.password, password=True,
                      on_change=lambda e: setattr(self, "password", e.control.value), on_submit=self.submit),
            kit.button(t("register.submit" if self.registering else "signin.submit"), self.submit, "signin-submit",
                       icon=ft.Icons.LOGIN, disabled=self.ui.busy),
            kit.button(t("signin.have_account" if self.registering else "signin.create_account"),
                       self.switch_mode, "signin-switch", primary=False),
            kit.muted(t("signin.language")),
            kit.choice_row([(code, LANGUAGE_NAMES[code]) for code in SUPPORTED], self.ui.state.prefs.language,
                           self.pick_language, "signin-language"),
        ]
        return controls

    def switch_mode(self, _event=None) -> None:
        self.registering = not self.registering
        self.ui.render()

    def pick_language(self, code: str) -> None:
        self.ui.state.prefs = self.ui.state.prefs.with_changes(language=code)
        self.ui.apply_preferences()

    def submit(self, _event=None) -> None:
        if self.ui.busy:
            return          # one sign-in at a time, however often the button is pressed
        username, password = self.username.strip(), self.password
        if not username or not password or (self.registering and not self.display_name.strip()):
            self.ui.error = self.t("signin.missing")
            self.ui.render()
            return
        language = self.ui.state.prefs.language
        if self.registering:
            work = lambda: self.ui.session.register(username, password, self.display_name.strip())  # noqa: E731
        else:
            work = lambda: self.ui.session.sign_in(username, password)  # noqa: E731
        self.ui.run(work, lambda signed_in: self._signed_in(signed_in, language), busy_key="busy.signing_in")

    def _signed_in(self, signed_in, language_on_screen: str) -> None:
        self.password = ""
        if signed_in.first_time_here:
            from ui.views.setup import SetupScreen
            self.ui.restyle()
            self.ui.replace(SetupScreen(self.ui, language=language_on_screen))
        else:
            self.ui.restyle()
            self.ui.home()
