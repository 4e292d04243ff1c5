"""Pay a merchant: find them (QR picture, merchant code, recent), type the amount on a big
keypad, read the summary back, confirm, give the PIN if the server asks, get a clear receipt.

Every step is on screen until the person moves on: nothing times out, nothing changes by itself.
"""

from __future__ import annotations

import flet as ft

from app.family import done_by_in_words
from app.state import MerchantChoice, PaymentDraft
from ui.shell import Screen
from ui.views.amount_entry import AmountEntry
from ui.views.pin_entry import PinEntry

class PayScreen(Screen):
    title_key = "pay.title"

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.step = "choose"            # choose -> amount -> summary -> (pin) -> receipt
        self.code = ""
        self.recent: list[MerchantChoice] = []
        self.merchant: MerchantChoice | None = None
        self.amount = AmountEntry(self)
        self.draft: PaymentDraft | None = None
        self.funding: list = []          # FundingChoice: the wallet, then family cards with room
        self.pin = PinEntry(self)

    def title(self) -> str:
        return self.t({"choose": "pay.title", "amount": "pay.amount_title", "summary": "pay.summary_title",
                       "pin": "pay.pin_title", "receipt": "pay.receipt_title"}[self.step])

    def on_show(self) -> None:
        if self.step == "choose":
            self.recent = self.ui.session.recent_merchants()
            if not self.recent:
                self.ui.run(self.ui.session.recent_merchants_from_history, lambda found: setattr(self, "recent", found),
                            busy_key="busy.loading")

    def build(self) -> list[ft.Control]:
        return {"choose": self._choose, "amount": self._amount, "summary": self._summary, "pin": self._pin,
                "receipt": self._receipt}[self.step]()

    # ---- 1. whom to pay -----------------------------------------------------------------------

    def _choose(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        controls: list[ft.Control] = [
            kit.button(t("pay.scan_picture"), self.pick_qr_picture, "pay-scan-picture", icon=ft.Icons.IMAGE_SEARCH),
            kit.muted(t("pay.scan_picture_hint")),
            kit.field(t("pay.merchant_code"), "pay-merchant-code", value=self.code,
                      keyboard=ft.KeyboardType.NUMBER, on_change=lambda e: setattr(self, "code", e.control.value),
                      on_submit=self.find_by_code),
            kit.button(t("pay.find_merchant"), self.find_by_code, "pay-find-merchant", primary=False),
        ]
        if self.recent:
            controls.append(kit.muted(t("pay.recent")))
            controls += [kit.list_action(m.display_name(t.locale), ft.Icons.STOREFRONT,
                                         lambda e, m=m: self.choose(m), f"pay-recent-{m.id}")
                         for m in self.recent]
        return controls

    async def pick_qr_picture(self, _event=None) -> None:
        files = await ft.FilePicker().pick_files(dialog_title=self.t("pay.scan_picture"),
                                                 file_type=ft.FilePickerFileType.IMAGE, with_data=True)
        if files and files[0].bytes:
            self.scan_picture(files[0].bytes)

    def scan_picture(self, image: bytes) -> None:
        self.ui.run(lambda: self.ui.session.merchant_from_qr_image(image), self.choose, busy_key="busy.reading_qr")

    def find_by_code(self, _event=None) -> None:
        code = self.code.strip()
        if not code:
            self.ui.error = self.t("pay.code_missing")
            self.ui.render()
            return
        self.ui.run(lambda: self.ui.session.merchant_by_code(code), self.choose, busy_key="busy.finding_merchant")

    def choose(self, merchant: MerchantChoice) -> None:
        self.merchant = merchant
        if merchant.fixed_amount_fen:       # the QR already says how much
            self.amount.set_fen(merchant.fixed_amount_fen)
            self.to_summary()
            return
        self.amount.clear()
        self.step = "amount"
        self.ui.render()

    # ---- 2. how much --------------------------------------------------------------------------

    def _amount(self) -> list[ft.Control]:
        t = self.t
        return self.amount.step(self.kit.body(t("pay.paying_to", payee=self.merchant.display_name(t.locale)),
                                              identifier="pay-payee"), self.to_summary, "pay-continue")

    def to_summary(self, _event=None) -> None:
        amount = self.amount.required()
        if not amount:
            return
        merchant, session, acting = self.merchant, self.ui.session, self.ui.state.acting_for is not None

        def draft_it():
            # The draft comes with the best city coupon for this payment, if the person has one; and what can
            # pay it: the wallet or a family card held (a relative acting for someone pays from her wallet).
            return session.draft_payment(merchant, amount), [] if acting else session.funding_choices(amount)

        self.ui.run(draft_it, self._drafted, busy_key="busy.loading")

    def _drafted(self, drafted) -> None:
        draft, self.funding = drafted
        if len(self.funding) > 1:
            # Say exactly what pays: the wallet while it has enough, else the first card with room.
            enough = self.funding[0].available_fen >= draft.you_pay_fen
            draft.choose_funding(self.funding[0].funding if enough else self.funding[1].funding)
        self.draft = draft
        self.step = "summary"
        self.ui.announce(self.readback())

    # ---- 3. the summary, read back ------------------------------------------------------------

    def readback(self) -> str:
        """What is about to happen, in one plain sentence (shown, and spoken in care mode)."""
        t, d = self.t, self.draft
        sentence = t("pay.readback", payee=d.merchant.display_name(t.locale), amount=t.money(d.amount_fen))
        if self.ui.state.acting_for_name:      # a relative paying for an elder: her money, said plainly
            sentence = t("pay.readback_for", name=self.ui.state.acting_for_name, payee=d.merchant.display_name(t.locale),
                         amount=t.money(d.amount_fen))
        if d.coupon_id:
            sentence += " " + t("pay.readback_coupon", campaign=d.coupon.coupon.campaign_name,
                                subsidy=t.money(d.subsidy_fen), you_pay=t.money(d.you_pay_fen))
        card = self._card()
        if card is not None:
            sentence += " " + t("pay.readback_family_card", giver=card.giver, left=t.money(card.available_fen))
        elif d.balance_before_fen is not None and self.ui.state.acting_for_name:
            sentence += " " + t("pay.readback_balance_for", name=self.ui.state.acting_for_name,
                                balance=t.money(d.balance_before_fen), after=t.money(d.balance_before_fen - d.you_pay_fen))
        elif d.balance_before_fen is not None:
            sentence += " " + t("pay.readback_balance", balance=t.money(d.balance_before_fen),
                                after=t.money(d.balance_before_fen - d.you_pay_fen))
        return sentence

    def _summary(self) -> list[ft.Control]:
        kit, t, d = self.kit, self.t, self.draft
        rows = [kit.muted(t("pay.to")), kit.body(d.merchant.display_name(t.locale), identifier="summary-payee"),
                kit.muted(t("pay.amount")), kit.amount(t.money(d.amount_fen), identifier="summary-amount"),
                *self._coupon_rows(),
                kit.muted(t("pay.from")), kit.body(self._paid_from(), identifier="summary-from")]
        controls = [
            kit.card(rows),
            *self._funding_choice(),
            kit.notice(self.readback(), "pay-readback", icon=ft.Icons.RECORD_VOICE_OVER),
            kit.button(t("pay.confirm", amount=t.money(d.you_pay_fen)), self.confirm, "pay-confirm",
                       icon=ft.Icons.CHECK, disabled=self.ui.busy),
        ]
        if d.coupon and not d.sent:
            use = not d.use_coupon
            controls.append(kit.button(t("pay.coupon_use" if use else "pay.coupon_decline"),
                                       lambda e: self.choose_coupon(use),
                                       "pay-coupon-accept" if use else "pay-coupon-decline", primary=False))
        controls.append(kit.button(t("pay.change_amount"), self.change_amount, "pay-change", primary=False))
        return controls

    def _card(self):
        """The family card this payment is drafted to use, if any."""
        return next((c for c in self.funding if c.card_id and c.funding == self.draft.funding), None)

    def _funding_choice(self) -> list[ft.Control]:
        """The wallet or a family card, as big exclusive buttons (only before the first attempt)."""
        t = self.t
        if len(self.funding) < 2 or self.draft.sent:
            return []
        controls = [self.kit.muted(t("pay.fund_choose"))]
        for c in self.funding:
            words = (t("pay.fund_wallet", amount=t.money(c.available_fen)) if c.card_id is None
                     else t("pay.fund_card", giver=c.giver, left=t.money(c.available_fen)))
            if c.funding == (self.draft.funding or "wallet"):
                words = f"✓ {words}"      # the choice in words, not by colour alone
            # A card, not a fixed-height button: a giver's long name wraps instead of being cut off.
            controls.append(self.kit.card([self.kit.text(words, weight=ft.FontWeight.W_600)],
                                          identifier=f"pay-fund-{c.funding}", label=words,
                                          on_click=lambda e, f=c.funding: self.choose_funding(f)))
        return controls

    def choose_funding(self, funding: str) -> None:
        self.draft.choose_funding(funding)
        self.ui.announce(self.readback())
        self.ui.render()

    def _paid_from(self) -> str:
        t, d, name, card = self.t, self.draft, self.ui.state.acting_for_name, self._card()
        if card is not None:
            return t("pay.from_family_card", giver=card.giver, amount=t.money(d.you_pay_fen))
        if name:
            return t("pay.from_balance_for", name=name, amount=t.money(d.you_pay_fen))
        return t("pay.from_balance_amount", amount=t.money(d.you_pay_fen))

    def _coupon_rows(self) -> list[ft.Control]:
        kit, t, d = self.kit, self.t, self.draft
        if d.coupon is None:
            return []
        coupon = d.coupon.coupon
        words = (t("pay.coupon_used", campaign=coupon.campaign_name, subsidy=t.money(d.coupon.subsidy_fen))
                 if d.use_coupon else
                 t("pay.coupon_not_used", campaign=coupon.campaign_name, subsidy=t.money(d.coupon.subsidy_fen)))
        return [kit.muted(t("pay.coupon")), kit.body(words, identifier="summary-coupon")]

    def choose_coupon(self, use: bool) -> None:
        self.draft.choose_coupon(use)
        self.ui.announce(self.readback())
        self.ui.render()

    def change_amount(self, _event=None) -> None:
        self.step = "amount" if not self.merchant.fixed_amount_fen else "choose"
        self.ui.render()

    def confirm(self, _event=None) -> None:
        if self.ui.busy:
            return          # a second tap while paying must not start a second payment
        self._pay(pin=None)

    def _pay(self, pin: str | None) -> None:
        self.ui.run(lambda: self.ui.session.pay(self.draft, pin), self._paid, on_error=self._refused,
                    busy_key="busy.paying")

    def _refused(self, error: Exception) -> bool:
        return self.pin.after_refusal(error)

    def _paid(self, receipt) -> None:
        self.step = "receipt"
        self.ui.announce(self._done_words(receipt))

    def _done_words(self, receipt) -> str:
        t = self.t
        words = t("pay.done_sentence", amount=t.money(receipt.amount_fen - receipt.subsidy_fen), payee=receipt.payee)
        if receipt.subsidy_fen:
            words += " " + t("pay.done_coupon", subsidy=t.money(receipt.subsidy_fen),
                             amount=t.money(receipt.amount_fen))
        if done_by := done_by_in_words(receipt, t):
            words += " " + done_by
        return words

    # ---- 4. the PIN ---------------------------------------------------------------------------

    def _pin(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        return [
            kit.body(t("pay.pin_why", amount=t.money(self.draft.amount_fen))),
            *self.pin.controls(),
            kit.button(t("pay.pin_submit"), self.submit_pin, "pin-submit", icon=ft.Icons.LOCK_OPEN,
                       disabled=self.ui.busy),
        ]

    def submit_pin(self, _event=None) -> None:
        if not self.pin.ready():
            return
        self._pay(pin=self.pin.pin)

    # ---- 5. the receipt -----------------------------------------------------------------------

    def _receipt(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        r = self.draft.receipt
        balance = self.ui.state.balance_fen
        rows = [ft.Row([ft.Icon(ft.Icons.CHECK_CIRCLE, color=kit.p.success, size=kit.s.icon * 1.5),
                        kit.text(t("pay.paid"), size=kit.s.heading, weight=ft.FontWeight.BOLD)]),
                kit.amount(t.money(r.amount_fen - r.subsidy_fen), identifier="receipt-amount"),
                kit.body(t("receipt.to", payee=r.payee), identifier="receipt-payee"),
                kit.muted(t("receipt.when", when=t.datetime(r.created_at))),
                kit.muted(t("receipt.number", number=r.id))]
        if r.subsidy_fen:
            rows.append(kit.body(t("pay.done_coupon", subsidy=t.money(r.subsidy_fen), amount=t.money(r.amount_fen)),
                                 identifier="receipt-coupon"))
        if done_by := done_by_in_words(r, t):
            rows.append(kit.body(done_by, identifier="receipt-done-by"))
        if balance is not None:
            rows.append(kit.body(t("receipt.balance_now", balance=t.money(balance))))
        return [
            kit.card(rows, identifier="receipt", label=self._done_words(r)),
            kit.button(t("pay.done"), lambda e: self.ui.home(), "receipt-done", icon=ft.Icons.HOME),
            kit.button(t("receipt.open"), self.open_receipt, "receipt-details", primary=False),
        ]

    def open_receipt(self, _event=None) -> None:
        from ui.views.history import ReceiptScreen
        self.ui.open(ReceiptScreen(self.ui, payment_id=self.draft.receipt.id, receipt=self.draft.receipt))
