"""Delegated payments at once, through the real server (uvicorn, threads, the link's row lock on
PostgreSQL, BEGIN IMMEDIATE on SQLite): together they never pass the grant's day limit, and a
revocation stops the ones after it."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from tests.helpers import assert_books_balance, key
from tests.live_server import serve_in_thread
from tests.wallet_api.family_world import acting_for, family
from wallet_api.family.models import DelegatedAction, FamilyLink
from wallet_api.payments.models import Payment

PRICE = 700           # fen
DAY_LIMIT = 21_000    # exactly 30 payments fit in the day
REQUESTS = 120


def _fire(base_url: str, headers: dict, merchant_id: int, n: int) -> list[httpx.Response]:
    def one(_i: int) -> httpx.Response:
        with httpx.Client(base_url=base_url, timeout=120) as c:
            return c.post("/v1/payments/merchant", json={"merchant_id": merchant_id, "amount_fen": PRICE},
                          headers=headers | {"Idempotency-Key": key()})

    with ThreadPoolExecutor(max_workers=24) as pool:
        return list(pool.map(one, range(n)))


def test_concurrent_delegated_payments_never_pass_the_day_limit(api, app, db):
    fam = family(api, balance=200_000, per_payment=PRICE, per_day=DAY_LIMIT)
    with serve_in_thread(app) as base:
        responses = _fire(base, acting_for(fam.son, fam.elder), fam.shop["id"], REQUESTS)

    fits = DAY_LIMIT // PRICE
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: fits, 403: REQUESTS - fits}, statuses
    refusals = [r.json() for r in responses if r.status_code == 403]
    assert {(p["code"], p["limit"]) for p in refusals} == {("delegated_limit_exceeded", "per_day")}
    assert api.balance(fam.elder) == 200_000 - fits * PRICE
    with db() as s:
        assert s.get(FamilyLink, fam.link["id"]).spent_today == fits * PRICE
        assert s.scalar(select(func.count()).select_from(Payment)) == fits
        assert s.scalar(select(func.count()).select_from(DelegatedAction)) == fits
    assert_books_balance(app)


def test_payments_racing_a_revocation_stop_once_it_commits(api, app, client):
    fam = family(api, balance=200_000, per_payment=PRICE, per_day=200_000)
    with serve_in_thread(app) as base:
        with ThreadPoolExecutor(max_workers=2) as pool:
            burst = pool.submit(_fire, base, acting_for(fam.son, fam.elder), fam.shop["id"], 60)
            with httpx.Client(base_url=base, timeout=120) as c:
                assert c.delete(f"/v1/family/links/{fam.link['id']}", headers=fam.elder.headers).status_code == 204
            responses = burst.result()
        after = _fire(base, acting_for(fam.son, fam.elder), fam.shop["id"], 5)

    codes = Counter(r.json().get("code", r.status_code) for r in responses)
    assert set(codes) <= {"delegation_ended", 201}, codes
    assert {r.json()["code"] for r in after} == {"delegation_ended"}
    paid = codes.get(201, 0)
    assert api.balance(fam.elder) == 200_000 - paid * PRICE
    assert_books_balance(app)
