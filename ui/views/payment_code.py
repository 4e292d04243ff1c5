"""My payment code: the code this device makes offline, as a QR and digits, with a countdown to the
next one; "Hide" for privacy; setting the device up (PIN, or the card centre's activation code);
the way to the card's settings (ui/views/campus_card.py); and a till's request that needs the person's PIN (confirm or decline), read back in words.

The code needs no network: it is recomputed from the device key and the clock every second. Only
looking for the till's requests goes to the server, quietly, every few seconds.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import flet as ft

from app.campus_code import PaymentCode
from app.payment_code import CodeCharges, CodeSetup
from ui.shell import Screen
from ui.views.campus_card import CampusCardScreen
from ui.views.pin_entry import PinEntry

POLL_EVERY_TICKS = 3        # look for the till's requests every 3 s while the code shows
QR_SIZE = 260


class PaymentCodeScreen(Screen):
    title_key = "code.title"

    def __init__(self, ui, clock: Callable[[], float] = time.time) -> None:
        super().__init__(ui)
        self.clock = clock
        self.setup: CodeSetup | None = None
        self.code: PaymentCode | None = None
        self.hidden = False
        self.activation = ""
        self.pin = PinEntry(self)
        self.opened_at = datetime.now(UTC)
        self.charges = CodeCharges([], [])
        self.confirm_key: str | None = None     # one idempotency key per confirmation
        self.ticks = 0
        self.ticking = False
        self.polling = False
        self._countdown: ft.Semantics | None = None

    @property
    def codes(self):
        return self.ui.session.codes

    def on_show(self) -> None:
        self.ui.run(self.codes.setup, self._set_up, busy_key="busy.loading")

    def _set_up(self, setup: CodeSetup) -> None:
        self.setup = setup
        if setup.key is not None:
            self.code = self.codes.code(setup.key, self.clock())
            if not self.ticking:
                self.ticking = True
                self.ui.every(1, self.tick)

    # ---- every second: the countdown, a new code, now and then the till's requests ------------

    def tick(self) -> bool:
        if self.ui.screen is not self or self.setup is None or self.setup.key is None:
            self.ticking = False
            return False
        fresh = self.codes.code(self.setup.key, self.clock())
        new_step = self.code is None or fresh.step != self.code.step
        self.code = fresh
        self._update_in_place(new_step)
        self.ticks += 1
        if self.ticks % POLL_EVERY_TICKS == 0:
            self.look_for_requests()
        return True

    def _update_in_place(self, new_step: bool) -> None:
        # No rebuild: a tap on "Hide" or a PIN key must never land on a control being replaced.
        if self._countdown is None or self.hidden or self.charges.waiting:
            return
        self._countdown.content.value = self._countdown_words()
        self._countdown.label = self._countdown_words()
        if new_step:
            self._qr.content.content.src = self.code.qr_png()
            self._digits.content.value = self.code.grouped
            self._digits.label = self.t("code.digits_are", code=self.code.grouped)
        self.ui.refresh()

    def look_for_requests(self) -> None:
        if self.polling:
            return
        self.polling = True
        self.ui.poll(lambda: self.codes.charges_since(self.opened_at), self._requests_seen)

    def _requests_seen(self, charges: CodeCharges | None) -> None:
        self.polling = False
        self._countdown: ft.Semantics | None = None
        if charges is None or _states(charges) == _states(self.charges):
            return
        newly_waiting = [c for c in charges.waiting if c.id not in {w.id for w in self.charges.waiting}]
        self.charges = charges
        if newly_waiting:
            self.pin.clear()
            self.confirm_key = uuid.uuid4().hex
            self.ui.announce(self._request_words(newly_waiting[0]))
        elif charges.settled:
            self.ui.announce(self._settled_words(charges.settled[0]))
            self.ui.poll(self.codes.setup, self._card_refreshed)     # today's spending has changed
        self.ui.render()

    def _card_refreshed(self, setup: CodeSetup | None) -> None:
        if setup is not None and self.setup is not None and setup.key == self.setup.key:
            self.setup = setup
            self.ui.render()

    # ---- drawing ----------------------------------------------------------------------------

    def build(self) -> list[ft.Control]:
        setup = self.setup
        if setup is None:
            return []
        if setup.card is None:
            return self._activate()
        if setup.key is None:
            return self._register(setup)
        if self.charges.waiting:
            return self._confirm(self.charges.waiting[0])
        return self._show_code(setup)

    def _show_code(self, setup: CodeSetup) -> list[ft.Control]:
        kit, t = self.kit, self.t
        card = setup.card
        controls: list[ft.Control] = []
        if self.charges.settled:
            controls.append(kit.notice(self._settled_words(self.charges.settled[0]), "code-last-charge",
                                       icon=ft.Icons.CHECK_CIRCLE_OUTLINE))
        if self.hidden:
            self._countdown = None
            return controls + [
                kit.notice(t("code.hidden"), "code-hidden", icon=ft.Icons.VISIBILITY_OFF),
                kit.button(t("code.show"), self.toggle_hidden, "code-show", icon=ft.Icons.VISIBILITY),
            ]
        code = self.code
        image = ft.Image(src=code.qr_png(), width=QR_SIZE, height=QR_SIZE, fit=ft.BoxFit.CONTAIN)
        self._qr = ft.Semantics(identifier="code-qr", image=True, label=t("code.qr_label"),
                                content=ft.Container(image, alignment=ft.Alignment.CENTER, bgcolor="#FFFFFF",
                                                     padding=12))
        self._digits = ft.Semantics(identifier="code-digits", label=t("code.digits_are", code=code.grouped),
                                    exclude_semantics=True,
                                    content=ft.Text(code.grouped, text_align=ft.TextAlign.CENTER,
                                                    style=self.kit.style.text_style(kit.s.heading,
                                                                                    weight=ft.FontWeight.BOLD)))
        self._countdown = ft.Semantics(identifier="code-countdown", label=self._countdown_words(),
                                       exclude_semantics=True,
                                       content=ft.Text(self._countdown_words(), text_align=ft.TextAlign.CENTER,
                                                       style=self.kit.style.text_style(kit.s.body)))
        controls += [
            kit.muted(t("code.show_to_cashier", campus=_campus_name(card, t.locale))),
            self._qr, self._digits, self._countdown,
            kit.notice(t("code.brightness"), "code-brightness", icon=ft.Icons.BRIGHTNESS_HIGH),
            kit.button(t("code.hide"), self.toggle_hidden, "code-hide", icon=ft.Icons.VISIBILITY_OFF,
                       primary=False),
            kit.muted(t("code.today", spent=t.money(card.spent_today_fen), limit=t.money(card.daily_limit_fen)),
                      identifier="code-today"),
            kit.muted(t("code.offline")),
            self._settings_button(),
        ]
        return controls

    def _settings_button(self) -> ft.Control:
        return self.kit.button(self.t("code.card_open"), self.open_card_settings, "code-card-settings",
                               icon=ft.Icons.SETTINGS, primary=False)

    def open_card_settings(self, _event=None) -> None:
        self.ui.open(CampusCardScreen(self.ui))

    def _countdown_words(self) -> str:
        return self.t("code.countdown", seconds=self.code.seconds_left if self.code else 0)

    def toggle_hidden(self, _event=None) -> None:
        self.hidden = not self.hidden
        self.ui.render()

    # ---- a till asks for more than the PIN-free amount ----------------------------------------

    def _request_words(self, charge) -> str:
        return self.t("code.request", merchant=charge.merchant_name, amount=self.t.money(charge.amount_fen))

    def _settled_words(self, charge) -> str:
        amount = self.t.money(charge.amount_fen)
        if charge.status == "completed":
            return self.t("code.paid", merchant=charge.merchant_name, amount=amount)
        return self.t("code.not_paid", merchant=charge.merchant_name, amount=amount)

    def _confirm(self, charge) -> list[ft.Control]:
        kit, t = self.kit, self.t
        amount = t.money(charge.amount_fen)
        return [
            kit.notice(self._request_words(charge), "code-request", icon=ft.Icons.RECORD_VOICE_OVER),
            *self.pin.controls(),
            kit.button(t("code.confirm", amount=amount), lambda e: self.confirm(charge), "code-confirm",
                       icon=ft.Icons.CHECK, disabled=self.ui.busy),
            kit.button(t("code.decline"), lambda e: self.decline(charge), "code-decline", primary=False),
        ]

    def confirm(self, charge) -> None:
        if not self.pin.ready():
            return
        pin, key = self.pin.pin, self.confirm_key or uuid.uuid4().hex
        self.confirm_key = key
        self.ui.run(lambda: self.codes.confirm(charge, pin, key), self._answered, on_error=self._refused,
                    busy_key="busy.paying")

    def decline(self, charge) -> None:
        self.ui.run(lambda: self.codes.decline(charge), self._answered, busy_key="busy.working")

    def _refused(self, _error: Exception) -> bool:
        self.pin.clear()
        return False        # the sentence says what happened (a wrong PIN: how many tries are left)

    def _answered(self, charge) -> None:
        self.charges = CodeCharges([c for c in self.charges.waiting if c.id != charge.id],
                                   [charge, *self.charges.settled])
        self.ui.announce(self._settled_words(charge))
        self.pin.clear()
        self.ui.poll(self.codes.setup, self._card_refreshed)

    # ---- setting this device up -----------------------------------------------------------------

    def _register(self, setup: CodeSetup) -> list[ft.Control]:
        kit, t = self.kit, self.t
        if not setup.keychain_usable:
            return [kit.notice(t("code.keychain_missing"), "code-keychain-missing", icon=ft.Icons.WARNING_AMBER)]
        return [
            kit.body(t("code.register_explain", campus=_campus_name(setup.card, t.locale))),
            *self.pin.controls(),
            kit.button(t("code.register"), self.register, "code-register", icon=ft.Icons.PHONELINK_LOCK,
                       disabled=self.ui.busy),
            self._settings_button(),
        ]

    def register(self, _event=None) -> None:
        if not self.pin.ready():
            return
        pin = self.pin.pin
        self.ui.run(lambda: (self.codes.register_this_device(pin), self.codes.setup())[1], self._set_up,
                    on_error=self._refused, busy_key="busy.saving")

    def _activate(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        return [
            kit.body(t("code.no_card")),
            kit.field(t("code.activation_code"), "code-activation", value=self.activation,
                      on_change=lambda e: setattr(self, "activation", e.control.value), on_submit=self.activate),
            kit.button(t("code.activate"), self.activate, "code-activate", icon=ft.Icons.SCHOOL),
        ]

    def activate(self, _event=None) -> None:
        code = self.activation.strip()
        if not code:
            self.ui.error = self.t("code.activation_missing")
            self.ui.render()
            return
        self.ui.run(lambda: (self.codes.activate(code), self.codes.setup())[1], self._set_up, busy_key="busy.saving")


def _states(charges: CodeCharges) -> set[tuple[int, str]]:
    return {(c.id, c.status) for c in [*charges.waiting, *charges.settled]}


def _campus_name(card, locale: str) -> str:
    return card.campus_local_name if card.campus_local_name and locale != "en" else card.campus_name
