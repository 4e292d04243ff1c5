"""Prepaid races on PostgreSQL, through a real server (uvicorn, threads, row locks): 100 concurrent
charges cannot overdraw one card, a default racing with charges strands or double-pays nothing, and
racing rule evaluations open one alert. (SQLite serialises every writer with BEGIN IMMEDIATE, so
these races only exist on PostgreSQL.)"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import sqlalchemy as sa

from tests.helpers import key
from tests.live_server import serve_in_thread
from tests.wallet_api.prepaid_world import YUAN, assert_prepaid_invariants, clock, pp  # noqa: F401
from wallet_api.db import transaction
from wallet_api.prepaid.alerts import raise_alert
from wallet_api.prepaid.models import AlertType
from wallet_api.types import utcnow

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)

PRICE = 100        # fen per charge
AFFORDABLE = 50    # the card holds exactly this many charges
REQUESTS = 100


def _charge(base: str, headers: dict, merchant_id: int, card_id: int) -> httpx.Response:
    with httpx.Client(base_url=base, timeout=60) as c:
        return c.post(f"/v1/prepaid/merchants/{merchant_id}/charges",
                      json={"card_id": card_id, "amount_fen": PRICE, "description": "one class"},
                      headers=headers | {"Idempotency-Key": key()})


def test_100_concurrent_charges_cannot_overdraw_a_card(pp, app):
    gym = pp.shop("irongym", "Iron Gym")
    product = pp.product(gym, face=AFFORDABLE * PRICE)
    card = pp.card_of(pp.api.funded("ann", 100 * YUAN), product["id"], pin=None)

    with serve_in_thread(app) as base, ThreadPoolExecutor(max_workers=32) as pool:
        responses = list(pool.map(lambda _: _charge(base, gym.owner.headers, gym.id, card["id"]), range(REQUESTS)))

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: AFFORDABLE, 409: REQUESTS - AFFORDABLE}, statuses
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"prepaid_card_balance_too_low"}
    assert sorted(r.json()["card_balance_fen"] for r in responses if r.status_code == 201) == [
        PRICE * n for n in range(AFFORDABLE)]  # every charge saw the one before it
    assert (pp.balance(f"prepaid_card:{card['id']}"), pp.escrow(gym), pp.settlement(gym)) == (
        0, 0, AFFORDABLE * PRICE)
    assert_prepaid_invariants(app)


def test_a_default_racing_with_charges_strands_nothing_and_pays_nothing_twice(pp, app):
    gym = pp.shop("irongym", "Iron Gym")
    regulator = pp.regulator()
    product = pp.product(gym, face=20 * PRICE)
    holders = [pp.api.funded(f"holder{n}", 100 * YUAN) for n in range(10)]
    cards = [pp.card_of(h, product["id"], pin=None) for h in holders]
    wallets = {h.id: pp.api.balance(h) for h in holders}
    targets = [random.Random(7).choice(cards)["id"] for _ in range(100)]

    def default() -> httpx.Response:
        with httpx.Client(base_url=base, timeout=60) as c:
            return c.post(f"/v1/regulator/prepaid/merchants/{gym.id}/default",
                          headers=regulator.headers | {"Idempotency-Key": key()})

    with serve_in_thread(app) as base, ThreadPoolExecutor(max_workers=24) as pool:
        first = [pool.submit(_charge, base, gym.owner.headers, gym.id, t) for t in targets[:50]]
        declared = pool.submit(default)
        rest = [pool.submit(_charge, base, gym.owner.headers, gym.id, t) for t in targets[50:]]
        charges = [f.result() for f in first + rest]
        declared = declared.result()

    assert declared.status_code == 201, declared.text
    codes = Counter(r.json().get("code", "ok") if r.status_code != 201 else "ok" for r in charges)
    assert set(codes) <= {"ok", "prepaid_card_balance_too_low", "prepaid_merchant_defaulted"}, codes
    assert codes["prepaid_merchant_defaulted"] > 0  # the default really landed in the middle of the charges
    charged: Counter[int] = Counter()
    for target, r in zip(targets, charges, strict=True):
        if r.status_code == 201:
            charged[target] += PRICE

    with app.state.db() as s:
        rows = {r.id: r for r in s.execute(sa.text(
            "SELECT id, holder_user_id, status, refunded_fen, unrecovered_fen FROM prepaid_cards"))}
    for card in cards:  # every fen of every card went to the gym for a class, or back to its holder
        row = rows[card["id"]]
        assert (row.status, row.unrecovered_fen) == ("closed", 0)
        assert charged[card["id"]] + row.refunded_fen == 20 * PRICE
    for holder, card in zip(holders, cards, strict=True):
        assert pp.api.balance(holder) == wallets[holder.id] + rows[card["id"]].refunded_fen
    assert declared.json()["refunded_fen"] == sum(rows[c["id"]].refunded_fen for c in cards)
    assert (pp.escrow(gym), pp.settlement(gym)) == (0, sum(charged.values()))
    assert_prepaid_invariants(app)


def test_concurrent_over_limit_attempts_open_one_alert(pp, app):
    gym = pp.shop("irongym", "Iron Gym")
    regulator = pp.regulator()
    product = pp.product(gym, face=900 * YUAN)
    people = [pp.api.funded(f"person{n}", 1_000 * YUAN) for n in range(4)]
    cards = [pp.card_of(p, product["id"]) for p in people]

    def attempt(n: int) -> int:
        with httpx.Client(base_url=base, timeout=60) as c:
            return c.post(f"/v1/prepaid/cards/{cards[n % 4]['id']}/top-ups",
                          json={"amount_fen": 200 * YUAN, "pin": "246810"},
                          headers=people[n % 4].headers | {"Idempotency-Key": key()}).status_code

    with serve_in_thread(app) as base, ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(attempt, range(20)))
    assert codes == [409] * 20
    [alert] = pp.alerts(regulator)
    assert (alert["type"], alert["occurrences"]) == ("card_over_limit", 20)


def test_two_rule_evaluations_racing_past_the_lock_still_open_one_alert(app, pp):
    """Even without the merchant lock (as in a future rule that forgets it), the unique open_key makes
    the second evaluation wait for the first, then count its occurrence on the first's alert."""
    gym = pp.shop("irongym", "Iron Gym")
    pp.product(gym)  # enrols the gym
    inserted, results = threading.Event(), []

    def first() -> None:
        with transaction(app.state.db) as s:
            results.append(raise_alert(s, gym.id, AlertType.CARD_OVER_LIMIT, {"n": 1}, utcnow()).id)
            inserted.set()
            time.sleep(0.5)  # hold the uncommitted alert while the second one tries

    def second() -> None:
        inserted.wait(10)
        with transaction(app.state.db) as s:
            results.append(raise_alert(s, gym.id, AlertType.CARD_OVER_LIMIT, {"n": 2}, utcnow()).id)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    with app.state.db() as s:
        rows = s.execute(sa.text("SELECT id, occurrences FROM prepaid_alerts")).all()
    assert results[0] == results[1] and [tuple(r) for r in rows] == [(results[0], 2)]
