"""Shared pieces of the prepaid-card tests: a clock the tests move, a driver over the prepaid API,
the escrow invariant check, and a snapshot of everything a refused request must leave alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.helpers import PIN, Api, Person, assert_books_balance, key
from wallet_api.auth.service import grant_role
from wallet_api.db import transaction
from wallet_api.ledger import Leg, SystemAccount, account_by_code, post_transfer
from wallet_api.prepaid.invariants import check_prepaid_escrow

START = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
NATIONAL_ID = "371002194403150026"  # a valid GB 11643 test number
YUAN = 100


class Clock:
    """The time the prepaid rules see (`app.state.clock`), moved by the test instead of sleeping."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, *, days: float = 0, seconds: float = 0) -> None:
        self.at += timedelta(days=days, seconds=seconds)


@pytest.fixture
def clock(app) -> Clock:
    app.state.clock = Clock(START)
    return app.state.clock


def assert_prepaid_invariants(app) -> None:
    """The audit's escrow invariant finds nothing, the journal verifies, and money only moved."""
    with transaction(app.state.db) as s:
        findings = check_prepaid_escrow(s)
    assert findings == [], [str(f) for f in findings]
    assert_books_balance(app)


def money_state(app) -> tuple:
    """Every balance and every row a refused request must not change (alerts are compared apart)."""
    with app.state.db() as s:
        balances = s.execute(sa.text("SELECT id, balance FROM accounts ORDER BY id")).all()
        counts = {t: s.scalar(sa.text(f"SELECT COUNT(*) FROM {t}")) for t in (
            "transfers", "postings", "prepaid_cards", "prepaid_products", "prepaid_complaints", "funding_operations",
            "idempotency_records")}
        cards = s.execute(sa.text("SELECT id, status, paid_fen, first_charged_at FROM prepaid_cards ORDER BY id")).all()
        merchants = s.execute(sa.text("SELECT merchant_id, status, escrow_policy FROM prepaid_merchants "
                                      "ORDER BY merchant_id")).all()
    return balances, counts, cards, merchants


def problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert (body["code"], body["message_key"]) == (code, f"error.{code}")
    assert body["detail"]
    return body


def pay_out_settlement(app, settlement_account_id: int, amount: int) -> None:
    """A merchant paying part of its settlement balance out to its bank. There is no endpoint for that
    yet, but there will be; it is the one way escrow + settlement together can fall short of what card
    holders are owed (a ratio-policy refund or default then pays what there is)."""
    with transaction(app.state.db) as s:
        post_transfer(s, kind="merchant_payout", memo="payout to the merchant's bank (test)", legs=[
            Leg(settlement_account_id, -amount), Leg(account_by_code(s, SystemAccount.BANK_CLEARING).id, amount)])


@dataclass
class Shop:
    owner: Person
    id: int
    settlement_account_id: int


class Prepaid:
    """A thin driver over the prepaid endpoints."""

    def __init__(self, api: Api, app) -> None:
        self.api, self.app, self.c = api, app, api.c

    # --- people and shops ---

    def shop(self, username: str, name: str, category: str = "fitness") -> Shop:
        owner, merchant = self.api.merchant(username, name=name, category=category, local_name=None)
        with self.app.state.db() as s:
            settlement = s.scalar(sa.text("SELECT settlement_account_id FROM merchants WHERE id = :id"),
                                  {"id": merchant["id"]})
        return Shop(owner, merchant["id"], settlement)

    def regulator(self, username: str = "bureau") -> Person:
        person = self.api.register(username)
        with transaction(self.app.state.db) as s:
            grant_role(s, person.id, "regulator")
        return person

    def verified(self, username: str, amount: int) -> Person:
        person = self.api.funded(username, amount)
        r = self.c.post("/v1/me/real-name", json={"real_name": username.title(), "national_id": NATIONAL_ID},
                        headers=person.headers)
        assert r.status_code == 200, r.text
        return person

    # --- merchant ---

    def define(self, shop: Shop, *, name: str = "10 swims", face: int = 500 * YUAN, bonus: int = 0, days: int = 365,
               named: bool = False) -> httpx.Response:
        return self.c.post(f"/v1/prepaid/merchants/{shop.id}/products", headers=shop.owner.headers, json={
            "name": name, "face_value_fen": face, "bonus_value_fen": bonus, "validity_days": days, "named": named})

    def product(self, shop: Shop, **kw) -> dict[str, Any]:
        r = self.define(shop, **kw)
        assert r.status_code == 201, r.text
        return r.json()

    def charge(self, shop: Shop, card_id: int, amount: int, description: str = "one class", *,
               by: Person | None = None, idem: str | None = None) -> httpx.Response:
        return self.c.post(f"/v1/prepaid/merchants/{shop.id}/charges",
                           json={"card_id": card_id, "amount_fen": amount, "description": description},
                           headers=(by or shop.owner).headers | {"Idempotency-Key": idem or key()})

    def withdraw(self, shop: Shop, amount: int, *, idem: str | None = None) -> httpx.Response:
        return self.c.post(f"/v1/prepaid/merchants/{shop.id}/escrow/withdrawals", json={"amount_fen": amount},
                           headers=shop.owner.headers | {"Idempotency-Key": idem or key()})

    def overview(self, shop: Shop) -> dict[str, Any]:
        r = self.c.get(f"/v1/prepaid/merchants/{shop.id}", headers=shop.owner.headers)
        assert r.status_code == 200, r.text
        return r.json()

    def notice(self, shop: Shop) -> httpx.Response:
        return self.c.post(f"/v1/prepaid/merchants/{shop.id}/closing-notice", headers=shop.owner.headers)

    # --- card holder ---

    def buy(self, person: Person, product_id: int | None = None, *, pin: str | None = PIN, bank_card: int | None = None,
            qr: str | None = None, idem: str | None = None) -> httpx.Response:
        body: dict[str, Any] = {"product_id": product_id} if qr is None else {"qr_payload": qr}
        if pin:
            body["pin"] = pin
        if bank_card is not None:
            body["bank_card_id"] = bank_card
        return self.c.post("/v1/prepaid/cards", json=body, headers=person.headers | {"Idempotency-Key": idem or key()})

    def card_of(self, person: Person, product_id: int | None = None, **kw) -> dict[str, Any]:
        r = self.buy(person, product_id, **kw)
        assert r.status_code == 201, r.text
        return r.json()

    def top_up(self, person: Person, card_id: int, amount: int, *, pin: str | None = PIN,
               bank_card: int | None = None, idem: str | None = None) -> httpx.Response:
        body: dict[str, Any] = {"amount_fen": amount} | ({"pin": pin} if pin else {})
        if bank_card is not None:
            body["bank_card_id"] = bank_card
        return self.c.post(f"/v1/prepaid/cards/{card_id}/top-ups", json=body,
                           headers=person.headers | {"Idempotency-Key": idem or key()})

    def refund(self, person: Person, card_id: int, kind: str = "auto", *, idem: str | None = None) -> httpx.Response:
        return self.c.post(f"/v1/prepaid/cards/{card_id}/refund", json={"kind": kind},
                           headers=person.headers | {"Idempotency-Key": idem or key()})

    def card(self, person: Person, card_id: int) -> dict[str, Any]:
        r = self.c.get(f"/v1/prepaid/cards/{card_id}", headers=person.headers)
        assert r.status_code == 200, r.text
        return r.json()

    def complain(self, person: Person, shop: Shop, category: str = "service_refused",
                 text: str = "Refused to book me.") -> httpx.Response:
        return self.c.post("/v1/prepaid/complaints", json={"merchant_id": shop.id, "category": category, "text": text},
                           headers=person.headers)

    # --- regulator ---

    def set_policy(self, regulator: Person, shop: Shop, policy: str, issuer_type: str = "scale", *,
                   idem: str | None = None) -> httpx.Response:
        return self.c.put(f"/v1/regulator/prepaid/merchants/{shop.id}/policy",
                          json={"escrow_policy": policy, "issuer_type": issuer_type},
                          headers=regulator.headers | {"Idempotency-Key": idem or key()})

    def programme(self, regulator: Person, **changes) -> httpx.Response:
        current = self.c.get("/v1/regulator/prepaid/policy", headers=regulator.headers).json()
        return self.c.put("/v1/regulator/prepaid/policy", json=current | changes,
                          headers=regulator.headers | {"Idempotency-Key": key()})

    def default(self, regulator: Person, shop: Shop, *, idem: str | None = None) -> httpx.Response:
        return self.c.post(f"/v1/regulator/prepaid/merchants/{shop.id}/default",
                           headers=regulator.headers | {"Idempotency-Key": idem or key()})

    def alerts(self, regulator: Person, *, open_only: bool = True) -> list[dict[str, Any]]:
        r = self.c.get("/v1/regulator/prepaid/alerts", params={"open_only": open_only}, headers=regulator.headers)
        assert r.status_code == 200, r.text
        return r.json()

    def coverage(self, regulator: Person) -> list[dict[str, Any]]:
        r = self.c.get("/v1/regulator/prepaid/merchants", headers=regulator.headers)
        assert r.status_code == 200, r.text
        return r.json()

    # --- ledger ---

    def balance(self, code: str) -> int:
        with self.app.state.db() as s:
            return s.scalar(sa.text("SELECT balance FROM accounts WHERE code = :c"), {"c": code})

    def escrow(self, shop: Shop) -> int:
        return self.balance(f"escrow:merchant:{shop.id}")

    def settlement(self, shop: Shop) -> int:
        with self.app.state.db() as s:
            return s.scalar(sa.text("SELECT balance FROM accounts WHERE id = :i"), {"i": shop.settlement_account_id})


@pytest.fixture
def pp(api, app, clock) -> Prepaid:
    return Prepaid(api, app)
