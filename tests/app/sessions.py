"""A real client session against the in-process test server (the `client` fixture's httpx client)."""

from __future__ import annotations

import httpx

from app.actions import WalletSession
from app.anxin_client import AnxinClient
from app.device import DeviceMemory
from app.journal_trust import PinnedJournalKeys
from app.session import MemoryTokenStore
from app.state import AppState
from wallet_api.schemas import BankCardIn, FundingIn

SERVER = "http://testserver"
PASSWORD = "a long enough password"


def registered_session(http: httpx.Client, tmp_path, username: str, *, pin: str, top_up: int = 0) -> WalletSession:
    """Sign up `username` with a payment PIN and, if asked, `top_up` fen from a linked bank card."""
    wallet = AnxinClient(SERVER, http=http, tokens=MemoryTokenStore(), retries=0)
    session = WalletSession(wallet, AppState(SERVER), DeviceMemory(tmp_path / username / "d.json"),
                            PinnedJournalKeys(tmp_path / username / "k.json"))
    session.register(username, PASSWORD, username.title())
    session.set_pin(PASSWORD, pin)
    if top_up:
        card = wallet.add_bank_card(BankCardIn(card_number="6222020000000090001", holder_name=username))
        wallet.top_up(FundingIn(bank_card_id=card.id, amount_fen=top_up))
    session.refresh_balance()
    return session
