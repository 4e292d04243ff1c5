"""A thin test driver over the real HTTP API (through the ASGI app)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from wallet_api.db import transaction
from wallet_api.ledger.accounts import account_by_code
from wallet_api.ledger.models import Account
from wallet_api.ledger.verify import verify_ledger

PASSWORD = "correct horse battery"
PIN = "246810"
# Sandbox bank cards (docs/sandbox-bank.md): behaviour by the last four digits, all Luhn-valid.
GOOD_CARD = "6222020000000090001"
DECLINING_CARD = "6222020000000080002"
SILENT_CARD = "6222020000000070003"
LOST_ANSWER_CARD = "6222020000000060004"


def key() -> str:
    return uuid.uuid4().hex


def demo_headers(client: TestClient, username: str) -> dict[str, str]:
    """Sign a demo-world person in (`anxin seed-demo`'s shared password) and return their auth header."""
    r = client.post("/v1/auth/login", json={"username": username, "password": "anxin-demo-2026"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def assert_books_balance(app) -> None:
    """The ledger verifier finds nothing wrong, and all balances sum to zero: money only moves."""
    with transaction(app.state.db) as s:
        report = verify_ledger(s, app.state.signer.public_key_hex)
        assert report.ok, [str(f) for f in report.findings]
        assert int(s.scalar(select(func.sum(Account.balance)))) == 0


def account_balance(app, code: str) -> int:
    """The balance of the account with this code (e.g. a SystemAccount)."""
    with transaction(app.state.db) as s:
        return account_by_code(s, code).balance


def count_rows(app, model, *where) -> int:
    with transaction(app.state.db) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


@dataclass
class Person:
    id: int
    username: str
    headers: dict[str, str]
    refresh_token: str


class Api:
    def __init__(self, client: TestClient) -> None:
        self.c = client

    def register(self, username: str, *, roles: list[str] | None = None, display_name: str | None = None,
                 pin: str | None = PIN, phone: str | None = None) -> Person:
        r = self.c.post("/v1/auth/register", json={"username": username, "password": PASSWORD,
                                                   "display_name": display_name or username.title(),
                                                   "roles": roles or ["consumer"]} | ({"phone": phone} if phone else {}))
        assert r.status_code == 201, r.text
        person = self.login(username)
        if pin:
            r = self.c.put("/v1/me/pin", json={"pin": pin, "password": PASSWORD}, headers=person.headers)
            assert r.status_code == 204, r.text
        return person

    def login(self, username: str) -> Person:
        r = self.c.post("/v1/auth/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        tokens = r.json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        me = self.c.get("/v1/me", headers=headers).json()
        return Person(me["id"], username, headers, tokens["refresh_token"])

    def balance(self, person: Person) -> int:
        r = self.c.get("/v1/wallet", headers=person.headers)
        assert r.status_code == 200, r.text
        return r.json()["balance_fen"]

    def link_card(self, person: Person, number: str = GOOD_CARD) -> int:
        r = self.c.post("/v1/bank-cards", json={"card_number": number, "holder_name": person.username},
                        headers=person.headers)
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def top_up(self, person: Person, amount: int, *, card: int | None = None, idem: str | None = None):
        card = card or self.link_card(person)
        return self.c.post("/v1/wallet/top-ups", json={"bank_card_id": card, "amount_fen": amount},
                           headers=person.headers | {"Idempotency-Key": idem or key()})

    def funded(self, username: str, amount: int, **kw) -> Person:
        person = self.register(username, **kw)
        r = self.top_up(person, amount)
        assert r.status_code == 201, r.text
        return person

    def merchant(self, username: str = "shop", *, name: str = "Lotus Noodles", category: str = "dining",
                 local_name: str | None = "莲花面馆") -> tuple[Person, dict[str, Any]]:
        owner = self.register(username, roles=["merchant"])
        r = self.c.post("/v1/merchants", json={"name": name, "local_name": local_name, "category": category,
                                               "region": "weihai-huancui", "city": "Weihai"}, headers=owner.headers)
        assert r.status_code == 201, r.text
        return owner, r.json()

    def pay(self, payer: Person, merchant_id: int, amount: int, *, pin: str | None = None, idem: str | None = None,
            **extra):
        body = {"merchant_id": merchant_id, "amount_fen": amount} | ({"pin": pin} if pin else {}) | extra
        return self.c.post("/v1/payments/merchant", json=body, headers=payer.headers | {"Idempotency-Key": idem or key()})

    def p2p(self, payer: Person, to: str, amount: int, *, pin: str | None = None, idem: str | None = None):
        body = {"to_username": to, "amount_fen": amount} | ({"pin": pin} if pin else {})
        return self.c.post("/v1/payments/p2p", json=body, headers=payer.headers | {"Idempotency-Key": idem or key()})

    def withdraw(self, person: Person, amount: int, *, card: int, idem: str | None = None):
        return self.c.post("/v1/wallet/withdrawals", json={"bank_card_id": card, "amount_fen": amount},
                           headers=person.headers | {"Idempotency-Key": idem or key()})

    def refund(self, owner: Person, payment_id: int, amount: int, *, reason: str = "", idem: str | None = None):
        return self.c.post(f"/v1/payments/{payment_id}/refunds", json={"amount_fen": amount, "reason": reason},
                           headers=owner.headers | {"Idempotency-Key": idem or key()})

    def history(self, person: Person, **params) -> dict[str, Any]:
        r = self.c.get("/v1/wallet/history", params=params, headers=person.headers)
        assert r.status_code == 200, r.text
        return r.json()

    def notifications(self, person: Person) -> list[dict[str, Any]]:
        r = self.c.get("/v1/notifications", headers=person.headers)
        assert r.status_code == 200, r.text
        return r.json()


class StatementLog:
    """The SQL statements SQLAlchemy sends on an engine while active (`with StatementLog(engine) as log`), for
    tests that pin how many round-trips a request costs. SQLite's `BEGIN IMMEDIATE` is left out (PostgreSQL's
    BEGIN is implicit in the driver), so both databases count the same work. The ledger's four statements on
    the driver cursor (wallet_api/ledger/posting.py) are not seen here: they are fixed by construction."""

    def __init__(self, engine) -> None:
        self.engine, self.statements = engine, []

    def _seen(self, _conn, _cursor, statement, _params, _context, executemany) -> None:
        if not statement.startswith("BEGIN"):
            self.statements.append(statement)

    def __enter__(self) -> StatementLog:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def __len__(self) -> int:
        return len(self.statements)
