"""Renderer-free driving of the Flet screens: a stand-in page, an inline runner, and helpers
that find controls by their semantics identifier and call their handlers, as a tap would."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import flet as ft

from ui.components import Kit


class FakePage:
    """What the shell uses of ft.Page, recording updates instead of sending them to a browser."""

    def __init__(self, width: float | None = 412) -> None:
        self.controls: list[ft.Control] = []
        self.width = width
        self.updates = 0
        self.fonts = self.theme = self.bgcolor = self.title = self.on_resize = None
        self.padding = self.spacing = self.scroll = self.theme_mode = None

    def update(self, *controls: Any) -> None:
        self.updates += 1


class InlineRunner:
    """Runs the work at once, on the calling thread, exactly as the page runner would apply it."""

    def __init__(self) -> None:
        self.submitted = 0

    def submit(self, work, apply) -> None:
        self.submitted += 1
        try:
            ok, result = True, work()
        except Exception as exc:  # noqa: BLE001 — mirrors PageRunner
            ok, result = False, exc
        apply(ok, result)


def shell_over(http: Any, tmp_path: Any, server: str = "http://testserver") -> tuple[Any, FakePage]:
    """A shell whose client talks through `http` (e.g. a transport that loses answers), on a fresh device."""
    from app.actions import WalletSession
    from app.anxin_client import AnxinClient
    from app.device import DeviceMemory
    from app.journal_trust import PinnedJournalKeys
    from app.session import MemoryTokenStore
    from app.state import AppState
    from ui.shell import Shell

    wallet = AnxinClient(server, http=http, tokens=MemoryTokenStore(), retries=0)
    session = WalletSession(wallet, AppState(server), DeviceMemory(tmp_path / "d.json"),
                            PinnedJournalKeys(tmp_path / "k.json"))
    page = FakePage()
    return Shell(page, session, runner=InlineRunner()), page


def children(control: Any) -> Iterator[Any]:
    for f in dataclasses.fields(control):
        if f.name.startswith("_"):
            continue
        value = getattr(control, f.name, None)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, ft.BaseControl):
                yield item


def walk(control: Any) -> Iterator[Any]:
    yield control
    for child in children(control):
        yield from walk(child)


def everything(page: FakePage) -> Iterator[Any]:
    for control in page.controls:
        yield from walk(control)


def find(page: FakePage, identifier: str) -> ft.Semantics:
    found = [c for c in everything(page) if isinstance(c, ft.Semantics) and c.identifier == identifier]
    assert found, f"no control {identifier!r} on screen; have: {identifiers(page)}"
    return found[0]


def has(page: FakePage, identifier: str) -> bool:
    return any(isinstance(c, ft.Semantics) and c.identifier == identifier for c in everything(page))


def identifiers(page: FakePage) -> list[str]:
    return [c.identifier for c in everything(page) if isinstance(c, ft.Semantics) and c.identifier]


def texts(control: Any) -> list[str]:
    return [c.value for c in walk(control) if isinstance(c, ft.Text) and c.value]


def screen_text(page: FakePage) -> str:
    return " | ".join(t for root in page.controls for t in texts(root))


class _Event:
    def __init__(self, control: Any) -> None:
        self.control = control
        self.data = None


def tap(page: FakePage, identifier: str) -> None:
    """Do what a tap on that control does: its semantics action, else its button's or box's click."""
    node = find(page, identifier)
    if node.on_tap is not None:
        node.on_tap(_Event(node))
        return
    for control in walk(node):
        handler = getattr(control, "on_click", None)
        if handler is not None:
            assert not getattr(control, "disabled", False), f"{identifier} is disabled"
            handler(_Event(control))
            return
    raise AssertionError(f"{identifier} has nothing to tap")


def type_into(page: FakePage, identifier: str, text: str) -> None:
    field = next(c for c in walk(find(page, identifier)) if isinstance(c, ft.TextField))
    field.value = text
    if field.on_change:
        field.on_change(_Event(field))


def label_or_text(page: FakePage, identifier: str) -> str:
    node = find(page, identifier)
    return node.label or " ".join(texts(node))


def kit_of(page_shell: Any) -> Kit:
    return page_shell.kit
