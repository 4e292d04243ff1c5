"""Messages: transactional and security messages; marketing only when the person allowed it."""

from __future__ import annotations

from typing import Any

import flet as ft

from app.i18n import message_text
from ui.shell import Screen


class MessagesScreen(Screen):
    title_key = "messages.title"

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.notes: list[Any] | None = None

    def on_show(self) -> None:
        self.ui.run(self.ui.session.messages, lambda notes: setattr(self, "notes", notes), busy_key="busy.loading")

    def text_of(self, note: Any) -> str:
        """The message in the person's language when we know its key; else the server's English."""
        return message_text(note, self.t)

    def build(self) -> list[ft.Control]:
        kit, t = self.kit, self.t
        if self.notes is None:
            return []
        if not self.notes:
            return [kit.body(t("messages.empty"))]
        controls = []
        for note in self.notes:
            unread = note.read_at is None
            category = t(f"messages.category.{note.category.value}")
            status = t("messages.new") if unread else t("messages.read")
            text = self.text_of(note)
            header = f"{category} · {status}" if unread else category
            controls.append(kit.card(
                [kit.text(header, size=kit.s.small, weight=ft.FontWeight.BOLD if unread else None,
                          color=kit.p.secondary if unread else kit.p.muted),
                 kit.body(text), kit.muted(t.datetime(note.created_at))],
                identifier=f"message-{note.id}", label=f"{header}. {text}",
                on_click=(lambda e, n=note: self.mark_read(n)) if unread else None))
        return controls

    def mark_read(self, note: Any) -> None:
        self.ui.run(lambda: self.ui.session.mark_read(note.id), lambda _: self.on_show(), busy_key="busy.saving")
