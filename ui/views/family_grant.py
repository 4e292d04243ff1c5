"""The elder changes what a relative may do: each scope a labelled switch, the per-payment and per-day
limits, and how long it lasts. The new grant is read back in words before it is saved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import flet as ft

from app.family import SCOPE_ORDER, grant_in_words, suggested_grant, yuan_to_fen
from ui.shell import Screen

# How long a grant lasts, as the person picks it: days (None: until it is ended).
DURATIONS = (("none", None), ("month", 30), ("quarter", 90), ("year", 365))


class GrantScreen(Screen):
    title_key = "family.grant_title"

    def __init__(self, ui, link: Any) -> None:
        super().__init__(ui)
        self.link = link
        g = link.grant
        self.scopes = set(g.scopes)
        self.per_payment = _yuan(g.per_payment_limit_fen)
        self.per_day = _yuan(g.per_day_limit_fen)
        self.duration = "keep" if g.expires_at else "none"

    def title(self) -> str:
        return self.t("family.grant_title", name=self.link.relative.display_name)

    def wanted(self) -> Any:
        """The grant as chosen on screen, or None (with a sentence) when a field is not an amount."""
        per_payment, per_day = yuan_to_fen(self.per_payment), yuan_to_fen(self.per_day)
        if not per_payment or not per_day:
            self.ui.error = self.t("family.amount_wrong")
            return None
        if not self.scopes:
            self.ui.error = self.t("family.scopes_none")
            return None
        days = dict(DURATIONS).get(self.duration)
        expires = (self.link.grant.expires_at if self.duration == "keep"
                   else datetime.now(UTC) + timedelta(days=days) if days else None)
        return suggested_grant(per_payment, per_day, expires, scopes=tuple(s for s in SCOPE_ORDER if s in self.scopes))

    def build(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        on, off = t("settings.on"), t("settings.off")
        controls: list[ft.Control] = [kit.muted(t("family.grant_hint", name=self.link.relative.display_name))]
        for scope in SCOPE_ORDER:
            controls.append(kit.toggle(t(f"family.scope.{scope.value}"), scope in self.scopes,
                                       lambda value, s=scope: self.switch(s, value), f"grant-scope-{scope.value}",
                                       on_words=on, off_words=off))
        controls += [kit.field(t("family.grant_per_payment"), "grant-per-payment", value=self.per_payment,
                               keyboard=ft.KeyboardType.NUMBER,
                               on_change=lambda e: setattr(self, "per_payment", e.control.value)),
                     kit.field(t("family.grant_per_day"), "grant-per-day", value=self.per_day,
                               keyboard=ft.KeyboardType.NUMBER,
                               on_change=lambda e: setattr(self, "per_day", e.control.value)),
                     kit.muted(t("family.grant_how_long"))]
        options = [(name, t(f"family.duration.{name}")) for name, _days in DURATIONS]
        if self.link.grant.expires_at:
            options.insert(0, ("keep", t("family.grant.until", date=t.date(self.link.grant.expires_at))))
        controls += [kit.choice_row(options, self.duration, self.pick_duration, "grant-duration", columns=2),
                     kit.button(t("family.grant_save"), self.save, "grant-save", icon=ft.Icons.SAVE,
                                disabled=self.ui.busy)]
        return controls

    def switch(self, scope, value: bool) -> None:
        (self.scopes.add if value else self.scopes.discard)(scope)
        self.ui.render()

    def pick_duration(self, name: str) -> None:
        self.duration = name
        self.ui.render()

    def save(self, _event=None) -> None:
        grant = self.wanted()
        if grant is None:
            self.ui.render()
            return
        family, link = self.ui.session.family, self.link
        self.ui.run(lambda: family.edit_grant(link, grant), self._saved, busy_key="busy.saving")

    def _saved(self, link: Any) -> None:
        words = grant_in_words(link.grant, self.t,
                               relative=link.relative.display_name)
        self.ui.back()
        self.ui.announce(" ".join([self.t("family.grant_saved"), *words]))


def _yuan(fen: int) -> str:
    whole, cents = divmod(fen, 100)
    return f"{whole}" if not cents else f"{whole}.{cents:02d}"
