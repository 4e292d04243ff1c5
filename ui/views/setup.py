"""The first sign-in on a device: a short setup that offers care mode. Skippable."""

from __future__ import annotations

import flet as ft

from app.i18n import LANGUAGE_NAMES, SUPPORTED
from ui.shell import Screen


class SetupScreen(Screen):
    title_key = "setup.title"
    is_home = True

    def __init__(self, ui, language: str | None = None) -> None:
        super().__init__(ui)
        # The language chosen on the sign-in screen wins over the account's stored one.
        self.language = language or ui.state.prefs.language

    def on_show(self) -> None:
        if self.language != self.ui.state.prefs.language:
            self.ui.state.prefs = self.ui.state.prefs.with_changes(language=self.language)
            self.ui.restyle()

    def build(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        return [
            kit.body(t("setup.care_question")),
            kit.muted(t("setup.care_explained")),
            kit.button(t("setup.care_yes"), lambda e: self.finish(care=True), "setup-care-on",
                       icon=ft.Icons.ACCESSIBILITY_NEW),
            kit.button(t("setup.care_no"), lambda e: self.finish(care=False), "setup-care-off", primary=False),
            kit.muted(t("signin.language")),
            kit.choice_row([(code, LANGUAGE_NAMES[code]) for code in SUPPORTED], self.language, self.pick_language,
                           "setup-language"),
            kit.button(t("setup.skip"), lambda e: self.finish(care=None), "setup-skip", primary=False),
            kit.muted(t("setup.later")),
        ]

    def pick_language(self, code: str) -> None:
        self.language = code
        self.ui.state.prefs = self.ui.state.prefs.with_changes(language=code)
        self.ui.apply_preferences()

    def finish(self, care: bool | None) -> None:
        changes: dict[str, object] = {"language": self.language}
        if care is not None:
            changes["care_mode"] = care
        self.ui.run(lambda: self.ui.session.finish_setup(**changes), self._done, busy_key="busy.saving")

    def _done(self, _prefs) -> None:
        self.ui.restyle()
        self.ui.home()
