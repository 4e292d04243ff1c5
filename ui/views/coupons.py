"""City coupons: open campaigns by industry, each with the progress of the issue as a bar and in
words; claim one (first come), or enter the draw (lottery) and see the result; my coupons. Coupons
are used in Pay, where the best one is proposed in the summary."""

from __future__ import annotations

import uuid

import flet as ft

from app.coupons import CouponBoard
from ui.shell import Screen

RESULT_KEYS = {"registered": "coupons.ticket_registered", "rolled_over": "coupons.ticket_rolled_over",
               "won": "coupons.ticket_won", "lost": "coupons.ticket_lost"}


def coupon_words(t, item) -> str:
    """'Spend CN¥100.00, save CN¥30.00' or 'CN¥20.00 off, no minimum' (a campaign or a coupon)."""
    if item.threshold_fen:
        return t("coupons.spend_save", threshold=t.money(item.threshold_fen), value=t.money(item.value_fen))
    return t("coupons.no_threshold", value=t.money(item.value_fen))


class CouponsScreen(Screen):
    title_key = "coupons.title"

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.board: CouponBoard | None = None
        self.industry: str | None = None          # None: every industry
        self.claim_keys: dict[int, str] = {}      # one key per campaign until a claim succeeds
        self.just_claimed: str | None = None

    def on_show(self) -> None:
        self.load()

    def load(self) -> None:
        self.ui.run(self.ui.session.coupons.board, lambda board: setattr(self, "board", board),
                    busy_key="busy.loading")

    def build(self) -> list[ft.Control]:
        kit, t, board = self.kit, self.t, self.board
        if board is None:
            return []
        industries = board.industries()
        controls: list[ft.Control] = []
        if self.just_claimed:
            controls.append(kit.notice(self.just_claimed, "coupons-claimed", icon=ft.Icons.CHECK_CIRCLE_OUTLINE))
        if industries:
            options = [("all", t("coupons.all"))] + [(i, t(f"coupons.industry.{i}")) for i in industries]
            controls.append(kit.choice_row(options, self.industry or "all", self.pick_industry, "coupons-industry",
                                           columns=2))
        campaigns = board.in_industry(self.industry)
        if not campaigns:
            controls.append(kit.body(t("coupons.none_open")))
        controls += [self._campaign(c) for c in campaigns]
        controls.append(kit.muted(t("coupons.mine")))
        if not board.mine:
            controls.append(kit.body(t("coupons.none_mine")))
        for coupon in board.mine:
            words = [coupon_words(t, coupon), coupon.campaign_name, self._status(coupon)]
            controls.append(kit.card([kit.text(words[0], weight=ft.FontWeight.W_600), kit.muted(words[1]),
                                      kit.muted(words[2])],
                                     identifier=f"coupons-mine-{coupon.id}", label=". ".join(words)))
        return controls

    def pick_industry(self, industry: str) -> None:
        self.industry = None if industry == "all" else industry
        self.ui.render()

    def _status(self, coupon) -> str:
        t = self.t
        if coupon.status == "redeemed":
            return t("coupons.used_on", date=t.date(coupon.redeemed_at))
        if coupon.status == "expired":
            return t("coupons.expired_on", date=t.date(coupon.expires_at))
        return t("coupons.use_by", date=t.date(coupon.expires_at))

    def _campaign(self, c) -> ft.Control:
        kit, t = self.kit, self.t
        progress = t("coupons.progress", claimed=c.claimed, total=c.total_quantity, percent=c.progress_percent)
        bar = ft.Semantics(identifier=f"coupons-progress-{c.id}", label=progress, exclude_semantics=True,
                           content=ft.Column([ft.ProgressBar(value=c.claimed / c.total_quantity if c.total_quantity
                                                             else 0, color=kit.p.primary, bgcolor=kit.p.border,
                                                             bar_height=10, border_radius=5),
                                              kit.muted(progress)], spacing=4))
        rows = [kit.text(c.name, weight=ft.FontWeight.BOLD), kit.body(coupon_words(t, c)),
                kit.muted(t("coupons.where", industries=", ".join(t(f"coupons.industry.{x.value}")
                                                                  for x in c.categories))),
                bar, kit.muted(t("coupons.validity", days=c.validity_days, cap=c.per_person_cap))]
        rows += self._lottery(c) if c.claim_mode.value == "lottery" else self._first_come(c)
        return kit.card(rows, identifier=f"coupons-campaign-{c.id}")

    def _first_come(self, c) -> list[ft.Control]:
        t = self.t
        if not c.available:
            return [self.kit.body(t("coupons.none_left"))]
        return [self.kit.button(t("coupons.claim"), lambda e: self.claim(c), f"coupons-claim-{c.id}",
                                icon=ft.Icons.ADD_CIRCLE_OUTLINE, disabled=self.ui.busy)]

    def _lottery(self, c) -> list[ft.Control]:
        kit, t = self.kit, self.t
        tickets = self.board.tickets.get(c.id, [])
        closes = next((b.release_at for b in c.batches if b.drawn_at is None), None)
        rows: list[ft.Control] = []
        if closes is not None:
            rows.append(kit.muted(t("coupons.draw_on", date=t.datetime(closes))))
        if tickets:
            latest = tickets[-1]
            words = t(RESULT_KEYS[latest.status], round=latest.round)
            rows.append(kit.body(words, identifier=f"coupons-ticket-{c.id}"))
        elif c.open:
            rows.append(kit.button(t("coupons.enter_draw"), lambda e: self.enter_draw(c), f"coupons-register-{c.id}",
                                   icon=ft.Icons.CASINO, disabled=self.ui.busy))
        return rows

    def claim(self, campaign) -> None:
        if self.ui.busy:
            return
        key = self.claim_keys.setdefault(campaign.id, uuid.uuid4().hex)
        self.ui.run(lambda: self.ui.session.coupons.claim(campaign, key), self._claimed, busy_key="busy.working")

    def _claimed(self, coupon) -> None:
        self.claim_keys.pop(coupon.campaign_id, None)
        self.just_claimed = self.t("coupons.claimed", coupon=coupon_words(self.t, coupon),
                                   date=self.t.date(coupon.expires_at))
        self.ui.announce(self.just_claimed)
        self.load()

    def enter_draw(self, campaign) -> None:
        if self.ui.busy:
            return
        self.ui.run(lambda: self.ui.session.coupons.enter_draw(campaign), lambda _ticket: self.load(),
                    busy_key="busy.working")
