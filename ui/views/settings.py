"""Settings: care mode, text size, contrast, marketing, voice, speech rate, language, PIN, my campus card;
sign out; forget this device. Each change is saved on the server, so every device agrees."""

from __future__ import annotations


import flet as ft

from app.i18n import LANGUAGE_NAMES, SUPPORTED
from app.state import FONT_SCALE_STEPS
from ui.shell import Screen
from ui.views.campus_card import CampusCardScreen

SPEECH_RATES = (70, 85, 100, 120)


class SettingsScreen(Screen):
    title_key = "settings.title"

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.confirm_forget = False

    def build(self) -> list[ft.Control]:
        kit, t, prefs = self.kit, self.t, self.ui.state.prefs
        on, off = t("settings.on"), t("settings.off")
        controls: list[ft.Control] = [
            kit.toggle(t("settings.care_mode"), prefs.care_mode, lambda v: self.save(care_mode=v), "settings-care",
                       detail=t("settings.care_mode_detail"), on_words=on, off_words=off),
            kit.muted(t("settings.text_size")),
            kit.choice_row([(str(p), f"{p}%") for p in FONT_SCALE_STEPS], str(prefs.font_scale_percent),
                           lambda v: self.save(font_scale_percent=int(v)), "settings-text-size",
                           columns=3),
            kit.toggle(t("settings.high_contrast"), prefs.high_contrast, lambda v: self.save(high_contrast=v),
                       "settings-contrast", on_words=on, off_words=off),
        ]
        if prefs.care_mode:
            controls.append(kit.muted(t("settings.marketing_off_in_care")))
        else:
            controls.append(kit.toggle(t("settings.marketing"), prefs.marketing_allowed,
                                       lambda v: self.save(marketing_allowed=v), "settings-marketing",
                                       detail=t("settings.marketing_detail"), on_words=on, off_words=off))
        controls += [
            kit.toggle(t("settings.voice"), prefs.voice_enabled, lambda v: self.save(voice_enabled=v),
                       "settings-voice", detail=t("settings.voice_detail"), on_words=on, off_words=off),
            kit.muted(t("settings.speech_rate")),
            kit.choice_row([(str(r), t(f"settings.speech_rate.{r}")) for r in SPEECH_RATES],
                           str(prefs.speech_rate_percent), lambda v: self.save(speech_rate_percent=int(v)),
                           "settings-speech-rate", columns=2),
            kit.muted(t("signin.language")),
            kit.choice_row([(code, LANGUAGE_NAMES[code]) for code in SUPPORTED], prefs.language,
                           lambda code: self.save(language=code), "settings-language"),
            kit.button(t("settings.set_pin"), lambda e: self.ui.open(SetPinScreen(self.ui)), "settings-set-pin",
                       icon=ft.Icons.PIN, primary=False),
            kit.button(t("settings.campus_card"), self.open_campus_card, "settings-campus-card",
                       icon=ft.Icons.SCHOOL, primary=False),
            kit.button(t("settings.sign_out"), self.sign_out, "settings-sign-out", icon=ft.Icons.LOGOUT,
                       primary=False),
        ]
        if self.confirm_forget:
            controls += kit.confirmation(t("settings.forget_confirm_text"), "settings-forget-warning",
                                         (t("settings.forget_yes"), self.forget, "settings-forget-yes"),
                                         (t("settings.forget_no"), self.cancel_forget, "settings-forget-no"))
        else:
            controls.append(kit.button(t("settings.forget"), self.ask_forget, "settings-forget",
                                       icon=ft.Icons.PHONELINK_ERASE, primary=False))
        return controls

    def open_campus_card(self, _event=None) -> None:
        self.ui.open(CampusCardScreen(self.ui))

    def save(self, **changes: object) -> None:
        self.ui.run(lambda: self.ui.session.save_preferences(**changes), lambda _prefs: self.ui.restyle(),
                    busy_key="busy.saving")

    def sign_out(self, _event=None) -> None:
        self.ui.run(self.ui.session.sign_out, lambda _: self._to_sign_in(), on_error=self._signed_out_anyway,
                    busy_key="busy.signing_out")

    def ask_forget(self, _event=None) -> None:
        self.confirm_forget = True
        self.ui.render()

    def cancel_forget(self, _event=None) -> None:
        self.confirm_forget = False
        self.ui.render()

    def forget(self, _event=None) -> None:
        self.ui.run(self.ui.session.forget_device, lambda _: self._to_sign_in(), on_error=self._signed_out_anyway,
                    busy_key="busy.signing_out")

    def _signed_out_anyway(self, error: Exception) -> bool:
        # Signed out here even when the server could not be told: say so on the sign-in screen.
        self._to_sign_in()
        self.ui.show_error(error)
        return True

    def _to_sign_in(self) -> None:
        from ui.views.sign_in import SignInScreen
        self.ui.restyle()
        self.ui.replace(SignInScreen(self.ui))


class SetPinScreen(Screen):
    """Set or change the 6-digit payment PIN (the account password confirms it is you)."""

    title_key = "pin.title"

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.password = ""
        self.pin = ""
        self.again = ""
        self.done = False

    def build(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        if self.done:
            return [kit.notice(t("pin.saved"), "pin-saved", icon=ft.Icons.CHECK_CIRCLE),
                    kit.button(t("nav.back"), self.ui.back, "pin-done")]
        return [
            kit.body(t("pin.explain")),
            kit.field(t("signin.password"), "pin-password", password=True, value=self.password,
                      on_change=lambda e: setattr(self, "password", e.control.value)),
            kit.field(t("pin.new"), "pin-new", password=True, value=self.pin, keyboard=ft.KeyboardType.NUMBER,
                      on_change=lambda e: setattr(self, "pin", e.control.value)),
            kit.field(t("pin.again"), "pin-again", password=True, value=self.again, keyboard=ft.KeyboardType.NUMBER,
                      on_change=lambda e: setattr(self, "again", e.control.value)),
            kit.button(t("pin.save"), self.save, "pin-save", icon=ft.Icons.SAVE),
        ]

    def save(self, _event=None) -> None:
        if not (self.pin.isdigit() and len(self.pin) == 6):
            self.ui.error = self.t("pin.six_digits")
        elif self.pin != self.again:
            self.ui.error = self.t("pin.mismatch")
        elif not self.password:
            self.ui.error = self.t("signin.missing")
        else:
            password, pin = self.password, self.pin
            self.ui.run(lambda: self.ui.session.set_pin(password, pin), self._saved, busy_key="busy.saving")
            return
        self.ui.render()

    def _saved(self, _result) -> None:
        self.done, self.password, self.pin, self.again = True, "", "", ""
