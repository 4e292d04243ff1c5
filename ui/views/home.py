"""Home: the balance and the big actions. In care mode a short list of only the core actions."""

from __future__ import annotations

import flet as ft

from ui.shell import Screen


class HomeScreen(Screen):
    is_home = True

    def title(self) -> str:
        user = self.ui.state.user
        return self.t("home.hello", name=user.display_name) if user else self.t("app.name")

    def on_show(self) -> None:
        self.ui.run(self.ui.session.refresh_balance, lambda _balance: None, busy_key="busy.loading")

    def build(self) -> list[ft.Control]:
        kit, t, state = self.kit, self.t, self.ui.state
        balance = t.money(state.balance_fen) if state.balance_fen is not None else "…"
        controls: list[ft.Control] = [
            kit.card([kit.muted(t("home.balance")),
                      kit.amount(balance, identifier="home-balance", label=t("home.balance_is", amount=balance))]),
        ]
        if state.prefs.care_mode:
            controls += self._care_list()
        else:
            controls += self._standard_grid()
        return controls

    def _actions(self) -> list[tuple[str, ft.IconData, object, str]]:
        from ui.views.family import FamilyScreen
        from ui.views.history import HistoryScreen
        from ui.views.messages import MessagesScreen
        from ui.views.pay import PayScreen
        from ui.views.payment_code import PaymentCodeScreen
        from ui.views.settings import SettingsScreen
        care = self.ui.state.prefs.care_mode

        def opens(screen_class):
            return lambda e: self.ui.open(screen_class(self.ui))

        pay = ("home.pay", ft.Icons.QR_CODE_SCANNER, opens(PayScreen), "home-pay")
        code = ("home.code_care" if care else "home.code", ft.Icons.QR_CODE_2, opens(PaymentCodeScreen), "home-code")
        history = ("home.bills" if care else "home.history", ft.Icons.RECEIPT_LONG, opens(HistoryScreen),
                   "home-history")
        messages = ("home.messages", ft.Icons.MAIL_OUTLINE, opens(MessagesScreen), "home-messages")
        settings = ("home.settings", ft.Icons.SETTINGS, opens(SettingsScreen), "home-settings")
        family = ("home.family", ft.Icons.FAMILY_RESTROOM, opens(FamilyScreen), "home-family")
        if care:
            # The list: pay, show the code, send money to a relative, bills, messages, call a relative.
            # Family and Settings follow as a compact row (see _care_list), so the whole home fits a phone.
            from ui.views.family_transfer import CallFamilyScreen, TransferScreen
            transfer = ("home.transfer", ft.Icons.SEND_TO_MOBILE, opens(TransferScreen), "home-transfer")
            call = ("home.call_family", ft.Icons.PHONE, opens(CallFamilyScreen), "home-call")
            actions = [pay, code, transfer, history, messages, call, family, settings]
        else:
            actions = [pay, code, *self._domain_tiles(opens), history, messages, family, settings]
        if self.ui.state.is_merchant:
            from ui.views.cashier import CashierScreen
            actions.insert(2, ("home.cashier", ft.Icons.STOREFRONT, opens(CashierScreen), "home-cashier"))
        if self.ui.state.is_regulator:
            from ui.views.regulator import RegulatorScreen
            actions.insert(0, ("home.regulator", ft.Icons.GAVEL, opens(RegulatorScreen), "home-regulator"))
        return actions

    def _domain_tiles(self, opens) -> list[tuple[str, ft.IconData, object, str]]:
        from ui.views.cards import CardsScreen
        from ui.views.coupons import CouponsScreen
        return [("home.cards", ft.Icons.CARD_MEMBERSHIP, opens(CardsScreen), "home-cards"),
                ("home.coupons", ft.Icons.LOCAL_OFFER, opens(CouponsScreen), "home-coupons")]

    def _care_list(self) -> list[ft.Control]:
        """The core actions as big rows, one touch target tall and half a gap apart; then Family and Settings
        side by side (each still a full target with big words). So on a phone (412 x 915) the whole home is
        on screen without scrolling, with room to spare for a line from the voice bar. Text made larger than
        standard gets the usual rows, Family and Settings too (the words need the width); the page scrolls."""
        kit, t, actions = self.kit, self.t, self._actions()
        if self.ui.state.prefs.font_scale_percent > 100:
            return [kit.list_action(t(key), icon, handler, ident) for key, icon, handler, ident in actions]
        core, tools = actions[:-2], actions[-2:]
        rows = [kit.list_action(t(key), icon, handler, ident, snug=True) for key, icon, handler, ident in core]
        rows.append(kit.button_pair([(t(key), icon, handler, ident) for key, icon, handler, ident in tools]))
        return [ft.Column(rows, spacing=kit.s.gap / 2, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)]

    def _standard_grid(self) -> list[ft.Control]:
        tiles = [self.kit.tile_action(self.t(key), icon, handler, ident)
                 for key, icon, handler, ident in self._actions()]
        rows = [ft.Row(tiles[i:i + 2], spacing=self.kit.s.gap) for i in range(0, len(tiles), 2)]
        return rows
