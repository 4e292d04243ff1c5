"""The authorisation matrix: every route of the app × {owner, relative with the scope, relative without
it, relative over its limit, revoked relative, stranger} → the expected answer (docs/family.md).

The route list is the app's own (its OpenAPI paths), so a new route without a delegation decision in
wallet_api/family/scopes.py, or without a request here, fails this test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.helpers import GOOD_CARD, Api, Person, assert_books_balance, key
from tests.wallet_api.coupons_support import funded_campaign, make_issuer, verify, when
from tests.wallet_api.family_world import ALL_SCOPES, acting_for, grant, link
from tests.wallet_api.test_coupons_lottery import Draw, commit, lottery_body
from wallet_api.db import transaction
from wallet_api.family.models import DelegatedAction
from wallet_api.family.scopes import ROUTE_RULES, rule_for
from wallet_api.ledger.checkpoints import cut_checkpoint
from wallet_api.notifications.models import Notification

AMOUNT = 2_000            # below the PIN-free limit: the owner pays without a PIN, like the relative
FAMILY_CODES = {"acting_for_not_allowed", "not_delegated", "delegation_ended", "delegation_expired", "scope_missing",
                "delegated_limit_exceeded"}
# Routes where a relative's request moves the elder's money: the grant's limits apply.
MONEY = {"POST /v1/payments/merchant", "POST /v1/prepaid/cards", "POST /v1/prepaid/cards/{card_id}/top-ups"}


def api_routes(app) -> list[str]:
    return [f"{method.upper()} {path}" for path, ops in app.openapi()["paths"].items() for method in ops]


def test_every_route_has_a_delegation_decision_and_the_table_has_no_stale_lines(app):
    routes = api_routes(app)
    assert len(routes) > 100
    assert sorted(r for r in routes if r not in ROUTE_RULES) == []
    assert sorted(r for r in ROUTE_RULES if r not in routes) == []


@dataclass
class World:
    api: Api
    app: Any
    elder: Person
    son: Person          # every scope, roomy limits
    narrow: Person       # the elder sets their grant to everything *but* the route's scope
    tight: Person        # every scope, limits below AMOUNT
    ex: Person           # was linked, the elder ended it
    stranger: Person
    links: dict[str, int]
    ids: dict[str, Any]


def build(api: Api, app, db) -> World:
    elder = api.funded("nainai", 500_000, display_name="Nainai")
    verify(api, elder, 1)  # coupons need a real-name person
    people = {name: api.register(name) for name in ("jianguo", "meimei", "xiaobao", "exson", "stranger")}
    links = {"jianguo": link(api, elder, people["jianguo"], per_payment=20_000, per_day=1_000_000)["id"],
             "meimei": link(api, elder, people["meimei"])["id"],
             "xiaobao": link(api, elder, people["xiaobao"], per_payment=1_000, per_day=1_000)["id"],
             "exson": link(api, elder, people["exson"])["id"]}
    assert api.c.delete(f"/v1/family/links/{links['exson']}", headers=elder.headers).status_code == 204
    _, shop = api.merchant("lotus")
    prepaid_owner, gym = api.merchant("gym", name="Sunrise Gym", category="fitness", local_name=None)
    r = api.c.post(f"/v1/prepaid/merchants/{gym['id']}/products", headers=prepaid_owner.headers, json={
        "name": "2 swims", "face_value_fen": AMOUNT, "bonus_value_fen": 0, "validity_days": 365, "named": False})
    assert r.status_code == 201, r.text
    product = r.json()["id"]
    card = api.link_card(elder)
    payment = api.pay(elder, shop["id"], 1_000).json()
    prepaid_card = buy_card(api, elder, product)
    city = make_issuer(api, db)
    campaign = funded_campaign(api, city, per_person_cap=10, total_quantity=50, subsidy_budget_fen=150_000,
                               batches=[{"release_at": when(minutes=-1), "quantity": 50}])
    r = api.c.post("/v1/coupons/campaigns", json=lottery_body(), headers=city.headers)
    assert r.status_code == 201, r.text
    lottery = r.json()
    assert commit(api, Draw(city, lottery, []), 1).status_code == 201
    with transaction(db) as s:
        cut_checkpoint(s, app.state.signer)   # so the elder's transfers have a journal proof
    ids = {"shop": shop, "card": card, "payment": payment["id"], "transfer": payment["transfer_id"],
           "product": product, "prepaid_card": prepaid_card, "campaign": campaign["id"], "lottery": lottery["id"]}
    return World(api, app, elder, people["jianguo"], people["meimei"], people["xiaobao"], people["exson"],
                 people["stranger"], links, ids)


def buy_card(api: Api, person: Person, product: int) -> int:
    r = api.c.post("/v1/prepaid/cards", json={"product_id": product},
                   headers=person.headers | {"Idempotency-Key": key()})
    assert r.status_code == 201, r.text
    return r.json()["id"]


# What each delegable route is asked, built fresh for every call (some consume what they touch).
Request = tuple[str, dict[str, Any] | None]
Spec = Callable[[World], Request]


def _new_bank_card(w: World) -> Request:
    return f"/v1/bank-cards/{w.api.link_card(w.elder)}", None


def _new_prepaid_card(w: World) -> Request:
    return f"/v1/prepaid/cards/{buy_card(w.api, w.elder, w.ids['product'])}/refund", {"kind": "auto"}


REQUESTS: dict[str, Spec] = {
    "GET /v1/me": lambda w: ("/v1/me", None),
    "GET /v1/me/preferences": lambda w: ("/v1/me/preferences", None),
    "PATCH /v1/me/preferences": lambda w: ("/v1/me/preferences", {"font_scale_percent": 130}),
    "GET /v1/wallet": lambda w: ("/v1/wallet", None),
    "GET /v1/wallet/history": lambda w: ("/v1/wallet/history", None),
    "GET /v1/wallet/transfers/{transfer_id}/proof": lambda w: (f"/v1/wallet/transfers/{w.ids['transfer']}/proof",
                                                                None),
    "GET /v1/bank-cards": lambda w: ("/v1/bank-cards", None),
    "POST /v1/bank-cards": lambda w: ("/v1/bank-cards", {"card_number": GOOD_CARD, "holder_name": "Nainai"}),
    "DELETE /v1/bank-cards/{card_id}": _new_bank_card,
    "POST /v1/wallet/top-ups": lambda w: ("/v1/wallet/top-ups", {"bank_card_id": w.ids["card"], "amount_fen": AMOUNT}),
    "POST /v1/payments/merchant": lambda w: ("/v1/payments/merchant",
                                             {"merchant_id": w.ids["shop"]["id"], "amount_fen": AMOUNT}),
    "GET /v1/payments/{payment_id}": lambda w: (f"/v1/payments/{w.ids['payment']}", None),
    "POST /v1/merchants/qr/parse": lambda w: ("/v1/merchants/qr/parse", {"payload": w.ids["shop"]["qr_payload"]}),
    "GET /v1/merchants/{merchant_id}": lambda w: (f"/v1/merchants/{w.ids['shop']['id']}", None),
    "GET /v1/notifications": lambda w: ("/v1/notifications", None),
    "GET /v1/coupons/campaigns": lambda w: ("/v1/coupons/campaigns", None),
    "GET /v1/coupons/campaigns/{campaign_id}": lambda w: (f"/v1/coupons/campaigns/{w.ids['campaign']}", None),
    "POST /v1/coupons/campaigns/{campaign_id}/claims": lambda w: (f"/v1/coupons/campaigns/{w.ids['campaign']}/claims",
                                                                  None),
    "POST /v1/coupons/campaigns/{campaign_id}/registrations": lambda w: (
        f"/v1/coupons/campaigns/{w.ids['lottery']}/registrations", None),
    "GET /v1/coupons/campaigns/{campaign_id}/registrations/mine": lambda w: (
        f"/v1/coupons/campaigns/{w.ids['lottery']}/registrations/mine", None),
    "GET /v1/coupons/campaigns/{campaign_id}/rounds/{round_no}": lambda w: (
        f"/v1/coupons/campaigns/{w.ids['lottery']}/rounds/1", None),
    "GET /v1/coupons/mine": lambda w: ("/v1/coupons/mine", None),
    "GET /v1/coupons/best": lambda w: (f"/v1/coupons/best?merchant_id={w.ids['shop']['id']}&amount_fen=20000", None),
    "GET /v1/prepaid/products": lambda w: ("/v1/prepaid/products", None),
    "POST /v1/prepaid/cards": lambda w: ("/v1/prepaid/cards", {"product_id": w.ids["product"]}),
    "GET /v1/prepaid/cards": lambda w: ("/v1/prepaid/cards", None),
    "GET /v1/prepaid/cards/{card_id}": lambda w: (f"/v1/prepaid/cards/{w.ids['prepaid_card']}", None),
    "POST /v1/prepaid/cards/{card_id}/top-ups": lambda w: (f"/v1/prepaid/cards/{w.ids['prepaid_card']}/top-ups",
                                                           {"amount_fen": AMOUNT}),
    "POST /v1/prepaid/cards/{card_id}/refund": _new_prepaid_card,
    "GET /v1/prepaid/complaints": lambda w: ("/v1/prepaid/complaints", None),
}


def test_every_delegable_route_is_exercised_below():
    delegable = {r for r, rule in ROUTE_RULES.items() if rule.delegable}
    assert delegable == set(REQUESTS)


def call(w: World, route: str, headers: dict[str, str], url: str, body: dict[str, Any] | None):
    method = route.split()[0]
    return w.api.c.request(method, url, json=body, headers=headers | {"Idempotency-Key": key()})


def family_state(w: World) -> tuple[int, int, int]:
    """What a refused request must not change: the elder's balance, the log, the elder's security messages."""
    with w.app.state.db() as s:
        actions = s.scalar(select(func.count()).select_from(DelegatedAction))
        security = s.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == w.elder.id, Notification.category == "security"))
    return w.api.balance(w.elder), actions, security


def refused(r, code: str) -> bool:
    return r.status_code == 403 and r.json().get("code") == code


def test_the_matrix(api, app, db):
    w = build(api, app, db)
    failures: list[str] = []
    for route in api_routes(app):
        rule = rule_for(*route.split(" ", 1))
        if rule.kind == "scoped":
            failures += _scoped(w, route, rule)
        else:
            failures += _not_scoped(w, route, rule)
    assert failures == []
    assert_books_balance(app)


def _not_scoped(w: World, route: str, rule) -> list[str]:
    method, path = route.split(" ", 1)
    url = re.sub(r"\{[a-z_]+\}", "1", path)  # any id and an empty body: the refusal comes before either matters
    failures = []
    before = family_state(w)
    for who in (w.son, w.narrow, w.tight, w.ex, w.stranger):
        r = w.api.c.request(method, url, json={}, headers=acting_for(who, w.elder) | {"Idempotency-Key": key()})
        if rule.kind == "never" and not refused(r, "acting_for_not_allowed"):
            failures.append(f"{route} as {who.username}: {r.status_code} {r.text[:120]}")
        if rule.kind == "public" and r.status_code != w.api.c.request(method, url).status_code:
            failures.append(f"{route} (public) answers differently with Acting-For")
    if family_state(w) != before:
        failures.append(f"{route}: a refused request changed something")
    return failures


def _scoped(w: World, route: str, rule) -> list[str]:
    spec = REQUESTS[route]
    failures: list[str] = []

    def check(label: str, ok: bool, r) -> None:
        if not ok:
            failures.append(f"{route} as {label}: {r.status_code} {r.text[:160]}")

    # The refusals first: each leaves money, log and messages alone.
    missing = sorted(set(ALL_SCOPES) - {str(s) for s in rule.scopes})
    assert w.api.c.put(f"/v1/family/links/{w.links['meimei']}/grant", json=grant(missing),
                       headers=w.elder.headers).status_code == 200
    refusals = [("relative without the scope", w.narrow, "scope_missing"), ("revoked relative", w.ex, "delegation_ended"),
                ("stranger", w.stranger, "not_delegated")]
    if route in MONEY:
        refusals.append(("relative over the limit", w.tight, "delegated_limit_exceeded"))
    for label, who, code in refusals:
        url, body = spec(w)
        before = family_state(w)
        r = call(w, route, acting_for(who, w.elder), url, body)
        check(label, refused(r, code), r)
        check(label + " (nothing changed)", family_state(w)[:2] == before[:2], r)
    # Then the allowed: the owner, the relative with the scope and (limits are for money only) the tight one.
    allowed = [("owner", w.elder.headers), ("relative with the scope", acting_for(w.son, w.elder))]
    if route not in MONEY:
        allowed.append(("relative over the limit (no money moves)", acting_for(w.tight, w.elder)))
    for label, headers in allowed:
        url, body = spec(w)
        _balance, actions, security = family_state(w)
        r = call(w, route, headers, url, body)
        check(label, 200 <= r.status_code < 300, r)
        _b, actions_after, security_after = family_state(w)
        records = label != "owner" and route.split()[0] != "GET" and rule.scopes != {"view"}
        check(label + " (recorded and told iff a relative changed something)",
              (actions_after - actions, security_after - security) == ((1, 1) if records else (0, 0)), r)
    return failures


@pytest.mark.parametrize("route", sorted(r for r, rule in ROUTE_RULES.items() if rule.kind == "never"))
def test_never_routes_say_why(route):
    assert rule_for(*route.split(" ", 1)).why
