"""The merchant's cashier: today's takings and the coupon subsidy received, the payments as they
arrive (tap one to refund it), the shop's own payment QR (with its merchant code in digits), and
the till's jobs: charge a customer's payment code, prepaid cards (ui/views/till.py)."""

from __future__ import annotations

from typing import Any

import flet as ft

from app.till import Takings
from app.qr import qr_png
from ui.shell import Screen
from ui.views.till import ChargeCodeScreen, RefundScreen, TillCardsScreen


class CashierScreen(Screen):
    title_key = "cashier.title"

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.merchants: list[Any] | None = None
        self.merchant: Any | None = None
        self.takings: Takings | None = None
        self.showing_qr = False

    def on_show(self) -> None:
        if self.merchant is not None:
            self.refresh()          # back from a charge or a refund: show the new takings
        elif self.merchants is None:
            self.ui.run(self.ui.session.till.my_merchants, self._merchants, busy_key="busy.loading")

    def _merchants(self, merchants: list[Any]) -> None:
        self.merchants = merchants
        if len(merchants) == 1:
            self.pick(merchants[0])

    def pick(self, merchant: Any) -> None:
        self.merchant, self.showing_qr = merchant, False
        self.refresh()

    def refresh(self, _event=None) -> None:
        merchant = self.merchant
        self.ui.run(lambda: self.ui.session.till.takings(merchant), lambda tk: setattr(self, "takings", tk),
                    busy_key="busy.loading")

    def name_of(self, merchant: Any) -> str:
        if merchant.local_name and self.t.locale != "en":
            return f"{merchant.local_name} ({merchant.name})"
        return f"{merchant.name} ({merchant.local_name})" if merchant.local_name else merchant.name

    def build(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        if self.merchants is None:
            return []
        if not self.merchants:
            return [kit.body(t("cashier.no_shop"))]
        if self.merchant is None:
            return [kit.list_action(self.name_of(m), ft.Icons.STOREFRONT, lambda e, m=m: self.pick(m),
                                    f"cashier-merchant-{m.id}") for m in self.merchants]
        controls: list[ft.Control] = [
            kit.body(self.name_of(self.merchant), identifier="cashier-shop"),
            kit.button(t("cashier.charge_code"), lambda e: self.ui.open(ChargeCodeScreen(self.ui, self.merchant)),
                       "cashier-charge-code", icon=ft.Icons.QR_CODE_SCANNER),
            kit.button(t("cashier.cards"), lambda e: self.ui.open(TillCardsScreen(self.ui, self.merchant)),
                       "cashier-cards", icon=ft.Icons.CARD_MEMBERSHIP, primary=False),
        ]
        if self.showing_qr:
            controls += self._qr()
        else:
            controls.append(kit.button(t("cashier.show_qr"), self.toggle_qr, "cashier-show-qr",
                                       icon=ft.Icons.QR_CODE))
        if self.takings:
            tk = self.takings
            total = t.money(tk.today_total_fen)
            controls.append(kit.card([kit.muted(t("cashier.today")),
                                      kit.amount(total, identifier="cashier-today-total",
                                                 label=t("cashier.today_is", amount=total, count=tk.today_count)),
                                      kit.muted(t("cashier.count", count=tk.today_count))]))
            subsidy = t("cashier.subsidy", amount=t.money(tk.subsidy_fen), count=tk.coupon_payments)
            controls.append(kit.body(subsidy, identifier="cashier-subsidy"))
            controls.append(kit.button(t("cashier.refresh"), self.refresh, "cashier-refresh", icon=ft.Icons.REFRESH,
                                       primary=False))
            controls.append(kit.muted(t("cashier.recent")))
            for p in tk.payments[:30]:
                amount = t.money(p.amount_fen - p.refunded_fen)
                line = t("cashier.payment", payer=p.payer, amount=amount)
                controls.append(kit.card([kit.text(line, weight=ft.FontWeight.W_600),
                                          kit.muted(t.datetime(p.created_at))],
                                         identifier=f"cashier-payment-{p.id}",
                                         label=f"{line}. {t('cashier.tap_to_refund')}",
                                         on_click=lambda e, p=p: self.ui.open(RefundScreen(self.ui, self.merchant, p))))
            if not tk.payments:
                controls.append(kit.body(t("cashier.none_yet")))
        if len(self.merchants) > 1:
            controls.append(kit.button(t("cashier.other_shop"), lambda e: self.pick_none(), "cashier-other",
                                       primary=False))
        return controls

    def _qr(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        image = ft.Image(src=qr_png(self.merchant.qr_payload), width=280, height=280, fit=ft.BoxFit.CONTAIN)
        return [
            ft.Semantics(identifier="cashier-qr", image=True, label=t("cashier.qr_label", name=self.merchant.name),
                         content=ft.Container(image, alignment=ft.Alignment.CENTER, bgcolor="#FFFFFF", padding=8)),
            kit.amount(str(self.merchant.id), identifier="cashier-code",
                       label=t("cashier.code_is", code=self.merchant.id)),
            kit.muted(t("cashier.code_hint")),
            kit.button(t("cashier.hide_qr"), self.toggle_qr, "cashier-hide-qr", primary=False),
        ]

    def toggle_qr(self, _event=None) -> None:
        self.showing_qr = not self.showing_qr
        self.ui.render()

    def pick_none(self) -> None:
        self.merchant, self.takings = None, None
        self.ui.render()
