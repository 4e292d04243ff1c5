"""The till's jobs beyond the takings (ui/views/cashier.py): charge a customer's payment code, sell
and charge prepaid cards, refund a payment. Each money action shows what it will do on its button
or in a read-back first, and reuses its idempotency key when the same request is sent again."""

from __future__ import annotations

import uuid

import flet as ft

from app.qr import qr_png
from ui.shell import Screen
from ui.views.amount_entry import AmountEntry

CODE_DIGITS = 18
FOLLOW_EVERY_SECONDS = 2


class _Keyed:
    """One idempotency key per distinct request: the same request again (a lost answer, a second tap)
    reuses it; a changed request gets a new one."""

    def __init__(self) -> None:
        self._request: tuple | None = None
        self._key = ""

    def key_for(self, *request: object) -> str:
        if request != self._request:
            self._request, self._key = request, uuid.uuid4().hex
        return self._key


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


class _TillScreen(Screen):
    def _say_missing(self, key: str | None) -> bool:
        """Say what is missing before anything is sent (True: stop here)."""
        if key is None:
            return False
        self.ui.error = self.t(key)
        self.ui.render()
        return True


class ChargeCodeScreen(_TillScreen):
    """The customer shows their payment code; the cashier types (or photographs) it and the amount."""

    title_key = "till.code_title"

    def __init__(self, ui, merchant) -> None:
        super().__init__(ui)
        self.merchant = merchant
        self.code = ""
        self.amount = AmountEntry(self, identifier="till-amount", key_prefix="till-key")
        self.charge = None
        self.keys = _Keyed()

    def build(self) -> list[ft.Control]:
        return self._result() if self.charge is not None else self._enter()

    def _enter(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        return [
            kit.body(t("till.code_explain")),
            kit.field(t("till.code_field"), "till-code", value=self.code, keyboard=ft.KeyboardType.NUMBER,
                      on_change=lambda e: setattr(self, "code", e.control.value)),
            kit.button(t("till.code_picture"), self.pick_picture, "till-code-picture", icon=ft.Icons.IMAGE_SEARCH,
                       primary=False),
            self.amount.display(),
            self.amount.keypad(),
            kit.button(t("till.charge_plain"), self.submit, "till-charge", icon=ft.Icons.POINT_OF_SALE,
                       disabled=self.ui.busy),
        ]

    async def pick_picture(self, _event=None) -> None:
        files = await ft.FilePicker().pick_files(dialog_title=self.t("till.code_picture"),
                                                 file_type=ft.FilePickerFileType.IMAGE, with_data=True)
        if files and files[0].bytes:
            self.read_picture(files[0].bytes)

    def read_picture(self, image: bytes) -> None:
        self.ui.run(lambda: self.ui.session.till.code_from_picture(image), self._code_read, busy_key="busy.reading_qr")

    def _code_read(self, code: str) -> None:
        self.code = code

    def submit(self, _event=None) -> None:
        if self.ui.busy:
            return
        code, fen = _digits(self.code), self.amount.fen
        missing = "till.code_missing" if len(code) != CODE_DIGITS else None if fen else "pay.amount_missing"
        if self._say_missing(missing):
            return
        key = self.keys.key_for(code, fen)
        self.ui.run(lambda: self.ui.session.till.charge_code(self.merchant, code, fen, key), self._charged,
                    busy_key="busy.charging")

    def _charged(self, charge) -> None:
        self.charge = charge
        self.ui.announce(self._words(charge))
        if charge.status == "awaiting_confirmation":
            self.ui.every(FOLLOW_EVERY_SECONDS, self.follow)

    def follow(self) -> bool:
        """While the customer confirms on their phone: look again, quietly."""
        if self.ui.screen is not self or self.charge is None or self.charge.status != "awaiting_confirmation":
            return False
        charge_id = self.charge.id
        self.ui.poll(lambda: self.ui.session.till.code_charge(charge_id), self._followed)
        return True

    def _followed(self, charge) -> None:
        if charge is not None and charge.status != self.charge.status:
            self._charged(charge)
            self.ui.render()

    def _words(self, c) -> str:
        t = self.t
        who = t("till.student", name=c.student_masked_name, number=c.student_number)
        amount = t.money(c.amount_fen)
        if c.status == "completed":
            return t("till.code_paid", amount=amount, who=who)
        if c.status == "awaiting_confirmation":
            return t("till.code_waiting", amount=amount, who=who)
        reason = f"error.{c.failure_code}" if c.failure_code and t.has(f"error.{c.failure_code}") else None
        return t("till.code_not_paid", amount=amount, who=who) + (f" {t(reason)}" if reason else "")

    def _result(self) -> list[ft.Control]:
        kit, t, c = self.kit, self.t, self.charge
        icon = {"completed": ft.Icons.CHECK_CIRCLE_OUTLINE,
                "awaiting_confirmation": ft.Icons.HOURGLASS_TOP}.get(c.status, ft.Icons.ERROR_OUTLINE)
        return [
            kit.notice(self._words(c), "till-result", icon=icon),
            kit.button(t("till.next_code"), self.next_code, "till-next", icon=ft.Icons.QR_CODE_SCANNER),
            kit.button(t("till.back_to_cashier"), self.ui.back, "till-done", primary=False),
        ]

    def next_code(self, _event=None) -> None:
        self.charge, self.code = None, ""
        self.amount.clear()
        self.ui.render()


class TillCardsScreen(_TillScreen):
    """Prepaid cards at the counter: show a card's sale QR; charge a card for what was consumed."""

    title_key = "till.cards_title"

    def __init__(self, ui, merchant) -> None:
        super().__init__(ui)
        self.merchant = merchant
        self.products = None
        self.showing = None                 # the product whose sale QR is on screen, and its payload
        self.card_number = ""
        self.description = ""
        self.amount = AmountEntry(self, identifier="till-card-amount", key_prefix="till-card-key")
        self.result = None
        self.keys = _Keyed()

    def on_show(self) -> None:
        if self.products is None:
            self.ui.run(lambda: self.ui.session.till.card_products(self.merchant),
                        lambda products: setattr(self, "products", products), busy_key="busy.loading")

    def build(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        if self.products is None:
            return []
        controls: list[ft.Control] = [kit.muted(t("till.sell"))]
        if not self.products:
            controls.append(kit.body(t("till.no_products")))
        for product in self.products:
            controls.append(kit.list_action(product.name, ft.Icons.QR_CODE, lambda e, p=product: self.show_sale(p),
                                            f"till-product-{product.id}", detail=self._price(product)))
        if self.showing:
            product, payload = self.showing
            label = t("till.sale_qr_label", name=product.name, price=t.money(product.face_value_fen))
            controls += [ft.Semantics(identifier="till-sale-qr", image=True, label=label, content=ft.Container(
                             ft.Image(src=qr_png(payload), width=240, height=240, fit=ft.BoxFit.CONTAIN),
                             alignment=ft.Alignment.CENTER, bgcolor="#FFFFFF", padding=8)),
                         kit.muted(label),
                         kit.button(t("cashier.hide_qr"), self.hide_sale, "till-sale-hide", primary=False)]
        controls += [kit.muted(t("till.charge_card_heading")), *self._charge_form()]
        return controls

    def _price(self, product) -> str:
        t = self.t
        value = t.money(product.face_value_fen + product.bonus_value_fen)
        return t("till.product_detail", price=t.money(product.face_value_fen), value=value)

    def show_sale(self, product) -> None:
        self.ui.run(lambda: self.ui.session.till.sale_qr(self.merchant, product),
                    lambda payload: setattr(self, "showing", (product, payload)), busy_key="busy.loading")

    def hide_sale(self, _event=None) -> None:
        self.showing = None
        self.ui.render()

    def _charge_form(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        controls: list[ft.Control] = []
        if self.result is not None:
            controls.append(kit.notice(self._charged_words(self.result), "till-card-result",
                                       icon=ft.Icons.CHECK_CIRCLE_OUTLINE))
        return controls + [
            kit.field(t("till.card_number"), "till-card-number", value=self.card_number,
                      keyboard=ft.KeyboardType.NUMBER, on_change=lambda e: setattr(self, "card_number",
                                                                                    e.control.value)),
            kit.field(t("till.card_what"), "till-card-what", value=self.description,
                      on_change=lambda e: setattr(self, "description", e.control.value)),
            self.amount.display(),
            self.amount.keypad(),
            kit.button(t("till.charge_card_plain"), self.charge_card, "till-card-charge", icon=ft.Icons.POINT_OF_SALE,
                       disabled=self.ui.busy),
        ]

    def charge_card(self, _event=None) -> None:
        if self.ui.busy:
            return
        number, fen, what = _digits(self.card_number), self.amount.fen, self.description.strip()
        missing = "till.card_missing" if not (number and what) else None if fen else "pay.amount_missing"
        if self._say_missing(missing):
            return
        key = self.keys.key_for(number, fen, what)
        self.ui.run(lambda: self.ui.session.till.charge_card(self.merchant, int(number), fen, what, key),
                    self._card_charged, busy_key="busy.charging")

    def _card_charged(self, result) -> None:
        self.result = result
        self.card_number, self.description = "", ""
        self.amount.clear()
        self.ui.announce(self._charged_words(result))

    def _charged_words(self, r) -> str:
        t = self.t
        return t("till.card_charged", amount=t.money(r.amount_fen), card=r.card_id,
                 balance=t.money(r.card_balance_fen), released=t.money(r.released_fen))


class RefundScreen(Screen):
    """Give a customer their money back: what is left of the payment, read back first."""

    title_key = "till.refund_title"

    def __init__(self, ui, merchant, payment) -> None:
        super().__init__(ui)
        self.merchant = merchant
        self.payment = payment
        self.refunded = None
        self.key = uuid.uuid4().hex      # this refund, however often the button is pressed

    @property
    def left_fen(self) -> int:
        return self.payment.amount_fen - self.payment.refunded_fen

    def readback(self) -> str:
        t, p = self.t, self.payment
        sentence = t("till.refund_readback", amount=t.money(self.left_fen), payer=p.payer,
                     when=t.datetime(p.created_at))
        if p.subsidy_fen:
            sentence += " " + t("till.refund_coupon", subsidy=t.money(p.subsidy_fen))
        return sentence

    def build(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        if self.refunded is not None:
            done = t("till.refunded", amount=t.money(self.refunded.amount_fen), payer=self.payment.payer)
            return [kit.notice(done, "till-refund-done", icon=ft.Icons.CHECK_CIRCLE_OUTLINE),
                    kit.button(t("till.back_to_cashier"), self.ui.back, "till-done", primary=False)]
        if self.left_fen <= 0:
            return [kit.body(t("till.nothing_to_refund"))]
        return [
            kit.notice(self.readback(), "till-refund-readback", icon=ft.Icons.RECORD_VOICE_OVER),
            kit.button(t("till.refund", amount=t.money(self.left_fen)), self.refund, "till-refund",
                       icon=ft.Icons.UNDO, disabled=self.ui.busy),
            kit.button(t("till.back_to_cashier"), self.ui.back, "till-refund-cancel", primary=False),
        ]

    def on_show(self) -> None:
        self.ui.announce(self.readback())

    def refund(self, _event=None) -> None:
        if self.ui.busy:
            return
        self.ui.run(lambda: self.ui.session.till.refund(self.payment, self.left_fen, self.key), self._done,
                    busy_key="busy.working")

    def _done(self, refund) -> None:
        self.refunded = refund
        self.ui.announce(self.t("till.refunded", amount=self.t.money(refund.amount_fen), payer=self.payment.payer))
