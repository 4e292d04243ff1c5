"""Shared pieces of the family-card and guardian tests: a driver over their API, a clock the tests move
(`app.state.clock`), and the audit checks that must hold after every scenario."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.wallet_api.coupons_support import settlement_balance
from tests.helpers import Api, Person, account_balance, assert_books_balance, key
from wallet_api.db import transaction
from wallet_api.family_card.invariants import check_family_card_caps
from wallet_api.guardian.invariants import check_guardian_holds

YUAN = 100
# 23:30 on 30 November in Shanghai: half an hour before a card month turns.
START = datetime(2026, 11, 30, 15, 30, tzinfo=UTC)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


def problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code and body["message_key"] == f"error.{code}", body
    return body


def assert_family_money_invariants(app) -> None:
    with transaction(app.state.db) as s:
        findings = check_family_card_caps(s) + check_guardian_holds(s)
    assert findings == [], [str(f) for f in findings]
    assert_books_balance(app)


class Family:
    """The API as the people in these tests use it."""

    def __init__(self, api: Api, app) -> None:
        self.api, self.c, self.app = api, api.c, app

    def offer(self, giver: Person, holder: Person, cap: int, note: str = "") -> httpx.Response:
        return self.c.post("/v1/family-cards", json={"holder_username": holder.username, "monthly_cap_fen": cap,
                                                     "note": note}, headers=giver.headers)

    def card(self, giver: Person, holder: Person, cap: int = 1_000 * YUAN) -> dict[str, Any]:
        r = self.offer(giver, holder, cap)
        assert r.status_code == 201, r.text
        r = self.c.post(f"/v1/family-cards/{r.json()['id']}/accept", headers=holder.headers)
        assert r.status_code == 200, r.text
        return r.json()

    def cards(self, person: Person) -> dict[str, list[dict[str, Any]]]:
        r = self.c.get("/v1/family-cards", headers=person.headers)
        assert r.status_code == 200, r.text
        return r.json()

    def pause(self, giver: Person, card_id: int, paused: bool = True) -> httpx.Response:
        return self.c.put(f"/v1/family-cards/{card_id}/paused", json={"paused": paused}, headers=giver.headers)

    def pay(self, payer: Person, merchant_id: int, amount: int, funding: str | None = None, **extra) -> httpx.Response:
        body = {"funding": funding} if funding else {}
        return self.api.pay(payer, merchant_id, amount, **body, **extra)

    def guard(self, elder: Person, guardian: Person, *, delay: bool = True) -> dict[str, Any]:
        r = self.c.post("/v1/guardian/invitations", json={"guardian_username": guardian.username,
                                                          "delay_new_payee_transfers": delay}, headers=elder.headers)
        assert r.status_code == 201, r.text
        r = self.c.post(f"/v1/guardian/{r.json()['id']}/accept", headers=guardian.headers)
        assert r.status_code == 200, r.text
        return r.json()

    def decide(self, person: Person, pid: int, action: str, *, idem: str | None = None) -> httpx.Response:
        return self.c.post(f"/v1/pending-payments/{pid}/{action}", headers=person.headers |
                           {"Idempotency-Key": idem or key()})

    def pending(self, person: Person, role: str = "payer", **params) -> list[dict[str, Any]]:
        r = self.c.get("/v1/pending-payments", params={"role": role} | params, headers=person.headers)
        assert r.status_code == 200, r.text
        return r.json()

    def takings(self, shop: dict[str, Any]) -> int:
        return settlement_balance(self.app.state.db, shop["id"])

    def holds(self) -> int:
        return account_balance(self.app, "system:guardian_holds")


@pytest.fixture
def clock(app) -> Clock:
    app.state.clock = Clock(START)
    return app.state.clock


@pytest.fixture
def fam(api, app) -> Family:
    return Family(api, app)
