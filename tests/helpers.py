"""A thin test driver over the real HTTP API (through the ASGI app)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"
PIN = "246810"
# Sandbox bank cards (docs/sandbox-bank.md): behaviour by the last four digits, all Luhn-valid.
GOOD_CARD = "6222020000000090001"
DECLINING_CARD = "6222020000000080002"
SILENT_CARD = "6222020000000070003"
LOST_ANSWER_CARD = "6222020000000060004"


def key() -> str:
    return uuid.uuid4().hex


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
                 pin: str | None = PIN) -> Person:
        r = self.c.post("/v1/auth/register", json={"username": username, "password": PASSWORD,
                                                   "display_name": display_name or username.title(),
                                                   "roles": roles or ["consumer"]})
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
