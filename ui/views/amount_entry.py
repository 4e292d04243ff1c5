"""An amount typed on the big keypad, shown large and updated in place (no rebuild, so quick taps
are never lost). Paying, charging a code and charging a card all use it."""

from __future__ import annotations

import flet as ft

MAX_AMOUNT_FEN = 100_000_000     # the server's ceiling: 1,000,000 CNY


def amount_from_keys(keys: str) -> int | None:
    """'12.5' -> 1250 fen. None when nothing (or only a dot) has been typed."""
    if not keys or keys == ".":
        return None
    whole, _, cents = keys.partition(".")
    return int(whole or "0") * 100 + int((cents + "00")[:2])


def press(keys: str, key: str) -> str:
    """The typed amount after one key: at most two decimals, one dot, no leading zeros."""
    if key == "back":
        return keys[:-1]
    if key == ".":
        return keys if "." in keys else (keys or "0") + "."
    if "." in keys and len(keys.partition(".")[2]) >= 2:
        return keys
    candidate = keys + key if keys != "0" else key
    amount = amount_from_keys(candidate)
    return candidate if amount is not None and amount <= MAX_AMOUNT_FEN else keys


class AmountEntry:
    def __init__(self, screen, identifier: str = "pay-amount", key_prefix: str = "key") -> None:
        self.screen = screen
        self.identifier = identifier
        self.key_prefix = key_prefix
        self.keys = ""
        self._view: ft.Semantics | None = None

    @property
    def fen(self) -> int | None:
        return amount_from_keys(self.keys)

    def set_fen(self, fen: int) -> None:
        yuan, cents = divmod(fen, 100)
        self.keys = f"{yuan}.{cents:02d}"

    def clear(self) -> None:
        self.keys = ""

    def _words(self) -> tuple[str, str]:
        shown = self.screen.t.money(self.fen or 0)
        return shown, self.screen.t("pay.amount_is", amount=shown)

    def display(self) -> ft.Control:
        shown, label = self._words()
        self._view = self.screen.kit.amount(shown, identifier=self.identifier, label=label)
        return self._view

    def keypad(self) -> ft.Control:
        t = self.screen.t
        return self.screen.kit.keypad(self.key, self.key_prefix, with_dot=True,
                                      labels={".": t("keypad.dot"), "back": t("keypad.delete")})

    def step(self, header: ft.Control, on_continue, identifier: str) -> list[ft.Control]:
        """The whole "how much" step: what it is for, the amount, the keypad, Continue (`identifier`)."""
        kit, t = self.screen.kit, self.screen.t
        return [header, self.display(), self.keypad(),
                kit.button(t("pay.continue"), on_continue, identifier, icon=ft.Icons.ARROW_FORWARD)]

    def required(self) -> int | None:
        """The amount typed, or None after saying on screen that one is needed."""
        if not self.fen:
            self.screen.ui.error = self.screen.t("pay.amount_missing")
            self.screen.ui.render()
        return self.fen or None

    def key(self, key: str) -> None:
        self.keys = press(self.keys, key)
        if self._view is not None:
            self._view.content.value, self._view.label = self._words()
        self.screen.ui.refresh()
