"""The regulator's console: the escrow coverage table (one row per merchant, least covered first),
the open alerts (acknowledge each), and declaring a merchant in default — after a confirmation that
states what will happen, because it cannot be undone."""

from __future__ import annotations

import uuid

import flet as ft

from app.regulator import below_required, consequences
from ui.shell import Screen

ALERT_TYPES = ("card_over_limit", "escrow_below_required", "complaints", "closing_with_balances")


def merchant_name(m, locale: str) -> str:
    return f"{m.local_name} ({m.name})" if m.local_name and locale != "en" else m.name


def coverage_words(t, m) -> str:
    if m.coverage_ratio is None:
        return t("regulator.nothing_owed")
    return t("regulator.coverage", percent=round(m.coverage_ratio * 100), required=m.required_pct)


class RegulatorScreen(Screen):
    title_key = "regulator.title"

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.view = "coverage"           # coverage | alerts
        self.merchants = None
        self.alerts = None

    def on_show(self) -> None:
        self.load()

    def load(self) -> None:
        regulator = self.ui.session.regulator
        self.ui.run(lambda: (regulator.coverage(), regulator.alerts()), self._loaded, busy_key="busy.loading")

    def _loaded(self, loaded) -> None:
        self.merchants, self.alerts = loaded

    def build(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        if self.merchants is None:
            return []
        controls: list[ft.Control] = [kit.choice_row(
            [("coverage", t("regulator.coverage_tab")), ("alerts", t("regulator.alerts_tab", count=len(self.alerts)))],
            self.view, self.switch, "regulator-view", columns=2)]
        return controls + (self._coverage() if self.view == "coverage" else self._alerts())

    def switch(self, view: str) -> None:
        self.view = view
        self.ui.render()

    def _coverage(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        if not self.merchants:
            return [kit.body(t("regulator.no_merchants"))]
        rows = []
        for m in self.merchants:
            name = merchant_name(m, t.locale)
            lines = [t(f"regulator.standing.{m.standing}"),
                     t("regulator.owed_held", owed=t.money(m.outstanding_fen), held=t.money(m.escrow_fen)),
                     coverage_words(t, m),
                     t("regulator.cards_alerts", cards=m.active_cards, alerts=m.open_alerts)]
            if below_required(m):
                lines.insert(0, t("regulator.below_required", required=t.money(m.required_fen)))
            label = f"{name}. " + " ".join(lines)
            icon = ft.Icons.WARNING_AMBER if below_required(m) or m.open_alerts else ft.Icons.VERIFIED_OUTLINED
            rows.append(kit.card([ft.Row([ft.Icon(icon, color=kit.p.secondary, size=kit.s.icon),
                                          kit.text(name, weight=ft.FontWeight.BOLD)]),
                                  *[kit.muted(line) for line in lines]],
                                 identifier=f"regulator-merchant-{m.merchant_id}", label=label,
                                 on_click=lambda e, m=m: self.ui.open(DefaultScreen(self.ui, m))))
        return rows

    def _alerts(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        if not self.alerts:
            return [kit.body(t("regulator.no_alerts"))]
        rows = []
        for a in self.alerts:
            what = t(f"regulator.alert.{a.type}") if a.type in ALERT_TYPES else a.type
            severity = t(f"regulator.severity.{a.severity}")
            seen = (t("regulator.acknowledged", when=t.datetime(a.acknowledged_at)) if a.acknowledged_at
                    else t("regulator.raised", when=t.datetime(a.created_at), count=a.occurrences))
            words = f"{severity}: {what} — {a.merchant_name}. {seen}"
            items: list[ft.Control] = [kit.text(f"{severity}: {what}", weight=ft.FontWeight.BOLD),
                                       kit.body(a.merchant_name), kit.muted(seen)]
            if a.acknowledged_at is None:
                items.append(kit.button(t("regulator.acknowledge"), lambda e, a=a: self.acknowledge(a),
                                        f"regulator-ack-{a.id}", icon=ft.Icons.DONE, primary=False))
            rows.append(kit.card(items, identifier=f"regulator-alert-{a.id}", label=words))
        return rows

    def acknowledge(self, alert) -> None:
        if self.ui.busy:
            return
        self.ui.run(lambda: self.ui.session.regulator.acknowledge(alert), lambda _a: self.load(),
                    busy_key="busy.saving")


class DefaultScreen(Screen):
    """One merchant; declaring it in default, with the consequences stated first."""

    title_key = "regulator.merchant_title"

    def __init__(self, ui, merchant) -> None:
        super().__init__(ui)
        self.merchant = merchant
        self.confirming = False
        self.done = None
        self.key = uuid.uuid4().hex           # this declaration, however often the button is pressed

    def consequences_words(self) -> str:
        t, m = self.t, self.merchant
        c = consequences(m)
        words = t("regulator.default_consequences", name=merchant_name(m, t.locale), cards=c.cards,
                  owed=t.money(c.owed_fen), escrow=t.money(c.escrow_fen))
        if c.short_fen:
            words += " " + t("regulator.default_short", short=t.money(c.short_fen))
        return words + " " + t("regulator.default_final")

    def build(self) -> list[ft.Control]:
        kit, t, m = self.kit, self.t, self.merchant
        controls: list[ft.Control] = [
            kit.body(merchant_name(m, t.locale), identifier="regulator-merchant-name"),
            kit.muted(t(f"regulator.standing.{m.standing}")),
            kit.muted(t("regulator.owed_held", owed=t.money(m.outstanding_fen), held=t.money(m.escrow_fen))),
            kit.muted(coverage_words(t, m)),
        ]
        if self.done is not None:
            d = self.done
            words = t("regulator.default_done", cards=d.cards_closed, refunded=t.money(d.refunded_fen),
                      holders=d.holders)
            if d.unrecovered_fen:
                words += " " + t("regulator.default_unrecovered", amount=t.money(d.unrecovered_fen))
            return controls + [kit.notice(words, "regulator-default-done", icon=ft.Icons.CHECK_CIRCLE_OUTLINE)]
        if m.standing == "defaulted":
            return controls + [kit.body(t("regulator.already_defaulted"))]
        if not self.confirming:
            return controls + [kit.button(t("regulator.declare_default"), self.ask, "regulator-default",
                                          icon=ft.Icons.GAVEL, primary=False)]
        return controls + kit.confirmation(
            self.consequences_words(), "regulator-default-consequences",
            (t("regulator.default_confirm", name=m.name), self.declare, "regulator-default-confirm"),
            (t("regulator.default_cancel"), self.cancel, "regulator-default-cancel"),
            yes_icon=ft.Icons.GAVEL, busy=self.ui.busy)

    def ask(self, _event=None) -> None:
        self.confirming = True
        self.ui.announce(self.consequences_words())
        self.ui.render()

    def cancel(self, _event=None) -> None:
        self.confirming = False
        self.ui.render()

    def declare(self, _event=None) -> None:
        if self.ui.busy:
            return
        merchant, key = self.merchant, self.key
        self.ui.run(lambda: self.ui.session.regulator.declare_default(merchant, key), self._declared,
                    busy_key="busy.working")

    def _declared(self, out) -> None:
        self.done = out
        t = self.t
        self.ui.announce(t("regulator.default_done", cards=out.cards_closed, refunded=t.money(out.refunded_fen),
                           holders=out.holders))
