"""Family: acting for a relative, family cards, the safety guardian. Not built yet (it waits for
the family backend); the tile opens this page so nobody meets a dead button."""

from __future__ import annotations

import flet as ft

from ui.shell import Screen


class FamilyScreen(Screen):
    title_key = "family.title"

    def build(self) -> list[ft.Control]:
        return [self.kit.notice(self.t("family.coming"), "family-coming", icon=ft.Icons.SCHEDULE),
                self.kit.button(self.t("nav.home"), lambda e: self.ui.home(), "family-home", icon=ft.Icons.HOME,
                                primary=False)]
