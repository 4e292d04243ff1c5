"""Care mode: send money to a relative who helps me (my active family links), and call them.

Transfer: pick the relative (a big row), type the amount on the big keypad, hear the summary read back
(to whom, how much, from my balance), confirm, give the PIN if the server asks, get a clear receipt. A
transfer the safety guardian holds, or delays because the relative was never paid before, is said in
words (it can be taken back in Family). One idempotency key per draft: a retry never sends twice.
"""

from __future__ import annotations

import flet as ft

from app.errors import PaymentWaiting
from app.family import waiting_in_words
from app.state import TransferDraft
from ui.shell import Screen
from ui.views.amount_entry import AmountEntry
from ui.views.pin_entry import PinEntry


class RelativesScreen(Screen):
    """A screen about the people who help me: loads them once, and says what to do when there are none."""

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.relatives: list | None = None      # PersonOut; None until loaded

    def on_show(self) -> None:
        if self.relatives is None:
            self.ui.run(self.ui.session.family.relatives, self._loaded, busy_key="busy.loading")

    def _loaded(self, relatives: list) -> None:
        self.relatives = relatives

    def nobody(self) -> list[ft.Control]:
        """No relative yet: one sentence, and the way to Family where a relative is asked to join."""
        from ui.views.family import FamilyScreen
        kit, t = self.kit, self.t
        return [kit.notice(t("care.family_nobody"), "care-family-nobody"),
                kit.button(t("care.open_family"), lambda e: self.ui.open(FamilyScreen(self.ui)), "care-open-family",
                           icon=ft.Icons.FAMILY_RESTROOM)]


class TransferScreen(RelativesScreen):
    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.step = "choose"            # choose -> amount -> summary -> (pin) -> receipt | waiting
        self.person = None
        self.amount = AmountEntry(self, identifier="transfer-amount")
        self.draft: TransferDraft | None = None
        self.waiting: list[str] = []
        self.pin = PinEntry(self)

    def title(self) -> str:
        return self.t({"choose": "transfer.title", "amount": "transfer.amount_title",
                       "summary": "transfer.summary_title", "pin": "pay.pin_title", "receipt": "transfer.sent",
                       "waiting": "transfer.waiting_title"}[self.step])

    def build(self) -> list[ft.Control]:
        return {"choose": self._choose, "amount": self._amount, "summary": self._summary, "pin": self._pin,
                "receipt": self._receipt, "waiting": self._waiting}[self.step]()

    # ---- 1. to whom, 2. how much --------------------------------------------------------------

    def _choose(self) -> list[ft.Control]:
        if self.relatives is None:
            return []
        if not self.relatives:
            return self.nobody()
        return [self.kit.muted(self.t("transfer.choose")),
                *[self.kit.list_action(p.display_name, ft.Icons.PERSON, lambda e, p=p: self.choose(p),
                                       f"transfer-to-{p.username}") for p in self.relatives]]

    def choose(self, person) -> None:
        self.person = person
        self.amount.clear()
        self.step = "amount"
        self.ui.render()

    def _amount(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        return [kit.body(t("transfer.sending_to", name=self.person.display_name), identifier="transfer-payee"),
                self.amount.display(), self.amount.keypad(),
                kit.button(t("pay.continue"), self.to_summary, "transfer-continue", icon=ft.Icons.ARROW_FORWARD)]

    def to_summary(self, _event=None) -> None:
        amount, person = self.amount.fen, self.person
        if not amount:
            self.ui.error = self.t("pay.amount_missing")
            self.ui.render()
            return
        self.ui.run(lambda: self.ui.session.draft_transfer(person.username, person.display_name, amount),
                    self._drafted, busy_key="busy.loading")

    def _drafted(self, draft: TransferDraft) -> None:
        self.draft = draft
        self.step = "summary"
        self.ui.announce(self.readback())

    # ---- 3. the summary, read back; the PIN ---------------------------------------------------

    def readback(self) -> str:
        t, d = self.t, self.draft
        sentence = t("transfer.readback", name=d.to_name, amount=t.money(d.amount_fen))
        if d.balance_before_fen is not None:
            sentence += " " + t("pay.readback_balance", balance=t.money(d.balance_before_fen),
                                after=t.money(d.balance_before_fen - d.amount_fen))
        return sentence

    def _summary(self) -> list[ft.Control]:
        kit, t, d = self.kit, self.t, self.draft
        rows = [kit.muted(t("pay.to")), kit.body(d.to_name, identifier="transfer-summary-to"),
                kit.muted(t("pay.amount")), kit.amount(t.money(d.amount_fen), identifier="transfer-summary-amount"),
                kit.muted(t("pay.from")), kit.body(t("pay.from_balance_amount", amount=t.money(d.amount_fen)))]
        return [kit.card(rows),
                kit.notice(self.readback(), "transfer-readback", icon=ft.Icons.RECORD_VOICE_OVER),
                kit.button(t("transfer.confirm", amount=t.money(d.amount_fen)), self.confirm, "transfer-confirm",
                           icon=ft.Icons.CHECK, disabled=self.ui.busy),
                kit.button(t("pay.change_amount"), self.change_amount, "transfer-change", primary=False)]

    def change_amount(self, _event=None) -> None:
        self.step = "amount"            # a new amount makes a new draft (and a new key) on Continue
        self.ui.render()

    def confirm(self, _event=None) -> None:
        if self.ui.busy:
            return          # a second tap while sending must not start a second transfer
        self._send(pin=None)

    def _send(self, pin: str | None) -> None:
        self.ui.run(lambda: self.ui.session.transfer(self.draft, pin), self._sent, on_error=self._refused,
                    busy_key="busy.paying")

    def _refused(self, error: Exception) -> bool:
        if isinstance(error, PaymentWaiting):
            self.step = "waiting"
            self.waiting = [self.t("transfer.waiting", name=self.draft.to_name, amount=self.t.money(self.draft.amount_fen)),
                            *waiting_in_words(error.pending, self.t)]
            self.ui.announce(" ".join(self.waiting))
            return True
        return self.pin.after_refusal(error)

    def _pin(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        return [kit.body(t("transfer.pin_why", amount=t.money(self.draft.amount_fen))),
                *self.pin.controls(),
                kit.button(t("transfer.pin_submit"), self.submit_pin, "pin-submit", icon=ft.Icons.LOCK_OPEN,
                           disabled=self.ui.busy)]

    def submit_pin(self, _event=None) -> None:
        if self.pin.ready():
            self._send(pin=self.pin.pin)

    # ---- 4. the receipt, or why it waits ------------------------------------------------------

    def _done_words(self) -> str:
        return self.t("transfer.done_sentence", name=self.draft.to_name, amount=self.t.money(self.draft.amount_fen))

    def _sent(self, _receipt) -> None:
        self.step = "receipt"
        self.ui.announce(self._done_words())

    def _receipt(self) -> list[ft.Control]:
        kit, t, r = self.kit, self.t, self.draft.receipt
        rows = [ft.Row([ft.Icon(ft.Icons.CHECK_CIRCLE, color=kit.p.success, size=kit.s.icon * 1.5),
                        kit.text(t("transfer.sent"), size=kit.s.heading, weight=ft.FontWeight.BOLD)]),
                kit.amount(t.money(r.amount_fen), identifier="receipt-amount"),
                kit.body(t("receipt.to", payee=self.draft.to_name), identifier="receipt-payee"),
                kit.muted(t("receipt.when", when=t.datetime(r.created_at))),
                kit.muted(t("receipt.number", number=r.id))]
        if self.ui.state.balance_fen is not None:
            rows.append(kit.body(t("receipt.balance_now", balance=t.money(self.ui.state.balance_fen))))
        return [kit.card(rows, identifier="receipt", label=self._done_words()),
                kit.button(t("pay.done"), lambda e: self.ui.home(), "receipt-done", icon=ft.Icons.HOME)]

    def _waiting(self) -> list[ft.Control]:
        from ui.views.family import FamilyScreen
        kit, t = self.kit, self.t
        return [kit.notice(" ".join(self.waiting), "transfer-waiting", icon=ft.Icons.HOURGLASS_TOP),
                kit.button(t("care.open_family"), lambda e: self.ui.open(FamilyScreen(self.ui)), "care-open-family",
                           icon=ft.Icons.FAMILY_RESTROOM),
                kit.button(t("pay.done"), lambda e: self.ui.home(), "receipt-done", icon=ft.Icons.HOME,
                           primary=False)]


def tel_url(phone: str) -> str:
    """'+86 138-0013-8000' -> 'tel:+8613800138000' (what a phone's dialler opens)."""
    return "tel:" + "".join(c for c in phone if c.isdigit() or c == "+")


class CallFamilyScreen(RelativesScreen):
    """Each relative who helps me: their number (the server sends it for an active link only) and a big Call
    button that hands `tel:<number>` to the phone's dialler; with no number known, that said in words."""

    title_key = "call.title"

    def build(self) -> list[ft.Control]:
        if self.relatives is None:
            return []
        if not self.relatives:
            return self.nobody()
        kit, t, controls = self.kit, self.t, []
        for p in self.relatives:
            if p.phone:
                controls.append(kit.card([kit.body(p.display_name),
                                          kit.text(t("call.number", number=p.phone), identifier=f"call-number-{p.username}",
                                                   size=kit.s.body, weight=ft.FontWeight.BOLD),
                                          kit.button(t("call.button", name=p.display_name),
                                                     lambda e, n=p.phone: self.call(n), f"call-{p.username}",
                                                     icon=ft.Icons.PHONE)]))
            else:
                controls.append(kit.notice(t("call.no_number", name=p.display_name), f"call-none-{p.username}",
                                           icon=ft.Icons.PHONE_DISABLED))
        return controls

    def call(self, phone: str) -> None:
        self.ui.launch_url(tel_url(phone))
