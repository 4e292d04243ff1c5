"""Six PIN digits on the big keypad, shown as dots. Updated in place (no screen rebuild), so quick
taps are never lost; every screen that asks for the payment PIN uses it."""

from __future__ import annotations

import flet as ft

PIN_LENGTH = 6


class PinEntry:
    def __init__(self, screen) -> None:
        self.screen = screen
        self.pin = ""
        self._dots: ft.Semantics | None = None

    @property
    def complete(self) -> bool:
        return len(self.pin) == PIN_LENGTH

    def ready(self) -> bool:
        """Six digits typed and nothing under way; otherwise say what is missing and return False."""
        ui = self.screen.ui
        if ui.busy:
            return False        # a second tap while the first is under way must not send twice
        if not self.complete:
            ui.error = self.screen.t("pin.six_digits")
            ui.render()
            return False
        return True

    def clear(self) -> None:
        self.pin = ""

    def after_refusal(self, error: Exception) -> bool:
        """A money screen's refusal handler (its `step` goes to "pin" when the server asks for the PIN):
        True when it was that; a wrong PIN clears what was typed (the sentence says how many tries are left)."""
        if self.screen.ui.session.needs_pin(error):
            self.screen.step = "pin"
            self.clear()
            return True
        if self.screen.step == "pin":
            self.clear()
        return False

    def controls(self) -> list[ft.Control]:
        kit, t = self.screen.kit, self.screen.t
        self._dots = kit.amount(self._dot_text(), identifier="pin-dots", label=t("pay.pin_count", count=len(self.pin)))
        return [self._dots, kit.keypad(self.key, "pin", with_dot=False, labels={"back": t("keypad.delete")})]

    def step(self, amount_fen: int, submit_words: str, on_submit) -> list[ft.Control]:
        """The whole PIN step of a money action: why the PIN is asked, the dots, the keypad, the submit button."""
        kit, t, ui = self.screen.kit, self.screen.t, self.screen.ui
        return [kit.body(t("pay.pin_why", amount=t.money(amount_fen))), *self.controls(),
                kit.button(submit_words, on_submit, "pin-submit", icon=ft.Icons.LOCK_OPEN, disabled=ui.busy)]

    def _dot_text(self) -> str:
        return " ".join("●" if i < len(self.pin) else "○" for i in range(PIN_LENGTH))

    def key(self, key: str) -> None:
        self.pin = self.pin[:-1] if key == "back" else (self.pin + key)[:PIN_LENGTH]
        if self._dots is not None:
            self._dots.content.value = self._dot_text()
            self._dots.label = self.screen.t("pay.pin_count", count=len(self.pin))
        self.screen.ui.refresh()
