"""The client core's prepaid top-up against the real server (real app, SQLite and PostgreSQL): a draft read
back with the wallet before and after, the PIN when the server asks, one key per draft so a lost answer
retried never adds twice, and the per-card limit refused with the numbers the screen needs."""

from __future__ import annotations

import uuid

import httpx
import pytest

from app.actions import WalletSession
from app.anxin_client import AnxinClient
from app.cards import TopUpDraft
from app.device import DeviceMemory
from app.errors import Conflict, ConnectionLost, PinRequired
from app.journal_trust import PinnedJournalKeys
from app.session import MemoryTokenStore
from app.state import AppState
from wallet_api.schemas import BankCardIn, FundingIn, MerchantIn
from wallet_api.schemas.prepaid import BuyCardIn

PASSWORD = "a long enough password"
PIN = "246810"
SERVER = "http://testserver"


class AnswerLost(httpx.BaseTransport):
    """Lets a card top-up reach the server, then loses its answer (`times` times)."""

    def __init__(self, inner: httpx.BaseTransport, times: int = 1) -> None:
        self.inner, self.times, self.reached = inner, times, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        path = request.url.path
        if path.startswith("/v1/prepaid/cards/") and path.endswith("/top-ups") and self.times:
            self.times -= 1
            self.reached += 1
            response.read()
            raise httpx.ReadError("the answer was lost on the way back", request=request)
        return response


def _session(http: httpx.Client, tmp_path, username: str, top_up: int = 0) -> WalletSession:
    wallet = AnxinClient(SERVER, http=http, tokens=MemoryTokenStore(), retries=0)
    session = WalletSession(wallet, AppState(SERVER), DeviceMemory(tmp_path / username / "d.json"),
                            PinnedJournalKeys(tmp_path / username / "k.json"))
    session.register(username, PASSWORD, username.title())
    session.set_pin(PASSWORD, PIN)
    if top_up:
        card = wallet.add_bank_card(BankCardIn(card_number="6222020000000090001", holder_name=username))
        wallet.top_up(FundingIn(bank_card_id=card.id, amount_fen=top_up))
    session.refresh_balance()
    return session


@pytest.fixture
def shop(client, tmp_path):
    """A swimming pool selling a 300 CNY card (anonymous: at most 1,000 CNY on one card)."""
    owner = _session(client, tmp_path, "bluepool")
    pool = owner.client.create_merchant(MerchantIn(name="Blue Pool", category="fitness", region="weihai-huancui",
                                                   city="Weihai"))
    token = client.post("/v1/auth/login", json={"username": "bluepool", "password": PASSWORD}).json()["access_token"]
    r = client.post(f"/v1/prepaid/merchants/{pool.id}/products", headers={"Authorization": f"Bearer {token}"},
                    json={"name": "Swim pass", "face_value_fen": 30_000, "validity_days": 365})
    r.raise_for_status()
    return owner, pool.id, r.json()["id"]


def _holder(http: httpx.Client, tmp_path, product_id: int) -> tuple[WalletSession, int]:
    holder = _session(http, tmp_path, "meili", top_up=200_000)
    card = holder.client.buy_card(BuyCardIn(product_id=product_id, pin=PIN), idempotency_key=uuid.uuid4().hex)
    holder.refresh_balance()
    return holder, card.id


def test_a_top_up_asks_for_the_pin_and_moves_wallet_card_and_escrow_by_the_amount(client, tmp_path, shop):
    owner, pool_id, product_id = shop
    holder, card_id = _holder(client, tmp_path, product_id)
    card = holder.client.card(card_id)
    escrow_before = owner.client.prepaid_standing(pool_id).escrow_fen

    draft = holder.cards.draft_top_up(card, 12_000)
    assert (draft.wallet_before_fen, draft.wallet_after_fen, draft.card_after_fen) == (170_000, 158_000, 42_000)
    with pytest.raises(PinRequired):           # above the PIN-free amount
        holder.cards.top_up(draft)
    assert holder.client.card(card_id).balance_fen == 30_000
    key = draft.idempotency_key
    out = holder.cards.top_up(draft, PIN)

    assert draft.idempotency_key == key and draft.result == out and not draft.outcome_unknown
    assert out.balance_fen == 42_000 and out.paid_fen == 42_000
    assert holder.state.balance_fen == holder.client.wallet().balance_fen == 158_000
    assert owner.client.prepaid_standing(pool_id).escrow_fen == escrow_before + 12_000
    history = holder.client.card(card_id).history
    assert [(e.kind, e.amount_fen) for e in history][0] == ("prepaid_top_up", 12_000)   # newest first


def test_an_answer_lost_on_the_way_back_is_retried_with_the_same_key_and_adds_once(client, tmp_path, shop):
    owner, pool_id, product_id = shop
    lossy = AnswerLost(client._transport)
    with httpx.Client(transport=lossy, base_url=SERVER) as http:
        holder, card_id = _holder(http, tmp_path, product_id)
        escrow_before = owner.client.prepaid_standing(pool_id).escrow_fen
        draft = holder.cards.draft_top_up(holder.client.card(card_id), 4_000)     # PIN-free
        with pytest.raises(ConnectionLost):
            holder.cards.top_up(draft)
        assert lossy.reached == 1 and draft.sent and draft.outcome_unknown
        again = holder.cards.top_up(draft)             # "Add" tapped again: same draft, same key

        assert not draft.outcome_unknown
        assert again.balance_fen == 34_000
        assert owner.client.prepaid_standing(pool_id).escrow_fen == escrow_before + 4_000
        assert [e.kind for e in holder.client.card(card_id).history].count("prepaid_top_up") == 1
        assert holder.client.wallet().balance_fen == 200_000 - 30_000 - 4_000


def test_a_top_up_above_the_card_limit_is_refused_with_the_limit_and_moves_nothing(client, tmp_path, shop):
    owner, pool_id, product_id = shop
    holder, card_id = _holder(client, tmp_path, product_id)
    escrow_before = owner.client.prepaid_standing(pool_id).escrow_fen
    draft = TopUpDraft(holder.client.card(card_id), 80_000, holder.state.balance_fen)
    with pytest.raises(Conflict) as refused:
        holder.cards.top_up(draft, PIN)
    assert refused.value.code == "prepaid_card_limit_exceeded"
    assert refused.value.extra["limit_fen"] == 100_000
    assert not draft.outcome_unknown and draft.result is None
    assert holder.client.card(card_id).balance_fen == 30_000
    assert owner.client.prepaid_standing(pool_id).escrow_fen == escrow_before
    assert holder.client.wallet().balance_fen == 170_000
