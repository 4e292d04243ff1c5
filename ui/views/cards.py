"""My prepaid cards: the list, one card (balance, validity, history, top-up, refund, complaint), buying one.

Buying, topping up (ui/views/card_top_up.py) and refunding are money actions: each is read back in one sentence first (what, how much,
where the money goes) and confirmed; buying asks for the PIN on the big keypad when the server does.
"""

from __future__ import annotations

import uuid

import flet as ft

from app.cards import COMPLAINT_CATEGORIES, refund_preview
from ui.shell import Screen
from ui.views.pin_entry import PinEntry

CARD_KINDS = ("prepaid_purchase", "prepaid_top_up", "prepaid_charge", "prepaid_refund", "prepaid_default_refund")


def card_title(t, card) -> str:
    return t("cards.card_title", product=card.product_name, merchant=card.merchant_name)


def card_state(t, card) -> str:
    """One line: what the card holds, or why it is closed and what came back."""
    if card.status == "active":
        return t("cards.holds", balance=t.money(card.balance_fen), number=card.id)
    if card.closed_reason == "merchant_default":
        words = t("cards.closed_default", refunded=t.money(card.refunded_fen))
        if card.unrecovered_fen:
            words += " " + t("cards.unrecovered", amount=t.money(card.unrecovered_fen))
        return words
    return t("cards.closed_refunded", refunded=t.money(card.refunded_fen))


class CardsScreen(Screen):
    title_key = "cards.title"

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.cards = None

    def on_show(self) -> None:
        self.ui.run(self.ui.session.cards.mine, lambda cards: setattr(self, "cards", cards), busy_key="busy.loading")

    def build(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        if self.cards is None:
            return []
        controls: list[ft.Control] = [kit.muted(t("cards.escrow_note"))]
        if not self.cards:
            controls.append(kit.body(t("cards.none")))
        for card in self.cards:
            controls.append(kit.list_action(card_title(t, card), ft.Icons.CARD_MEMBERSHIP,
                                            lambda e, c=card: self.ui.open(CardScreen(self.ui, c.id)),
                                            f"cards-card-{card.id}", detail=card_state(t, card)))
        controls.append(kit.button(t("cards.buy"), lambda e: self.ui.open(BuyCardScreen(self.ui)), "cards-buy",
                                   icon=ft.Icons.ADD_CARD, primary=False))
        return controls


class CardScreen(Screen):
    """One card. "Get my money back" shows what will come back, then asks once more."""

    title_key = "cards.card"

    def __init__(self, ui, card_id: int) -> None:
        super().__init__(ui)
        self.card_id = card_id
        self.card = None
        self.confirming_refund = False
        self.refunded = None
        self.refund_key = uuid.uuid4().hex

    def on_show(self) -> None:
        self.ui.run(lambda: self.ui.session.cards.detail(self.card_id), lambda c: setattr(self, "card", c),
                    busy_key="busy.loading")

    def build(self) -> list[ft.Control]:
        kit, t, card = self.kit, self.t, self.card
        if card is None:
            return []
        balance = t.money(card.balance_fen)
        rows = [kit.body(card_title(t, card), identifier="card-name"),
                kit.amount(balance, identifier="card-balance", label=t("cards.balance_is", balance=balance)),
                kit.body(card_state(t, card), identifier="card-state"),
                kit.muted(t("cards.number", number=card.id)),
                kit.muted(t("cards.valid_until", date=t.date(card.expires_at)))]
        if card.cooling_off_until:
            rows.append(kit.muted(t("cards.cooling_off_until", date=t.date(card.cooling_off_until))))
        controls: list[ft.Control] = [kit.card(rows)]
        if self.refunded is not None:
            controls.append(kit.notice(self._refunded_words(), "card-refunded", icon=ft.Icons.CHECK_CIRCLE_OUTLINE))
        elif card.status == "active":
            if not card.expired and not self.confirming_refund:
                controls.append(kit.button(t("cards.top_up"), self.top_up, "card-top-up", icon=ft.Icons.ADD_CARD))
            controls += self._refund_controls()
        controls.append(kit.button(t("cards.complain", merchant=card.merchant_name),
                                   lambda e: self.ui.open(ComplaintScreen(self.ui, card)), "card-complain",
                                   icon=ft.Icons.REPORT_OUTLINED, primary=False))
        controls.append(kit.muted(t("cards.history")))
        for entry in card.history:
            what = t(f"cards.kind.{entry.kind}") if entry.kind in CARD_KINDS else entry.kind
            line = t("cards.entry", what=what, amount=t.money(entry.amount_fen, signed=True),
                     after=t.money(entry.balance_after_fen))
            controls.append(kit.card([kit.text(line), kit.muted(f"{entry.memo} · {t.datetime(entry.created_at)}")],
                                     identifier=f"card-entry-{entry.transfer_id}", label=line))
        return controls

    def readback(self) -> str:
        t, card = self.t, self.card
        preview = refund_preview(card)
        if preview.kind == "cooling_off":
            return t("cards.refund_readback_cooling", card=card_title(t, card), amount=t.money(preview.you_get_fen))
        sentence = t("cards.refund_readback_balance", card=card_title(t, card), amount=t.money(preview.you_get_fen))
        if preview.to_shop_fen:
            sentence += " " + t("cards.refund_bonus_share", amount=t.money(preview.to_shop_fen))
        return sentence

    def _refund_controls(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        if not self.confirming_refund:
            return [kit.button(t("cards.refund"), self.ask_refund, "card-refund", icon=ft.Icons.UNDO)]
        preview = refund_preview(self.card)
        return [kit.notice(self.readback(), "card-refund-readback", icon=ft.Icons.RECORD_VOICE_OVER),
                kit.button(t("cards.refund_confirm", amount=t.money(preview.you_get_fen)), self.refund,
                           "card-refund-confirm", icon=ft.Icons.CHECK, disabled=self.ui.busy),
                kit.button(t("cards.keep"), self.keep, "card-refund-cancel", primary=False)]

    def top_up(self, _event=None) -> None:
        from ui.views.card_top_up import TopUpScreen     # it imports this module's neighbours: resolve at run time
        self.ui.open(TopUpScreen(self.ui, self.card))

    def ask_refund(self, _event=None) -> None:
        self.confirming_refund = True
        self.ui.announce(self.readback())
        self.ui.render()

    def keep(self, _event=None) -> None:
        self.confirming_refund = False
        self.ui.render()

    def refund(self, _event=None) -> None:
        if self.ui.busy:
            return
        card = self.card
        self.ui.run(lambda: self.ui.session.cards.refund(card, self.refund_key), self._refund_done,
                    busy_key="busy.working")

    def _refund_done(self, out) -> None:
        self.refunded = out
        self.confirming_refund = False
        self.ui.announce(self._refunded_words())
        self.on_show()           # the card as it is now: closed, with its refund in the history

    def _refunded_words(self) -> str:
        t = self.t
        return t("cards.refunded", amount=t.money(self.refunded.refunded_fen),
                 balance=t.money(self.refunded.wallet_balance_fen))


class BuyCardScreen(Screen):
    title_key = "cards.buy_title"

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.products = None
        self.product = None
        self.step = "choose"            # choose -> summary -> (pin) -> done
        self.key = ""
        self.pin = PinEntry(self)
        self.card = None

    def on_show(self) -> None:
        if self.products is None:
            self.ui.run(self.ui.session.cards.on_sale, lambda p: setattr(self, "products", p), busy_key="busy.loading")

    def build(self) -> list[ft.Control]:
        if self.products is None:
            return []
        return {"choose": self._choose, "summary": self._summary, "pin": self._pin, "done": self._done}[self.step]()

    def _choose(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        controls: list[ft.Control] = [kit.muted(t("cards.escrow_note"))]
        if not self.products:
            controls.append(kit.body(t("cards.none_on_sale")))
        for p in self.products:
            detail = t("till.product_detail", price=t.money(p.face_value_fen),
                       value=t.money(p.face_value_fen + p.bonus_value_fen))
            controls.append(kit.list_action(f"{p.name} · {p.merchant_name}", ft.Icons.CARD_MEMBERSHIP,
                                            lambda e, p=p: self.choose(p), f"buy-product-{p.id}", detail=detail))
        return controls

    def choose(self, product) -> None:
        self.product, self.step, self.key = product, "summary", uuid.uuid4().hex
        self.ui.announce(self.readback())
        self.ui.render()

    def readback(self) -> str:
        t, p = self.t, self.product
        sentence = t("cards.buy_readback", product=p.name, merchant=p.merchant_name, price=t.money(p.face_value_fen),
                     value=t.money(p.face_value_fen + p.bonus_value_fen))
        balance = self.ui.state.balance_fen
        if balance is not None:
            sentence += " " + t("pay.readback_balance", balance=t.money(balance),
                                after=t.money(balance - p.face_value_fen))
        return sentence

    def _summary(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        return [kit.notice(self.readback(), "buy-readback", icon=ft.Icons.RECORD_VOICE_OVER),
                kit.muted(t("cards.escrow_note")),
                kit.button(t("cards.buy_confirm", price=t.money(self.product.face_value_fen)), self.confirm,
                           "buy-confirm", icon=ft.Icons.CHECK, disabled=self.ui.busy),
                kit.button(t("cards.buy_other"), self.other, "buy-other", primary=False)]

    def other(self, _event=None) -> None:
        self.step = "choose"
        self.ui.render()

    def confirm(self, _event=None) -> None:
        if not self.ui.busy:
            self._buy(None)

    def _pin(self) -> list[ft.Control]:
        price = self.product.face_value_fen
        return self.pin.step(price, self.t("cards.buy_confirm", price=self.t.money(price)), self.submit_pin)

    def submit_pin(self, _event=None) -> None:
        if self.pin.ready():
            self._buy(self.pin.pin)

    def _buy(self, pin: str | None) -> None:
        product, key = self.product, self.key
        self.ui.run(lambda: self.ui.session.cards.buy(product, key, pin), self._bought, on_error=self._refused,
                    busy_key="busy.paying")

    def _refused(self, error: Exception) -> bool:
        self.pin.clear()
        if self.ui.session.needs_pin(error):
            self.step = "pin"
            return True
        return False

    def _bought(self, card) -> None:
        self.card, self.step = card, "done"
        self.ui.announce(self._bought_words())

    def _bought_words(self) -> str:
        t = self.t
        return t("cards.bought", card=card_title(t, self.card), balance=t.money(self.card.balance_fen),
                 number=self.card.id)

    def _done(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        return [kit.notice(self._bought_words(), "buy-done", icon=ft.Icons.CHECK_CIRCLE_OUTLINE),
                kit.button(t("cards.open_card"), lambda e: self.ui.open(CardScreen(self.ui, self.card.id)),
                           "buy-open-card", icon=ft.Icons.CARD_MEMBERSHIP),
                kit.button(t("pay.done"), lambda e: self.ui.home(), "buy-home", primary=False)]


class ComplaintScreen(Screen):
    title_key = "cards.complaint_title"

    def __init__(self, ui, card) -> None:
        super().__init__(ui)
        self.card = card
        self.category = "service_refused"
        self.text = ""
        self.filed = None

    def build(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        if self.filed is not None:
            return [kit.notice(t("cards.complaint_filed", merchant=self.filed.merchant_name), "complaint-filed",
                               icon=ft.Icons.CHECK_CIRCLE_OUTLINE),
                    kit.button(t("nav.back"), self.ui.back, "complaint-back",
                               primary=False)]
        return [
            kit.body(t("cards.complaint_about", merchant=self.card.merchant_name)),
            kit.choice_row([(c, t(f"cards.complaint.{c}")) for c in COMPLAINT_CATEGORIES], self.category,
                           self.pick, "complaint-category"),
            kit.field(t("cards.complaint_text"), "complaint-text", value=self.text,
                      on_change=lambda e: setattr(self, "text", e.control.value)),
            kit.button(t("cards.complaint_send"), self.send, "complaint-send", icon=ft.Icons.SEND),
        ]

    def pick(self, category: str) -> None:
        self.category = category
        self.ui.render()

    def send(self, _event=None) -> None:
        if not self.text.strip():
            self.ui.error = self.t("cards.complaint_missing")
            self.ui.render()
            return
        card, category, text = self.card, self.category, self.text.strip()
        self.ui.run(lambda: self.ui.session.cards.complain(card, category, text),
                    lambda filed: setattr(self, "filed", filed), busy_key="busy.saving")
