"""A small family for the delegation tests: an elder with money, her son, a shop, a utilities company."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.helpers import Api, Person

ALL_SCOPES = ["view", "pay_bills", "pay_merchants", "top_up", "manage_cards", "manage_settings", "claim_coupons"]


def grant(scopes: list[str] | None = None, *, per_payment: int = 20_000, per_day: int = 50_000,
          expires_at: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"scopes": scopes if scopes is not None else ALL_SCOPES,
                            "per_payment_limit_fen": per_payment, "per_day_limit_fen": per_day}
    if expires_at:
        body["expires_at"] = expires_at
    return body


def acting_for(person: Person, elder: Person) -> dict[str, str]:
    return person.headers | {"Acting-For": elder.username}


def link(api: Api, elder: Person, relative: Person, scopes: list[str] | None = None, **limits) -> dict[str, Any]:
    """Invite by name and accept: an active link. Returns the link as the server shows it."""
    r = api.c.post("/v1/family/invites", json={"relative": relative.username, "grant": grant(scopes, **limits)},
                   headers=elder.headers)
    assert r.status_code == 201, r.text
    r = api.c.post(f"/v1/family/links/{r.json()['id']}/accept", headers=relative.headers)
    assert r.status_code == 200, r.text
    return r.json()


@dataclass
class Family:
    elder: Person
    son: Person
    stranger: Person
    shop: dict[str, Any]
    utility: dict[str, Any]
    link: dict[str, Any]


def family(api: Api, *, balance: int = 200_000, scopes: list[str] | None = None, **limits) -> Family:
    elder = api.funded("nainai", balance, display_name="Nainai")
    son = api.register("jianguo", display_name="Jianguo")
    stranger = api.register("stranger")
    _owner, shop = api.merchant("lotus")
    _owner2, utility = api.merchant("power", name="Weihai Power", category="utilities", local_name="威海供电")
    return Family(elder, son, stranger, shop, utility, link(api, elder, son, scopes, **limits))
