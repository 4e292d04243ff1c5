"""A small demo world for the browser tests, built through the real HTTP API only (so it does
not depend on any domain's demo seeder): an elder, her son, a student, two shops."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx

PASSWORD = "anxin-e2e-2026"
PIN = "135790"
CARD = "6222020000000090001"     # the sandbox bank approves this card


@dataclass(frozen=True)
class Shop:
    id: int
    owner: str
    name: str
    local_name: str
    qr_payload: str


@dataclass(frozen=True)
class World:
    api: str
    shops: dict[str, Shop]


def _login(http: httpx.Client, username: str) -> dict[str, str]:
    r = http.post("/v1/auth/login", json={"username": username, "password": PASSWORD})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _person(http: httpx.Client, username: str, name: str, *, roles: list[str], top_up_fen: int = 0,
            phone: str | None = None) -> dict:
    http.post("/v1/auth/register", json={"username": username, "password": PASSWORD, "display_name": name,
                                         "roles": roles} | ({"phone": phone} if phone else {})).raise_for_status()
    auth = _login(http, username)
    http.put("/v1/me/pin", json={"pin": PIN, "password": PASSWORD}, headers=auth).raise_for_status()
    if top_up_fen:
        card = http.post("/v1/bank-cards", json={"card_number": CARD, "holder_name": name}, headers=auth)
        card.raise_for_status()
        http.post("/v1/wallet/top-ups", json={"bank_card_id": card.json()["id"], "amount_fen": top_up_fen},
                  headers={**auth, "Idempotency-Key": uuid.uuid4().hex}).raise_for_status()
    return auth


def build_world(api: str, http: httpx.Client | None = None) -> World:
    """The world on the server at `api` (or through `http`, e.g. a FastAPI TestClient, left open)."""
    if http is None:
        with httpx.Client(base_url=api, timeout=30) as own:
            return build_world(api, own)
    _person(http, "nainai", "Wang Guihua 王桂花", roles=["consumer"], top_up_fen=200_000)
    _person(http, "jianguo", "Li Jianguo 李建国", roles=["consumer"], top_up_fen=500_000)
    _person(http, "xiaoming", "Zhang Xiaoming 张小明", roles=["consumer"], top_up_fen=30_000)
    _person(http, "meili", "Chen Meili 陈美丽", roles=["consumer"], top_up_fen=80_000)
    shops = {}
    for owner, name, local, category in [("lotus", "Lotus Noodles", "莲花面馆", "dining"),
                                         ("canteen", "SDU Canteen No.1", "第一食堂", "campus_canteen")]:
        auth = _person(http, owner, f"{name} owner", roles=["merchant"])
        m = http.post("/v1/merchants", json={"name": name, "local_name": local, "category": category,
                                             "region": "weihai-huancui", "city": "Weihai"}, headers=auth)
        m.raise_for_status()
        shops[owner] = Shop(m.json()["id"], owner, name, local, m.json()["qr_payload"])
    # Something in the history: Nainai bought noodles once, her son sent her money.
    nainai = _login(http, "nainai")
    http.post("/v1/payments/merchant", json={"merchant_id": shops["lotus"].id, "amount_fen": 1800,
                                             "memo": "beef noodles"},
              headers={**nainai, "Idempotency-Key": uuid.uuid4().hex}).raise_for_status()
    http.post("/v1/payments/p2p", json={"to_username": "nainai", "amount_fen": 100_000, "pin": PIN,
                                        "memo": "for this month, Mum"},
              headers={**_login(http, "jianguo"), "Idempotency-Key": uuid.uuid4().hex}).raise_for_status()
    return World(api, shops)
