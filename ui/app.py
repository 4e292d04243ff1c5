"""The Flet entry point: one Shell per browser session, all talking to one wallet server."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import flet as ft

from keyring.backend import KeyringBackend

from app.anxin_client import AnxinClient
from app.actions import WalletSession
from app.device import DeviceMemory
from app.fonts import FontChoice
from app.journal_trust import PinnedJournalKeys
from app.session import MemoryTokenStore
from app.state import AppState
from ui.shell import Shell


@dataclass(frozen=True)
class ClientConfig:
    server_url: str
    data_dir: Path | None = None        # device memory and pinned journal keys; None: the user's dirs
    font: FontChoice | None = None
    keychain: KeyringBackend | None = None   # where payment-code keys go; None: the OS keychain

    def device(self) -> DeviceMemory:
        return DeviceMemory(self.data_dir / "device.json" if self.data_dir else None)

    def journal_keys(self) -> PinnedJournalKeys:
        return PinnedJournalKeys(self.data_dir / "journal-keys.json" if self.data_dir else None)


def new_session(config: ClientConfig) -> WalletSession:
    # Tokens stay in this session's memory: in the web client each browser tab signs in itself.
    client = AnxinClient(config.server_url, tokens=MemoryTokenStore())
    return WalletSession(client, AppState(config.server_url), config.device(), config.journal_keys(),
                         keychain=config.keychain)


def make_main(config: ClientConfig) -> Callable[[ft.Page], None]:
    def main(page: ft.Page) -> None:
        session = new_session(config)
        page.on_close = lambda _e: session.client.close()   # the session is over, not just a blip
        page.data = Shell(page, session, font=config.font)   # kept with the page for its lifetime

    return main
