"""History (called "Bills" in care mode) and one receipt, with "check this in the journal":
the device itself verifies the server's signed proof, with the key it pinned the first time."""

from __future__ import annotations

from typing import Any

import flet as ft

from app.actions import JournalCheck
from app.family import done_by_in_words
from ui.shell import Screen


def kind_key(item: Any) -> str:
    return f"kind.{item.kind}"


class HistoryScreen(Screen):
    title_key = "history.title"

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.items: list[Any] = []
        self.next_cursor: int | None = None
        self.loaded = False

    def title(self) -> str:
        return self.t("home.bills" if self.ui.state.prefs.care_mode else "history.title")

    def on_show(self) -> None:
        if not self.loaded:
            self.ui.run(self.ui.session.history, self._page, busy_key="busy.loading")

    def _page(self, page) -> None:
        self.items += page.items
        self.next_cursor = page.next_cursor
        self.loaded = True

    def more(self, _event=None) -> None:
        cursor = self.next_cursor
        self.ui.run(lambda: self.ui.session.history(cursor=cursor), self._page, busy_key="busy.loading")

    def describe(self, item: Any) -> str:
        t = self.t
        what = t(kind_key(item)) if t.has(kind_key(item)) else t("kind.other_in" if item.amount_fen > 0
                                                                  else "kind.other_out")
        return f"{what}: {item.counterparty}" if item.counterparty else what

    def build(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        if self.loaded and not self.items:
            return [kit.body(t("history.empty"))]
        controls: list[ft.Control] = []
        for item in self.items:
            amount = t.money(item.amount_fen, signed=True)
            words = self.describe(item)
            when = t.datetime(item.created_at)
            label = t("history.item", what=words, amount=amount, when=when)
            done_by = done_by_in_words(item, t)        # a relative did this for me: say who
            if done_by:
                label += " " + done_by
            controls.append(kit.card([ft.Row([kit.text(words, weight=ft.FontWeight.W_600),
                                              kit.text(amount, weight=ft.FontWeight.BOLD)],
                                             alignment=ft.MainAxisAlignment.SPACE_BETWEEN, wrap=True),
                                      *([kit.body(done_by)] if done_by else []), kit.muted(when)],
                                     identifier=f"history-item-{item.transfer_id}", label=label,
                                     on_click=lambda e, i=item: self.open_item(i)))
        if self.next_cursor:
            controls.append(kit.button(t("history.more"), self.more, "history-more", primary=False))
        return controls

    def open_item(self, item: Any) -> None:
        self.ui.open(ReceiptScreen(self.ui, payment_id=item.payment_id, item=item))


class ReceiptScreen(Screen):
    title_key = "receipt.title"

    def __init__(self, ui, *, payment_id: int | None, item: Any | None = None,
                 receipt: Any | None = None) -> None:
        super().__init__(ui)
        self.payment_id = payment_id
        self.item = item
        self.receipt = receipt
        self.check: JournalCheck | None = None

    @property
    def transfer_id(self) -> int:
        return self.receipt.transfer_id if self.receipt else self.item.transfer_id

    def on_show(self) -> None:
        if self.receipt is None and self.payment_id is not None:
            self.ui.run(lambda: self.ui.session.receipt(self.payment_id), lambda r: setattr(self, "receipt", r),
                        busy_key="busy.loading")

    def build(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        rows: list[ft.Control] = []
        if self.receipt:
            r = self.receipt
            rows += [kit.amount(t.money(r.amount_fen), identifier="receipt-amount"),
                     kit.body(t("receipt.from_to", payer=r.payer, payee=r.payee), identifier="receipt-parties"),
                     kit.muted(t("receipt.when", when=t.datetime(r.created_at))),
                     kit.muted(t("receipt.number", number=r.id))]
            if done_by := done_by_in_words(r, t):    # a relative made this payment for me: say who
                rows.append(kit.body(done_by, identifier="receipt-done-by"))
            if r.memo:
                rows.append(kit.muted(t("receipt.memo", memo=r.memo)))
            if r.refunded_fen:
                rows.append(kit.body(t("receipt.refunded", amount=t.money(r.refunded_fen))))
        elif self.item:
            i = self.item
            rows += [kit.amount(t.money(i.amount_fen, signed=True), identifier="receipt-amount"),
                     kit.body(t(kind_key(i)) if t.has(kind_key(i)) else i.kind),
                     kit.muted(t("receipt.when", when=t.datetime(i.created_at))),
                     kit.muted(t("receipt.balance_after", balance=t.money(i.balance_after_fen)))]
        controls: list[ft.Control] = [kit.card(rows, identifier="receipt")] if rows else []
        controls.append(kit.button(t("receipt.check"), self.check_journal, "receipt-check",
                                   icon=ft.Icons.VERIFIED_USER, primary=False, disabled=self.ui.busy))
        if self.check is not None:
            controls.append(self._check_result())
        return controls

    def check_journal(self, _event=None) -> None:
        transfer = self.transfer_id
        self.ui.run(lambda: self.ui.session.check_in_journal(transfer), self._checked, busy_key="busy.checking")

    def _checked(self, check: JournalCheck) -> None:
        self.check = check
        self.ui.announce(self._check_sentence())

    def _check_sentence(self) -> str:
        c, t = self.check, self.t
        if c.ok:
            return t("journal.ok", seq=c.checkpoint_seq)
        if c.not_yet_signed:
            return t("journal.not_yet")
        return t("journal.bad", problems="; ".join(c.problems))

    def _check_result(self) -> ft.Control:
        if self.check.ok or self.check.not_yet_signed:
            icon = ft.Icons.VERIFIED if self.check.ok else ft.Icons.SCHEDULE
            return self.kit.notice(self._check_sentence(), "journal-result", icon=icon)
        return self.kit.error(self._check_sentence(), identifier="journal-result")
