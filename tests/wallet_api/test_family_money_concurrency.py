"""Family-card and guardian races on PostgreSQL, through a real server (uvicorn, threads, row locks): many
concurrent card payments never take a month past its cap, and racing approve / decline / revoke requests on
one held payment resolve to exactly one outcome. (SQLite serialises every writer with BEGIN IMMEDIATE, so
these races only exist on PostgreSQL.)"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.helpers import key
from tests.live_server import serve_in_thread
from tests.wallet_api.family_money_world import YUAN, Family, assert_family_money_invariants, fam  # noqa: F401

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)

PRICE = 100       # fen per payment
ROOM = 40         # the cap holds exactly this many
REQUESTS = 80


def _post(base: str, path: str, headers: dict, json: dict | None = None) -> httpx.Response:
    with httpx.Client(base_url=base, timeout=60) as c:
        return c.post(path, json=json, headers=headers | {"Idempotency-Key": key()})


def test_80_concurrent_card_payments_stop_exactly_at_the_cap(fam: Family, api, app):
    son, mum = api.funded("jianguo", 1_000 * YUAN), api.register("nainai")
    _owner, shop = api.merchant("lotus")
    card = fam.card(son, mum, cap=ROOM * PRICE)
    body = {"merchant_id": shop["id"], "amount_fen": PRICE, "funding": f"family_card:{card['id']}"}

    with serve_in_thread(app) as base, ThreadPoolExecutor(max_workers=32) as pool:
        answers = list(pool.map(lambda _: _post(base, "/v1/payments/merchant", mum.headers, body), range(REQUESTS)))

    statuses = Counter(r.status_code for r in answers)
    assert statuses == {201: ROOM, 409: REQUESTS - ROOM}, statuses
    assert {r.json()["code"] for r in answers if r.status_code == 409} == {"family_card_cap_reached"}
    assert (api.balance(son), fam.takings(shop)) == (1_000 * YUAN - ROOM * PRICE, ROOM * PRICE)
    assert fam.cards(son)["given"][0]["left_this_month_fen"] == 0
    assert_family_money_invariants(app)


def test_two_cards_racing_on_one_givers_wallet_never_overdraw_it(fam: Family, api, app):
    son = api.funded("jianguo", 30 * PRICE)
    mums = [api.register("nainai"), api.register("laolao")]
    _owner, shop = api.merchant("lotus")
    cards = [fam.card(son, m, cap=100 * PRICE) for m in mums]

    def pay(n: int) -> httpx.Response:
        body = {"merchant_id": shop["id"], "amount_fen": PRICE, "funding": f"family_card:{cards[n % 2]['id']}"}
        return _post(base, "/v1/payments/merchant", mums[n % 2].headers, body)

    with serve_in_thread(app) as base, ThreadPoolExecutor(max_workers=24) as pool:
        answers = list(pool.map(pay, range(60)))
    statuses = Counter(r.status_code for r in answers)
    assert statuses == {201: 30, 409: 30}, statuses
    assert {r.json()["code"] for r in answers if r.status_code == 409} == {"family_card_giver_short"}
    assert (api.balance(son), fam.takings(shop)) == (0, 30 * PRICE)
    assert_family_money_invariants(app)


@pytest.mark.parametrize("round_", range(3))
def test_racing_approve_decline_and_revoke_resolve_to_one_outcome(fam: Family, api, app, round_):
    mum, son = api.funded("nainai", 2_000 * YUAN), api.register("jianguo")
    _owner, shop = api.merchant("lotus")
    fam.guard(mum, son)
    held = fam.pay(mum, shop["id"], 800 * YUAN, pin="246810").json()
    assert held["status"] == "held"
    moves = [(son, "approve"), (son, "decline"), (mum, "revoke")] * 10

    with serve_in_thread(app) as base, ThreadPoolExecutor(max_workers=30) as pool:
        answers = list(pool.map(lambda m: (m[1], _post(base, f"/v1/pending-payments/{held['id']}/{m[1]}",
                                                       m[0].headers)), moves))

    won = [(action, r.json()["status"]) for action, r in answers if r.status_code == 200]
    assert len(won) == 1, [(a, r.status_code, r.text[:80]) for a, r in answers]
    assert {r.json()["code"] for _a, r in answers if r.status_code != 200} == {"pending_payment_closed"}
    outcome = won[0][1]
    paid = outcome == "approved"
    assert (api.balance(mum), fam.takings(shop), fam.holds()) == (
        1_200 * YUAN if paid else 2_000 * YUAN, 800 * YUAN if paid else 0, 0)
    assert_family_money_invariants(app)
