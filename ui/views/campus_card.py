"""My campus card (from My payment code or Settings): what pays for it (my balance or a linked bank card, as
big exclusive buttons), the daily limit with today's spending, changed on the big keypad and read back
before it is saved, and the phones that make its codes, each with "I lost this phone" — removed only after
a confirmation that says its codes stop working at once.
"""

from __future__ import annotations

import flet as ft

from app.campus_card import DAILY_LIMIT_MAX_FEN, DAILY_LIMIT_MIN_FEN, CampusCardView
from ui.shell import Screen
from ui.views.amount_entry import AmountEntry


def _campus_name(card, locale: str) -> str:
    return card.campus_local_name if card.campus_local_name and locale != "en" else card.campus_name


class CampusCardScreen(Screen):
    title_key = "code.card_title"

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.view: CampusCardView | None = None
        self.loaded = False
        self.mode = "overview"              # overview -> limit -> limit_check; or overview -> lost
        self.limit = AmountEntry(self, identifier="campus-limit-amount", key_prefix="campus-limit-key")
        self.new_limit_fen: int | None = None
        self.losing = None                  # the DeviceOut whose removal waits for "Yes"

    @property
    def campus(self):
        return self.ui.session.campus

    def on_show(self) -> None:
        self.ui.run(self.campus.load, self._loaded, busy_key="busy.loading")

    def _loaded(self, view: CampusCardView | None) -> None:
        self.view, self.loaded = view, True

    def build(self) -> list[ft.Control]:
        if not self.loaded:
            return []
        if self.view is None:
            return [self.kit.notice(self.t("code.card_none"), "campus-none", icon=ft.Icons.SCHOOL)]
        return {"overview": self._overview, "limit": self._limit, "limit_check": self._limit_check,
                "lost": self._lost_check}[self.mode]()

    # ---- the card at a glance -------------------------------------------------------------------

    def _overview(self) -> list[ft.Control]:
        kit, t, card = self.kit, self.t, self.view.card
        who = t("code.card_who", campus=_campus_name(card, t.locale), name=card.masked_name,
                number=card.student_number)
        controls: list[ft.Control] = [kit.body(who, identifier="campus-card-who")]
        if card.status == "suspended":
            controls.append(kit.notice(t("code.card_suspended"), "campus-suspended", icon=ft.Icons.WARNING_AMBER))
        controls += self._funding()
        controls += self._daily_limit()
        controls += self._devices()
        return controls

    def _section(self, key: str, identifier: str) -> ft.Control:
        return self.kit.text(self.t(key), size=self.kit.s.button_text, weight=ft.FontWeight.BOLD,
                             identifier=identifier)

    # ---- what pays ------------------------------------------------------------------------------

    def _funding_words(self, choice: str) -> str:
        t = self.t
        if choice == "wallet":
            return t("code.fund_wallet")
        bank = next((b for b in self.view.bank_cards if f"bank-{b.id}" == choice), None)
        return t("code.fund_bank", bank=bank.bank_name, last4=bank.last4) if bank else t("code.fund_bank_gone")

    def _chosen_funding(self) -> str:
        card = self.view.card
        return "wallet" if card.funding_source == "wallet" else f"bank-{card.bank_card_id}"

    def _funding(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        choices = ["wallet", *[f"bank-{b.id}" for b in self.view.bank_cards]]
        chosen = self._chosen_funding()
        if chosen not in choices:
            choices.append(chosen)       # a bank card no longer usable stays visible while it is the choice
        controls = [self._section("code.fund_title", "campus-fund-title"),
                    kit.body(t("code.fund_now", source=self._funding_words(chosen)), identifier="campus-fund-now")]
        for choice in choices:
            words = self._funding_words(choice)
            if choice == chosen:
                words = f"✓ {words}"        # the choice in words, not by colour alone
            # A card, not a fixed-height button: a bank's long name wraps instead of being cut off.
            controls.append(kit.card([kit.text(words, weight=ft.FontWeight.W_600)], identifier=f"campus-fund-{choice}",
                                     label=words, on_click=lambda e, c=choice: self.choose_funding(c)))
        if not self.view.bank_cards:
            controls.append(kit.muted(t("code.fund_no_bank")))
        return controls

    def choose_funding(self, choice: str) -> None:
        if self.ui.busy or choice == self._chosen_funding():
            return
        bank_id = int(choice.removeprefix("bank-")) if choice.startswith("bank-") else None
        source, campus = ("wallet" if bank_id is None else "bank_card"), self.campus
        self.ui.run(lambda: campus.choose_funding(source, bank_id), self._funding_saved, busy_key="busy.saving")

    def _funding_saved(self, view: CampusCardView) -> None:
        self.view = view
        self.ui.announce(self.t("code.fund_saved", source=self._funding_words(self._chosen_funding())))

    # ---- the daily limit --------------------------------------------------------------------------

    def _today_words(self) -> str:
        t, v = self.t, self.view
        return t("code.limit_today", limit=t.money(v.card.daily_limit_fen), spent=t.money(v.card.spent_today_fen),
                 left=t.money(v.left_today_fen))

    def _daily_limit(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        controls = [self._section("code.limit_title", "campus-limit-title"),
                    kit.body(self._today_words(), identifier="campus-limit-today")]
        for line in self.view.today.by_merchant:
            shop = line.local_name if line.local_name and t.locale != "en" else line.merchant_name
            words = t("code.spent_at", merchant=shop, amount=t.money(line.total_fen - line.refunded_fen),
                      count=line.payments)
            controls.append(kit.muted(words, identifier=f"campus-spent-{line.merchant_id}"))
        controls.append(kit.button(t("code.limit_change"), self.change_limit, "campus-limit-change",
                                   icon=ft.Icons.TUNE, primary=False))
        return controls

    def change_limit(self, _event=None) -> None:
        self.limit.clear()
        self.mode = "limit"
        self.ui.render()

    def _range_words(self) -> str:
        t = self.t
        return t("code.limit_range", low=t.money(DAILY_LIMIT_MIN_FEN), high=t.money(DAILY_LIMIT_MAX_FEN))

    def _limit(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        header = kit.body(f"{self._range_words()} {self._today_words()}", identifier="campus-limit-range")
        return [*self.limit.step(header, self.check_limit, "campus-limit-continue"),
                kit.button(t("code.limit_keep"), self.to_overview, "campus-limit-cancel", primary=False)]

    def check_limit(self, _event=None) -> None:
        fen = self.limit.required()
        if not fen:
            return
        if not DAILY_LIMIT_MIN_FEN <= fen <= DAILY_LIMIT_MAX_FEN:
            self.ui.error = self.t("code.limit_out_of_range", range=self._range_words())
            self.ui.announce(self.ui.error)
            self.ui.render()
            return
        self.new_limit_fen, self.mode = fen, "limit_check"
        self.ui.announce(self.limit_readback())
        self.ui.render()

    def limit_readback(self) -> str:
        t, spent = self.t, self.view.card.spent_today_fen
        words = t("code.limit_readback", limit=t.money(self.new_limit_fen), spent=t.money(spent),
                  left=t.money(max(0, self.new_limit_fen - spent)))
        if self.new_limit_fen <= spent:
            words += " " + t("code.limit_reached_today")
        return words

    def _limit_check(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        return [kit.notice(self.limit_readback(), "campus-limit-readback", icon=ft.Icons.RECORD_VOICE_OVER),
                kit.button(t("code.limit_save", limit=t.money(self.new_limit_fen)), self.save_limit,
                           "campus-limit-save", icon=ft.Icons.CHECK, disabled=self.ui.busy),
                kit.button(t("pay.change_amount"), self.change_limit, "campus-limit-again", primary=False)]

    def save_limit(self, _event=None) -> None:
        if self.ui.busy:
            return
        fen, campus = self.new_limit_fen, self.campus
        self.ui.run(lambda: campus.set_daily_limit(fen), self._limit_saved, busy_key="busy.saving")

    def _limit_saved(self, view: CampusCardView) -> None:
        self.view, self.mode = view, "overview"
        self.ui.announce(self.t("code.limit_saved", limit=self.t.money(view.card.daily_limit_fen)))

    def to_overview(self, _event=None) -> None:
        self.mode, self.losing = "overview", None
        self.ui.render()

    # ---- the phones -------------------------------------------------------------------------------

    def _device_words(self, device) -> str:
        t = self.t
        words = t("code.device", label=device.label, number=f"{device.number:06d}", added=t.date(device.created_at))
        if device.status == "revoked":
            return words + " " + t("code.device_removed", date=t.date(device.revoked_at or device.created_at))
        if device.last_used_at:
            words += " " + t("code.device_last_used", date=t.date(device.last_used_at))
        if device.id == self.view.this_device_id:
            words += " " + t("code.device_this_one")
        return words

    def _devices(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        controls: list[ft.Control] = [self._section("code.devices_title", "campus-devices-title"),
                                      kit.muted(t("code.devices_hint"))]
        for device in self.view.card.devices:
            words = self._device_words(device)
            if device.status == "revoked":
                controls.append(kit.muted(words, identifier=f"campus-device-{device.id}"))
                continue
            controls.append(kit.card([kit.body(words)], identifier=f"campus-device-{device.id}", label=words))
            controls.append(kit.button(t("code.device_lost", label=device.label), lambda e, d=device: self.ask_lost(d),
                                       f"campus-device-lost-{device.id}", icon=ft.Icons.PHONELINK_ERASE,
                                       primary=False))
        return controls

    def ask_lost(self, device) -> None:
        self.losing, self.mode = device, "lost"
        self.ui.announce(self.lost_question())
        self.ui.render()

    def lost_question(self) -> str:
        t, device = self.t, self.losing
        words = t("code.lost_question", label=device.label, number=f"{device.number:06d}")
        if device.id == self.view.this_device_id:
            words += " " + t("code.lost_this_one")
        return words

    def _lost_check(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        return kit.confirmation(self.lost_question(), "campus-lost-question",
                                (t("code.lost_yes"), self.remove_lost, "campus-lost-yes"),
                                (t("code.lost_no"), self.to_overview, "campus-lost-no"),
                                yes_icon=ft.Icons.PHONELINK_ERASE, busy=self.ui.busy)

    def remove_lost(self, _event=None) -> None:
        if self.ui.busy:
            return
        device, campus = self.losing, self.campus
        self.ui.run(lambda: campus.report_lost(device.id), lambda view: self._removed(view, device),
                    busy_key="busy.saving")

    def _removed(self, view: CampusCardView, device) -> None:
        self.view, self.mode, self.losing = view, "overview", None
        self.ui.announce(self.t("code.lost_done", label=device.label))
