"""The client core's prepaid top-up against the real server (real app, SQLite and PostgreSQL): a draft read
back with the wallet before and after, the PIN when the server asks, one key per draft so a lost answer
retried never adds twice, and the per-card limit refused with the numbers the screen needs; a top-up from a
linked bank card, and a bank that says no (nothing added)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from app.actions import WalletSession
from app.cards import TopUpDraft
from app.errors import BankError, Conflict, ConnectionLost, PinRequired
from app.i18n import Translator
from app.problems import explain
from tests.app.sessions import registered_session
from wallet_api.schemas import BankCardIn, MerchantIn
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
    return registered_session(http, tmp_path, username, pin=PIN, top_up=top_up)


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


def _link(holder: WalletSession, number: str):
    return holder.client.add_bank_card(BankCardIn(card_number=number, holder_name="Meili"))


def test_a_top_up_from_a_linked_bank_card_adds_to_the_card_and_leaves_the_wallet_alone(client, tmp_path, shop):
    owner, pool_id, product_id = shop
    holder, card_id = _holder(client, tmp_path, product_id)
    linked = holder.client.bank_cards()[0]             # the card the wallet was filled from (...0001: approves)
    escrow_before = owner.client.prepaid_standing(pool_id).escrow_fen

    draft = holder.cards.draft_top_up(holder.client.card(card_id), 12_000)
    assert [b.id for b in draft.bank_cards] == [linked.id] and draft.bank_card is None    # the wallet by default
    key = draft.idempotency_key
    draft.choose_source(linked.id)
    assert draft.bank_card == linked and draft.idempotency_key == key       # nothing sent yet: same draft
    assert (draft.wallet_before_fen, draft.wallet_after_fen, draft.card_after_fen) == (170_000, 170_000, 42_000)
    with pytest.raises(PinRequired):
        holder.cards.top_up(draft)
    out = holder.cards.top_up(draft, PIN)

    assert draft.idempotency_key == key and draft.result == out
    assert out.balance_fen == 42_000
    assert holder.state.balance_fen == holder.client.wallet().balance_fen == 170_000     # the bank paid
    assert owner.client.prepaid_standing(pool_id).escrow_fen == escrow_before + 12_000
    with pytest.raises(RuntimeError):                 # done: what paid for it cannot change any more
        draft.choose_source(None)


def test_a_bank_that_says_no_adds_nothing_and_another_source_is_a_new_request(client, tmp_path, shop):
    owner, pool_id, product_id = shop
    holder, card_id = _holder(client, tmp_path, product_id)
    declining = _link(holder, "6222020000000080002")            # the sandbox bank always declines ...0002
    escrow_before = owner.client.prepaid_standing(pool_id).escrow_fen

    draft = holder.cards.draft_top_up(holder.client.card(card_id), 5_000)              # PIN-free
    draft.choose_source(declining.id)
    key = draft.idempotency_key
    with pytest.raises(BankError) as refused:
        holder.cards.top_up(draft)
    assert refused.value.code == "bank_declined" and not draft.outcome_unknown and draft.result is None
    assert explain(refused.value, Translator("en")).sentence(Translator("en")) == \
        "The bank said no. Nothing was moved. Try another card or ask your bank."
    assert holder.client.card(card_id).balance_fen == 30_000
    assert holder.client.wallet().balance_fen == 170_000
    assert owner.client.prepaid_standing(pool_id).escrow_fen == escrow_before

    draft.choose_source(None)                      # the wallet instead: a different request, a new key
    assert draft.idempotency_key != key and draft.bank_card is None
    out = holder.cards.top_up(draft)
    assert out.balance_fen == 35_000 and holder.client.wallet().balance_fen == 165_000


def test_a_relative_acting_for_someone_is_offered_only_her_wallet(client, tmp_path, shop):
    _owner, _pool_id, product_id = shop
    holder, card_id = _holder(client, tmp_path, product_id)
    holder.state.acting_for, holder.state.acting_for_name = "someone", "Someone"
    draft = holder.cards.draft_top_up(holder.client.card(card_id), 1_000)
    assert draft.bank_cards == [] and draft.bank_card is None
