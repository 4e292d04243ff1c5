"""The client core's campus-card settings against the real server (SQLite and PostgreSQL): the card with
today's spending and the bank cards that could pay, the funding source, the daily limit (its range is the
wire model's, checked before sending), and a lost phone removed — this phone's key forgotten with it."""

from __future__ import annotations

import pytest

from app.actions import WalletSession
from app.anxin_client import AnxinClient
from app.campus_card import DAILY_LIMIT_MAX_FEN, DAILY_LIMIT_MIN_FEN
from app.device import DeviceMemory
from app.errors import NotFound
from app.journal_trust import PinnedJournalKeys
from app.session import MemoryTokenStore
from app.state import AppState
from tests.e2e.domain_world import build_domains
from tests.e2e.world import PASSWORD, PIN, build_world
from tests.fakes import FakeOsKeychain
from wallet_api.schemas import LoginIn

SERVER = "http://testserver"


@pytest.fixture
def signed_in(client, settings, tmp_path):
    from wallet_api import admin
    world = build_world(SERVER, client)
    build_domains(client, world, lambda username, role: admin.grant(settings, username, role))

    def sign_in(username: str) -> WalletSession:
        wallet = AnxinClient(SERVER, http=client, tokens=MemoryTokenStore(), retries=0)
        session = WalletSession(wallet, AppState(SERVER), DeviceMemory(tmp_path / username / "d.json"),
                                PinnedJournalKeys(tmp_path / username / "k.json"), keychain=FakeOsKeychain())
        wallet.login(LoginIn(username=username, password=PASSWORD))
        session.state.user = wallet.me()
        return session
    return sign_in


def test_the_range_is_the_wire_models():
    assert (DAILY_LIMIT_MIN_FEN, DAILY_LIMIT_MAX_FEN) == (1, 500_000)


def test_funding_limit_and_a_lost_phone(signed_in):
    student = signed_in("xiaoming")
    student.codes.register_this_device(PIN)
    view = student.campus.load()
    assert view.card.student_number == "202300123" and view.card.funding_source == "wallet"
    assert view.today.total_fen == 0 and view.left_today_fen == view.card.daily_limit_fen == 30_000
    assert [b.last4 for b in view.bank_cards] == ["0001"]
    here = student.codes.store().load().device_id
    assert view.this_device_id == here and len(view.active_devices) == 2

    bank = view.bank_cards[0].id
    view = student.campus.choose_funding("bank_card", bank)
    assert (view.card.funding_source, view.card.bank_card_id) == ("bank_card", bank)
    view = student.campus.choose_funding("wallet")
    assert (view.card.funding_source, view.card.bank_card_id) == ("wallet", None)

    with pytest.raises(ValueError):
        student.campus.set_daily_limit(DAILY_LIMIT_MAX_FEN + 1)
    assert student.client.campus_card().daily_limit_fen == 30_000     # nothing was sent
    assert student.campus.set_daily_limit(DAILY_LIMIT_MAX_FEN).card.daily_limit_fen == DAILY_LIMIT_MAX_FEN

    old = next(d for d in view.active_devices if d.id != here)
    view = student.campus.report_lost(old.id)
    assert [d.id for d in view.active_devices] == [here]
    assert student.codes.store().load() is not None                    # another phone: this one keeps its key
    view = student.campus.report_lost(here)
    assert view.active_devices == [] and view.this_device_id is None
    assert student.codes.store().load() is None                        # this phone's key is forgotten


def test_someone_without_a_campus_card_gets_none(signed_in):
    resident = signed_in("meili")
    assert resident.campus.load() is None
    with pytest.raises(NotFound):
        resident.campus.choose_funding("wallet")
