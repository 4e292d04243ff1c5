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
        from ui.views.history import HistoryScreen
        from ui.views.messages import MessagesScreen
        from ui.views.pay import PayScreen
        from ui.views.settings import SettingsScreen
        actions = [
            ("home.pay", ft.Icons.QR_CODE_SCANNER, lambda e: self.ui.open(PayScreen(self.ui)), "home-pay"),
            ("home.bills" if self.ui.state.prefs.care_mode else "home.history", ft.Icons.RECEIPT_LONG,
             lambda e: self.ui.open(HistoryScreen(self.ui)), "home-history"),
            ("home.messages", ft.Icons.MAIL_OUTLINE, lambda e: self.ui.open(MessagesScreen(self.ui)),
             "home-messages"),
            ("home.settings", ft.Icons.SETTINGS, lambda e: self.ui.open(SettingsScreen(self.ui)), "home-settings"),
        ]
        if self.ui.state.is_merchant:
            from ui.views.cashier import CashierScreen
            actions.insert(1, ("home.cashier", ft.Icons.STOREFRONT, lambda e: self.ui.open(CashierScreen(self.ui)),
                               "home-cashier"))
        return actions

    def _care_list(self) -> list[ft.Control]:
        # Only what exists today, in a simple list (Payment code, Transfer to family and
        # "Call my family" arrive with their issues).
        return [self.kit.list_action(self.t(key), icon, handler, ident)
                for key, icon, handler, ident in self._actions()]

    def _standard_grid(self) -> list[ft.Control]:
        tiles = [self.kit.tile_action(self.t(key), icon, handler, ident)
                 for key, icon, handler, ident in self._actions()]
        rows = [ft.Row(tiles[i:i + 2], spacing=self.kit.s.gap) for i in range(0, len(tiles), 2)]
        return rows
