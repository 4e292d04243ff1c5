"""Screens against the real server in-process (FastAPI TestClient under the typed client).

The database is not what these tests are about, so they run on SQLite only; the server's own
tests cover both databases.
"""

from __future__ import annotations

import pytest

from app.actions import WalletSession
from app.anxin_client import AnxinClient
from app.device import DeviceMemory
from app.journal_trust import PinnedJournalKeys
from app.session import MemoryTokenStore
from app.state import AppState
from tests.e2e.domain_world import Domains, build_domains
from tests.e2e.world import World, build_world
from tests.fakes import FakeOsKeychain
from tests.ui.ui_support import FakePage, InlineRunner
from ui.shell import Shell

SERVER = "http://testserver"


@pytest.fixture
def database_url(request, tmp_path, sqlite_template) -> str:  # SQLite only, see the module docstring
    import shutil
    path = tmp_path / "anxin.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def world(client) -> World:
    return build_world(SERVER, client)


@pytest.fixture
def domains(client, world, settings) -> Domains:
    from wallet_api import admin
    return build_domains(client, world, lambda username, role: admin.grant(settings, username, role))


@pytest.fixture
def keychains() -> dict[str, FakeOsKeychain]:
    """One stand-in OS keychain per device (a test machine has none)."""
    return {}


@pytest.fixture
def make_session(client, tmp_path, keychains):
    def make(device_dir: str = "device") -> WalletSession:
        wallet = AnxinClient(SERVER, http=client, tokens=MemoryTokenStore(), retries=0)
        keychain = keychains.setdefault(device_dir, FakeOsKeychain())
        return WalletSession(wallet, AppState(SERVER), DeviceMemory(tmp_path / device_dir / "device.json"),
                             PinnedJournalKeys(tmp_path / device_dir / "keys.json"), keychain=keychain)
    return make


@pytest.fixture
def make_shell(make_session):
    def make(device_dir: str = "device") -> tuple[Shell, FakePage]:
        page = FakePage()
        shell = Shell(page, make_session(device_dir), runner=InlineRunner())
        return shell, page
    return make
