"""A family on top of the small world (tests/e2e/world.py), built through the real HTTP API: Liu Guilan
(an elder of her own, so no other test's balances move) lets her son Zhou Dawei act for her — see and pay
shops, at most 100 CNY a payment and 300 CNY a day — holds a family card from him (300 CNY a month),
and has him as her safety guardian. He gave his phone number at sign-up (care mode's Call my family)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx

from tests.e2e.world import PIN, _login, _person

ELDER, SON = "guilan", "dawei"
ELDER_NAME, SON_NAME = "Liu Guilan 刘桂兰", "Zhou Dawei 周大伟"
SON_PHONE = "+8613800138000"      # given at sign-up; the server shows it to his mother while their link is active
PER_PAYMENT_FEN, PER_DAY_FEN, CARD_CAP_FEN = 10_000, 30_000, 30_000


@dataclass(frozen=True)
class Family:
    link_id: int
    card_id: int
    guardianship_id: int


def _ok(response: httpx.Response) -> dict:
    response.raise_for_status()
    return response.json()


def build_family(http: httpx.Client, elder_user: tuple[str, str] = (ELDER, ELDER_NAME),
                 son_user: tuple[str, str] = (SON, SON_NAME)) -> Family:
    """This family (or the same one between two other people, e.g. for another language's screenshots)."""
    (elder_name, elder_display), (son_name, son_display) = elder_user, son_user
    _person(http, elder_name, elder_display, roles=["consumer"], top_up_fen=200_000)
    _person(http, son_name, son_display, roles=["consumer"], top_up_fen=100_000,
            phone=SON_PHONE if son_name == SON else None)
    elder, son = _login(http, elder_name), _login(http, son_name)
    grant = {"scopes": ["view", "pay_merchants"], "per_payment_limit_fen": PER_PAYMENT_FEN,
             "per_day_limit_fen": PER_DAY_FEN}
    link = _ok(http.post("/v1/family/invites", json={"relative": son_name, "grant": grant}, headers=elder))
    _ok(http.post(f"/v1/family/links/{link['id']}/accept", headers=son))
    card = _ok(http.post("/v1/family-cards", json={"holder_username": elder_name, "monthly_cap_fen": CARD_CAP_FEN,
                                                   "note": "for groceries"}, headers=son))
    _ok(http.post(f"/v1/family-cards/{card['id']}/accept", headers=elder))
    guard = _ok(http.post("/v1/guardian/invitations", json={"guardian_username": son_name,
                                                            "delay_new_payee_transfers": True}, headers=elder))
    _ok(http.post(f"/v1/guardian/{guard['id']}/accept", headers=son))
    return Family(link["id"], card["id"], guard["id"])


def held_payment(http: httpx.Client, merchant_id: int, amount_fen: int = 60_000, elder: str = ELDER) -> dict:
    """The elder's first payment to a shop, above the new-payee threshold: it waits for her guardian."""
    r = http.post("/v1/payments/merchant", json={"merchant_id": merchant_id, "amount_fen": amount_fen,
                                                 "funding": "wallet", "pin": PIN},
                  headers={**_login(http, elder), "Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 202, r.text
    return r.json()
