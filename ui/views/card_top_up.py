"""Top up a prepaid card: the amount on the big keypad, a summary read back (and spoken in care mode) —
which card at which shop, how much, from the wallet or a linked bank card (the person chooses when they
have one), and that the money waits in escrow — then the PIN when the server asks for it, and a clear
receipt. A bank that says no is said in words; nothing was added, and another source can be chosen.

One draft, one idempotency key: "Add" tapped again after a lost connection sends the same key, so the
money is added once. While the outcome of a sent draft is unknown the amount cannot be changed (a new
amount would be a new top-up); a refusal says in words what to do.
"""

from __future__ import annotations

import flet as ft

from app.cards import TopUpDraft
from app.errors import ApiError, BankError
from ui.shell import Screen
from ui.views.amount_entry import AmountEntry
from ui.views.pin_entry import PinEntry

STEP_TITLES = {"amount": "cards.top_up_title", "summary": "pay.summary_title", "pin": "pay.pin_title",
               "done": "cards.top_up_done_title"}


def _card_title(t, card) -> str:
    return t("cards.card_title", product=card.product_name, merchant=card.merchant_name)


class TopUpScreen(Screen):
    def __init__(self, ui, card) -> None:
        super().__init__(ui)
        self.card = card                    # the card as last shown (CardOut)
        self.step = "amount"                # amount -> summary -> (pin) -> done
        self.amount = AmountEntry(self, identifier="top-up-amount", key_prefix="top-up-key")
        self.pin = PinEntry(self)
        self.draft: TopUpDraft | None = None

    def title(self) -> str:
        return self.t(STEP_TITLES[self.step])

    def build(self) -> list[ft.Control]:
        return {"amount": self._amount, "summary": self._summary, "pin": self._pin, "done": self._done}[self.step]()

    # ---- 1. how much --------------------------------------------------------------------------

    def _amount(self) -> list[ft.Control]:
        t = self.t
        header = self.kit.body(t("cards.top_up_to", card=_card_title(t, self.card),
                                 balance=t.money(self.card.balance_fen)), identifier="top-up-card")
        return self.amount.step(header, self.to_summary, "top-up-continue")

    def to_summary(self, _event=None) -> None:
        amount = self.amount.required()
        if not amount:
            return
        cards, card = self.ui.session.cards, self.card
        self.ui.run(lambda: cards.draft_top_up(card, amount), self._drafted, busy_key="busy.loading")

    def _drafted(self, draft: TopUpDraft) -> None:
        self.draft, self.step = draft, "summary"
        self.ui.announce(self.readback())

    # ---- 2. the summary, read back ------------------------------------------------------------

    def readback(self) -> str:
        """Who gets it, how much, from where, and that it waits in escrow (shown, and spoken in care mode)."""
        t, d = self.t, self.draft
        name = self.ui.state.acting_for_name          # a relative acting for an elder: her card, her money
        words = dict(amount=t.money(d.amount_fen), card=_card_title(t, d.card), after=t.money(d.card_after_fen))
        sentence = t("cards.top_up_readback_for", name=name, **words) if name else t("cards.top_up_readback", **words)
        if d.bank_card is not None:
            sentence += " " + t("cards.top_up_readback_bank", bank=d.bank_card.bank_name, last4=d.bank_card.last4)
        elif d.wallet_before_fen is not None and name:
            sentence += " " + t("pay.readback_balance_for", name=name, balance=t.money(d.wallet_before_fen),
                                after=t.money(d.wallet_after_fen))
        elif d.wallet_before_fen is not None:
            sentence += " " + t("pay.readback_balance", balance=t.money(d.wallet_before_fen),
                                after=t.money(d.wallet_after_fen))
        return sentence + " " + t("cards.top_up_escrow", merchant=d.card.merchant_name)

    def _summary(self) -> list[ft.Control]:
        kit, t, d = self.kit, self.t, self.draft
        rows = [kit.muted(t("pay.to")), kit.body(_card_title(t, d.card), identifier="top-up-summary-card"),
                kit.muted(t("pay.amount")), kit.amount(t.money(d.amount_fen), identifier="top-up-summary-amount"),
                kit.muted(t("pay.from")),
                kit.body(self._paid_from(), identifier="top-up-summary-from"),
                kit.muted(t("cards.top_up_held")),
                kit.body(t("cards.top_up_escrow_short", merchant=d.card.merchant_name),
                         identifier="top-up-summary-escrow")]
        controls = [kit.card(rows), *self._source_choice(),
                    kit.notice(self.readback(), "top-up-readback", icon=ft.Icons.RECORD_VOICE_OVER),
                    kit.button(t("cards.top_up_confirm", amount=t.money(d.amount_fen)), self.confirm,
                               "top-up-confirm", icon=ft.Icons.CHECK, disabled=self.ui.busy)]
        if not d.outcome_unknown:       # sent with no answer: a new amount would be a second top-up
            controls.append(kit.button(t("pay.change_amount"), self.change_amount, "top-up-change", primary=False))
        return controls

    def _source_choice(self) -> list[ft.Control]:
        """The wallet or a linked bank card, as big exclusive choices (not while a sent top-up's outcome is
        unknown: only the same request again is safe then)."""
        kit, t, d = self.kit, self.t, self.draft
        if not d.bank_cards or d.outcome_unknown:
            return []
        controls = [kit.muted(t("pay.fund_choose"))]
        choices = [(None, t("pay.fund_wallet", amount=t.money(d.wallet_before_fen))
                    if d.wallet_before_fen is not None else t("pay.from_balance"))]
        choices += [(b.id, t("code.fund_bank", bank=b.bank_name, last4=b.last4)) for b in d.bank_cards]
        chosen = d.bank_card.id if d.bank_card is not None else None
        for bank_id, words in choices:
            if bank_id == chosen:
                words = f"✓ {words}"      # the choice in words, not by colour alone
            # A card, not a fixed-height button: a bank's long name wraps instead of being cut off.
            controls.append(kit.card([kit.text(words, weight=ft.FontWeight.W_600)],
                                     identifier=f"top-up-source-{'wallet' if bank_id is None else f'bank-{bank_id}'}",
                                     label=words, on_click=lambda e, b=bank_id: self.choose_source(b)))
        return controls

    def choose_source(self, bank_card_id: int | None) -> None:
        if self.ui.busy:
            return
        self.draft.choose_source(bank_card_id)
        self.ui.error = None
        self.ui.announce(self.readback())
        self.ui.render()

    def _paid_from(self) -> str:
        t, amount, name = self.t, self.t.money(self.draft.amount_fen), self.ui.state.acting_for_name
        bank = self.draft.bank_card
        if bank is not None:
            return t("cards.top_up_from_bank", bank=bank.bank_name, last4=bank.last4, amount=amount)
        return t("pay.from_balance_for", name=name, amount=amount) if name else t("pay.from_balance_amount",
                                                                                  amount=amount)

    def change_amount(self, _event=None) -> None:
        self.step = "amount"
        self.ui.render()

    def confirm(self, _event=None) -> None:
        if not self.ui.busy:            # a second tap while sending must not send a second time
            self._send(None)

    def _send(self, pin: str | None) -> None:
        cards, draft = self.ui.session.cards, self.draft
        self.ui.run(lambda: cards.top_up(draft, pin), self._added, on_error=self._refused, busy_key="busy.paying")

    def _refused(self, error: Exception) -> bool:
        self.pin.clear()
        if self.ui.session.needs_pin(error):
            self.step = "pin"
            return True
        if isinstance(error, ApiError) and error.code == "prepaid_card_limit_exceeded" \
                and isinstance(error.extra.get("limit_fen"), int):
            self.step = "summary"
            self.ui.error = self._over_limit_words(error.extra["limit_fen"])
            self.ui.announce(self.ui.error)
            return True
        if isinstance(error, BankError) and error.code == "bank_declined":
            self.step = "summary"       # nothing moved: the sentence says so; another source can be chosen
        return False        # the sentence says what happened and what to do (a lost connection: try again)

    def _over_limit_words(self, limit_fen: int) -> str:
        t, d = self.t, self.draft
        room = max(0, limit_fen - d.card.balance_fen)
        return t("cards.top_up_over_limit", limit=t.money(limit_fen), balance=t.money(d.card.balance_fen),
                 room=t.money(room))

    # ---- 3. the PIN ---------------------------------------------------------------------------

    def _pin(self) -> list[ft.Control]:
        amount = self.draft.amount_fen
        return self.pin.step(amount, self.t("cards.top_up_confirm", amount=self.t.money(amount)), self.submit_pin)

    def submit_pin(self, _event=None) -> None:
        if self.pin.ready():
            self._send(self.pin.pin)

    # ---- 4. the receipt -----------------------------------------------------------------------

    def _added(self, card) -> None:
        self.card, self.step = card, "done"
        self.ui.announce(self.done_words())

    def done_words(self) -> str:
        t, d = self.t, self.draft
        return t("cards.top_up_done", amount=t.money(d.amount_fen), card=_card_title(t, self.card),
                 balance=t.money(self.card.balance_fen), merchant=self.card.merchant_name)

    def _done(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        balance = self.ui.state.balance_fen
        rows = [ft.Row([ft.Icon(ft.Icons.CHECK_CIRCLE, color=kit.p.success, size=kit.s.icon * 1.5),
                        kit.text(t("cards.top_up_added"), size=kit.s.heading, weight=ft.FontWeight.BOLD)]),
                kit.amount(t.money(self.draft.amount_fen), identifier="top-up-receipt-amount"),
                kit.body(t("cards.top_up_now_holds", card=_card_title(t, self.card),
                           balance=t.money(self.card.balance_fen)), identifier="top-up-receipt-card"),
                kit.body(t("cards.top_up_escrow_short", merchant=self.card.merchant_name))]
        if balance is not None:
            rows.append(kit.body(t("receipt.balance_now", balance=t.money(balance)), identifier="top-up-receipt-wallet"))
        return [kit.card(rows, identifier="top-up-receipt", label=self.done_words()),
                kit.button(t("cards.top_up_back_to_card"), self.back_to_card, "top-up-back-to-card",
                           icon=ft.Icons.CARD_MEMBERSHIP),
                kit.button(t("pay.done"), lambda e: self.ui.home(), "top-up-home", primary=False)]

    def back_to_card(self, _event=None) -> None:
        self.ui.back()          # the card screen reloads: its new balance and the top-up in its history
