"""Every prepaid refusal returns its documented problem code and changes nothing.

One world with a card in every state (used, unused past cooling-off, expired, closed, at a closing
shop, at a defaulted shop, at a ratio-policy shop whose escrow and settlement cannot pay), then every
refused request, each followed by a comparison of all balances and rows with what they were. The one
deliberate exception is the over-limit top-up: refused and rolled back, but its alert is recorded.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import sqlalchemy as sa

import wallet_api.prepaid.errors as prepaid_errors
from tests.helpers import key
from tests.wallet_api.prepaid_world import (YUAN, Prepaid, assert_prepaid_invariants, clock,  # noqa: F401
                                            money_state, pay_out_settlement, pp)
from wallet_api.errors import Problem

ROOT = Path(__file__).resolve().parents[2]


def build_world(pp: Prepaid, clock) -> dict:
    w: dict = {}
    regulator = w["regulator"] = pp.regulator()
    assert pp.programme(regulator, closing_notice_days=5).status_code == 200
    gym = w["gym"] = pp.shop("irongym", "Iron Gym")
    salon = w["salon"] = pp.shop("jade", "Jade Hair Salon", "beauty")
    ghost = w["ghost"] = pp.shop("ghost", "Ghost Fitness")
    leaving = w["leaving"] = pp.shop("leaving", "Leaving Yoga")
    w["cafe"] = pp.shop("cafe", "Cafe", "dining")  # sells no prepaid cards
    plain = w["plain"] = pp.product(gym, name="plain", face=500 * YUAN)
    short = pp.product(gym, name="short", face=100 * YUAN, days=5)
    w["named"] = pp.product(gym, name="named", face=2_000 * YUAN, named=True)
    w["off"] = pp.product(gym, name="off", face=100 * YUAN)
    pp.c.patch(f"/v1/prepaid/merchants/{gym.id}/products/{w['off']['id']}", json={"on_sale": False},
               headers=gym.owner.headers)
    pp.set_policy(regulator, salon, "ratio", "group")  # 20 %
    salon_plain = pp.product(salon, name="salon plain", face=500 * YUAN)
    w["salon_bonus"] = pp.product(salon, name="salon bonus", face=100 * YUAN, bonus=50 * YUAN)
    w["ghost_p"] = pp.product(ghost, face=100 * YUAN)
    w["leaving_p"] = pp.product(leaving, face=100 * YUAN)

    ann = w["ann"] = pp.api.funded("ann", 5_000 * YUAN)
    w["A"] = pp.card_of(ann, plain["id"])
    assert pp.charge(gym, w["A"]["id"], 1_000).status_code == 201          # used
    w["P"] = pp.card_of(ann, plain["id"])                                   # unused, cooling-off will pass
    w["S"] = pp.card_of(ann, short["id"])                                   # will expire
    w["C"] = pp.card_of(ann, plain["id"])
    assert pp.refund(ann, w["C"]["id"]).status_code == 201                 # closed
    w["G"] = pp.card_of(ann, w["ghost_p"]["id"])
    w["L"] = pp.card_of(ann, w["leaving_p"]["id"])
    assert pp.notice(leaving).status_code == 201                           # closes in 5 days
    assert pp.complain(ann, gym).status_code == 201
    assert pp.default(regulator, ghost).status_code == 201
    clock.advance(days=8)
    w["J"] = pp.card_of(ann, salon_plain["id"])                             # fresh, at the ratio shop
    assert pp.withdraw(salon, 40_000).status_code == 201
    pay_out_settlement(pp.app, salon.settlement_account_id, 40_000)        # escrow 10,000 + settlement 0 < 50,000
    assert pp.programme(regulator, balance_refunds_allowed=False).status_code == 200
    w["bob"] = pp.api.funded("bob", 50 * YUAN)
    w["cai"] = pp.api.register("cai")
    assert_prepaid_invariants(pp.app)
    return w


def refusals(pp: Prepaid, w: dict) -> list[tuple[str, Callable[[], httpx.Response], int, str]]:
    gym, salon, ann, bob = w["gym"], w["salon"], w["ann"], w["bob"]
    A, P, S, C, G, L, J = (w[c]["id"] for c in "APSCGLJ")
    return [
        ("charge above the card balance", lambda: pp.charge(gym, A, 49_001), 409, "prepaid_card_balance_too_low"),
        ("charge an expired card", lambda: pp.charge(gym, S, 100), 409, "prepaid_card_expired"),
        ("charge a closed card", lambda: pp.charge(gym, C, 100), 409, "prepaid_card_closed"),
        ("charge another shop's card", lambda: pp.charge(salon, A, 100), 403, "prepaid_foreign_card"),
        ("charge an unknown card", lambda: pp.charge(gym, 999_999, 100), 404, "prepaid_card_not_found"),
        ("charge a card, not being the shop's owner", lambda: pp.charge(gym, A, 100, by=ann), 403, "forbidden"),
        ("charge nothing", lambda: pp.charge(gym, A, 0), 422, "invalid_amount"),
        ("charge at a defaulted shop", lambda: pp.charge(w["ghost"], G, 100), 409, "prepaid_merchant_defaulted"),
        ("charge after the notice period", lambda: pp.charge(w["leaving"], L, 100), 409, "prepaid_merchant_closed"),
        ("buy without the money", lambda: pp.buy(bob, w["plain"]["id"]), 409, "insufficient_funds"),
        ("buy an unknown product", lambda: pp.buy(ann, 999_999), 404, "prepaid_product_not_found"),
        ("buy a product off sale", lambda: pp.buy(ann, w["off"]["id"]), 409, "prepaid_product_not_on_sale"),
        ("buy a card of your own shop", lambda: pp.buy(gym.owner, w["plain"]["id"]), 422, "self_payment"),
        ("buy a named card without a real name", lambda: pp.buy(ann, w["named"]["id"]), 403,
         "prepaid_real_name_required"),
        ("buy a card whose bonus the shop cannot fund", lambda: pp.buy(ann, w["salon_bonus"]["id"]), 409,
         "prepaid_bonus_not_funded"),
        ("buy at a closing shop", lambda: pp.buy(ann, w["leaving_p"]["id"]), 409, "prepaid_merchant_closing"),
        ("buy at a defaulted shop", lambda: pp.buy(ann, w["ghost_p"]["id"]), 409, "prepaid_merchant_defaulted"),
        ("buy without the PIN", lambda: pp.buy(ann, w["plain"]["id"], pin=None), 403, "pin_required"),
        ("buy naming a product and a QR", lambda: pp.c.post("/v1/prepaid/cards", json={
            "product_id": w["plain"]["id"], "qr_payload": "000201"}, headers=ann.headers | {"Idempotency-Key": key()}),
         422, "validation_error"),
        ("buy without an Idempotency-Key", lambda: pp.c.post("/v1/prepaid/cards", json={
            "product_id": w["plain"]["id"], "pin": "246810"}, headers=ann.headers), 400, "idempotency_key_required"),
        ("top up above the card limit", lambda: pp.top_up(ann, A, 60_000), 409, "prepaid_card_limit_exceeded"),
        ("top up at a closing shop", lambda: pp.top_up(ann, L, 100), 409, "prepaid_merchant_closing"),
        ("top up an expired card", lambda: pp.top_up(ann, S, 100), 409, "prepaid_card_expired"),
        ("top up someone else's card", lambda: pp.top_up(bob, A, 100), 404, "prepaid_card_not_found"),
        ("cooling-off refund of a used card", lambda: pp.refund(ann, A, "cooling_off"), 409, "prepaid_card_used"),
        ("cooling-off refund after 7 days", lambda: pp.refund(ann, P, "cooling_off"), 409,
         "prepaid_cooling_off_over"),
        ("refund a closed card", lambda: pp.refund(ann, C), 409, "prepaid_card_closed"),
        ("refund someone else's card", lambda: pp.refund(bob, A), 404, "prepaid_card_not_found"),
        ("balance refund switched off by policy", lambda: pp.refund(ann, A, "balance"), 409,
         "prepaid_balance_refund_not_allowed"),
        ("refund that escrow and settlement cannot pay", lambda: pp.refund(ann, J, "cooling_off"), 409,
         "prepaid_refund_not_covered"),
        ("withdraw below the ratio", lambda: pp.withdraw(salon, 1), 409, "prepaid_escrow_withdrawal_refused"),
        ("withdraw under the full policy", lambda: pp.withdraw(gym, 1), 409, "prepaid_escrow_withdrawal_refused"),
        ("complain without a card", lambda: pp.complain(w["cai"], gym), 403, "prepaid_complaint_not_allowed"),
        ("complain twice", lambda: pp.complain(ann, gym), 409, "prepaid_complaint_already_open"),
        ("give notice twice", lambda: pp.notice(w["leaving"]), 409, "prepaid_closing_notice_given"),
        ("change a defaulted shop's policy", lambda: pp.set_policy(w["regulator"], w["ghost"], "ratio"), 409,
         "prepaid_merchant_defaulted"),
        ("declare a default twice", lambda: pp.default(w["regulator"], w["ghost"]), 409, "prepaid_merchant_defaulted"),
        ("define a card above the limit", lambda: pp.define(gym, face=1_000 * YUAN + 1), 409,
         "prepaid_card_limit_exceeded"),
        ("look at a shop that sells no cards", lambda: pp.c.get(f"/v1/prepaid/merchants/{w['cafe'].id}",
                                                                headers=w["cafe"].owner.headers), 404,
         "prepaid_not_enrolled"),
        ("ask for a product QR of another shop", lambda: pp.c.get(
            f"/v1/prepaid/merchants/{salon.id}/products/{w['plain']['id']}/qr", headers=salon.owner.headers), 404,
         "not_found"),
    ]


def alerts_state(app) -> list:
    with app.state.db() as s:
        return s.execute(sa.text("SELECT id, type, occurrences, resolved_at FROM prepaid_alerts ORDER BY id")).all()


def test_every_refusal_has_its_code_and_changes_nothing(pp, app, clock):
    w = build_world(pp, clock)
    wrong = []
    for what, call, status, code in refusals(pp, w):
        before, alerts_before = money_state(app), alerts_state(app)
        r = call()
        body = r.json()
        if (r.status_code, body.get("code")) != (status, code) or body.get("message_key") != f"error.{code}":
            wrong.append(f"{what}: expected {status} {code}, got {r.status_code} {body}")
        if not body.get("detail") or not r.headers["content-type"].startswith("application/problem+json"):
            wrong.append(f"{what}: not a problem document with a detail")
        if money_state(app) != before:
            wrong.append(f"{what}: changed balances or rows")
        alerts_after = alerts_state(app)
        if code == "prepaid_card_limit_exceeded" and "top up" in what:
            if [a.type for a in alerts_after if a not in alerts_before] != ["card_over_limit"]:
                wrong.append(f"{what}: the over-limit attempt was not recorded as an alert")
        elif alerts_after != alerts_before:
            wrong.append(f"{what}: changed the alerts")
    assert wrong == []
    assert_prepaid_invariants(app)


def test_every_prepaid_problem_code_is_exercised_and_documented():
    codes = {cls.code for cls in vars(prepaid_errors).values() if isinstance(cls, type) and issubclass(cls, Problem)
             and cls is not Problem}
    table = {code for _what, _call, _status, code in refusals(_NoCalls(), _AnyWorld())}
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", (ROOT / "docs/errors.md").read_text(), re.M))
    assert codes <= table
    assert codes <= documented


class _NoCalls:
    """Stands in for the driver when only the table of refusals is read."""

    def __getattr__(self, name):
        return None


class _AnyWorld(dict):
    def __missing__(self, name):
        return {"id": 0}
