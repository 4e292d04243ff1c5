"""A family card I give (from Family): change its monthly cap on the big keypad — the range this server allows
said in words first, the new cap read back with what is left this month before it is saved — or close it,
after a confirmation that states what closing does.
"""

from __future__ import annotations

from typing import Any

import flet as ft

from app.family import room_with_cap
from ui.shell import Screen
from ui.views.amount_entry import AmountEntry

FamilyCardOut = Any     # wallet_api.schemas.family_card.FamilyCardOut (ui never imports the server's package)


class FamilyCardScreen(Screen):
    def __init__(self, ui, card: FamilyCardOut, cap_min_fen: int, cap_max_fen: int) -> None:
        super().__init__(ui)
        self.card = card
        self.cap_min_fen, self.cap_max_fen = cap_min_fen, cap_max_fen
        self.mode = "overview"          # overview -> cap -> cap_check; overview -> close -> closed
        self.cap = AmountEntry(self, identifier="family-cap-amount", key_prefix="family-cap-key")
        self.new_cap_fen: int | None = None

    def title(self) -> str:
        return self.t("family.card_title", holder=self.card.holder)

    def build(self) -> list[ft.Control]:
        return {"overview": self._overview, "cap": self._cap, "cap_check": self._cap_check,
                "close": self._close_check, "closed": self._closed}[self.mode]()

    def _card_words(self) -> str:
        t, card = self.t, self.card
        key = "family.card_paused_given" if card.status == "paused" else "family.card_given"
        return t(key, holder=card.holder, cap=t.money(card.monthly_cap_fen), left=t.money(card.left_this_month_fen),
                 spent=t.money(card.spent_this_month_fen))

    def _overview(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        return [kit.card([kit.body(self._card_words())], identifier="family-card-now", label=self._card_words()),
                kit.button(t("family.card_cap_change"), self.change_cap, "family-card-cap-change", icon=ft.Icons.TUNE),
                kit.button(t("family.card_close"), self.ask_close, "family-card-close", icon=ft.Icons.BLOCK,
                           primary=False)]

    # ---- the monthly cap --------------------------------------------------------------------------

    def _range_words(self) -> str:
        t = self.t
        return t("family.card_cap_range", low=t.money(self.cap_min_fen), high=t.money(self.cap_max_fen),
                 cap=t.money(self.card.monthly_cap_fen), spent=t.money(self.card.spent_this_month_fen))

    def change_cap(self, _event=None) -> None:
        self.cap.clear()
        self.mode = "cap"
        self.ui.render()

    def _cap(self) -> list[ft.Control]:
        header = self.kit.body(self._range_words(), identifier="family-cap-range")
        return [*self.cap.step(header, self.check_cap, "family-cap-continue"),
                self.kit.button(self.t("family.card_keep"), self.to_overview, "family-cap-cancel", primary=False)]

    def check_cap(self, _event=None) -> None:
        fen = self.cap.required()
        if not fen:
            return
        if not self.cap_min_fen <= fen <= self.cap_max_fen:
            self.ui.error = self.t("family.card_cap_out_of_range", range=self._range_words())
            self.ui.announce(self.ui.error)
            self.ui.render()
            return
        self.new_cap_fen, self.mode = fen, "cap_check"
        self.ui.announce(self.cap_readback())
        self.ui.render()

    def cap_readback(self) -> str:
        t, card, cap = self.t, self.card, self.new_cap_fen
        words = t("family.card_cap_readback", holder=card.holder, cap=t.money(cap),
                  spent=t.money(card.spent_this_month_fen), left=t.money(room_with_cap(card, cap)))
        if room_with_cap(card, cap) == 0:
            words += " " + t("family.card_cap_reached_now")
        return words

    def _cap_check(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        return [kit.notice(self.cap_readback(), "family-cap-readback", icon=ft.Icons.RECORD_VOICE_OVER),
                kit.button(t("family.card_cap_save", cap=t.money(self.new_cap_fen)), self.save_cap, "family-cap-save",
                           icon=ft.Icons.CHECK, disabled=self.ui.busy),
                kit.button(t("pay.change_amount"), self.change_cap, "family-cap-again", primary=False)]

    def save_cap(self, _event=None) -> None:
        if self.ui.busy:
            return
        session, card_id, cap = self.ui.session, self.card.id, self.new_cap_fen
        self.ui.run(lambda: session.change_family_card_cap(card_id, cap), self._cap_saved, busy_key="busy.saving")

    def _cap_saved(self, card: FamilyCardOut) -> None:
        self.card, self.mode = card, "overview"
        self.ui.announce(self.t("family.card_cap_saved", holder=card.holder, cap=self.t.money(card.monthly_cap_fen)))

    def to_overview(self, _event=None) -> None:
        self.mode = "overview"
        self.ui.render()

    # ---- closing ------------------------------------------------------------------------------------

    def close_question(self) -> str:
        return self.t("family.card_close_question", holder=self.card.holder)

    def ask_close(self, _event=None) -> None:
        self.mode = "close"
        self.ui.announce(self.close_question())
        self.ui.render()

    def _close_check(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        return kit.confirmation(self.close_question(), "family-card-close-question",
                                (t("family.card_close_yes"), self.close, "family-card-close-yes"),
                                (t("family.card_close_no"), self.to_overview, "family-card-close-no"),
                                yes_icon=ft.Icons.BLOCK, busy=self.ui.busy)

    def close(self, _event=None) -> None:
        if self.ui.busy:
            return
        session, card_id = self.ui.session, self.card.id
        self.ui.run(lambda: session.close_family_card(card_id), self._closed_now, busy_key="busy.working")

    def _closed_now(self, card: FamilyCardOut) -> None:
        self.card, self.mode = card, "closed"
        self.ui.announce(self.t("family.card_closed_now", holder=card.holder))

    def _closed(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        return [kit.notice(t("family.card_closed_now", holder=self.card.holder), "family-card-closed",
                           icon=ft.Icons.CHECK_CIRCLE_OUTLINE),
                kit.button(t("nav.back"), self.ui.back, "family-card-closed-back", icon=ft.Icons.ARROW_BACK)]
