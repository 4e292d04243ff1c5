"""Campus codes under true concurrency (real uvicorn, threads, PostgreSQL row locks): one code
presented at many tills at once pays once; many codes at once never pass the daily limit."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.helpers import PIN, assert_books_balance, count_rows, key
from tests.live_server import serve_in_thread
from tests.wallet_api.campus_world import Clock, campus_world, set_campus_clock
from wallet_api.campus.models import CampusCodeUse
from wallet_api.payments.models import Payment

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


@pytest.fixture
def campus_clock(monkeypatch) -> Clock:
    return set_campus_clock(monkeypatch)


def _fire(base: str, headers: dict, bodies: list[dict]) -> list[httpx.Response]:
    def one(body: dict) -> httpx.Response:
        with httpx.Client(base_url=base, timeout=60) as c:
            return c.post("/v1/campus/charges", json=body, headers=headers | {"Idempotency-Key": key()})

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(one, bodies))


def test_one_code_at_sixteen_tills_at_once_pays_once(api, app, campus_clock):
    world = campus_world(api, app, campus_clock, funds=10_000)
    code = world.code()
    bodies = [{"merchant_id": world.canteen["id"], "terminal_id": f"till-{i % 8}", "code": code, "amount_fen": 700}
              for i in range(16)]
    with serve_in_thread(app) as base:
        responses = _fire(base, world.cashier.headers, bodies)
    answers = Counter((r.status_code, r.json().get("code", r.json().get("status"))) for r in responses)
    assert answers == {(201, "completed"): 1, (409, "campus_code_used"): 15}, answers
    assert api.balance(world.student) == 10_000 - 700
    assert count_rows(app, Payment) == count_rows(app, CampusCodeUse) == 1
    assert_books_balance(app)


def test_nine_codes_at_once_stop_exactly_at_the_daily_limit(api, app, campus_clock):
    world = campus_world(api, app, campus_clock, funds=20_000)
    world.c.put("/v1/campus/me/daily-limit", json={"daily_limit_fen": 5_000}, headers=world.student.headers)
    phones = [world.phone, world.add_phone(PIN, "tablet"), world.add_phone(PIN, "watch")]
    codes = [world.code(phone=p, seconds_from_now=s) for p in phones for s in (-60, 0, 60)]
    bodies = [{"merchant_id": world.canteen["id"], "terminal_id": f"till-{i}", "code": c, "amount_fen": 1_000}
              for i, c in enumerate(codes)]
    with serve_in_thread(app) as base:
        responses = _fire(base, world.cashier.headers, bodies)
    answers = Counter((r.status_code, r.json().get("code", r.json().get("status"))) for r in responses)
    assert answers == {(201, "completed"): 5, (409, "campus_daily_limit_exceeded"): 4}, answers
    assert api.balance(world.student) == 15_000 and world.card()["spent_today_fen"] == 5_000
    assert count_rows(app, CampusCodeUse) == 9  # every code was spent, paid or not
    assert_books_balance(app)
