"""The programmes on top of the small world (tests/e2e/world.py), built through the real HTTP API:
a campus whose canteen takes codes and where xiaoming's card is active (on another phone); a gym
that sells prepaid cards, with meili holding one; a first-come coupon campaign and a lottery; a
regulator. Roles that only an operator can give (`anxin users grant`) come through `grant`."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from tests.e2e.world import PASSWORD, PIN, World, _login, _person

Grant = Callable[[str, str], None]
_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
RESIDENTS = ("nainai", "jianguo", "xiaoming", "meili")


@dataclass(frozen=True)
class Domains:
    campus_id: int
    gym_id: int
    gym_product_id: int
    meili_card_id: int
    spring_campaign_id: int
    lottery_campaign_id: int


def national_id(n: int) -> str:
    """A GB 11643-valid, made-up ID (the check digit is right; the person does not exist)."""
    base = f"3710021980{n:07d}"
    return base + "10X98765432"[sum(int(d) * w for d, w in zip(base, _WEIGHTS, strict=True)) % 11]


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def _ok(response: httpx.Response) -> dict:
    response.raise_for_status()
    return response.json()


def build_domains(http: httpx.Client, world: World, grant: Grant) -> Domains:
    for n, username in enumerate(RESIDENTS, start=1):
        _ok(http.post("/v1/me/real-name", json={"real_name": username.title(), "national_id": national_id(n)},
                      headers=_login(http, username)))
    # Someone no other test signs in: the care-mode screens of the domains are shot with her.
    _person(http, "laowang", "Wang Shufen 王淑芬", roles=["consumer"])
    return Domains(_campus(http, world, grant), *_gym(http, grant), *_coupons(http, grant))


def _campus(http: httpx.Client, world: World, grant: Grant) -> int:
    _person(http, "campusadmin", "Campus Card Centre", roles=["consumer"])
    grant("campusadmin", "campus_admin")
    admin = _login(http, "campusadmin")
    campus = _ok(http.post("/v1/campus/campuses", json={"name": "Shandong University Weihai",
                                                        "local_name": "山东大学威海校区"}, headers=admin))
    _ok(http.put(f"/v1/campus/campuses/{campus['id']}/merchants/{world.shops['canteen'].id}", headers=admin))
    # Cards active on another phone; the app's device registers itself with the person's PIN.
    # Professor Zhang, retired, keeps his staff card and uses the app in care mode.
    _person(http, "laozhang", "Zhang Guoqiang 张国强", roles=["consumer"], top_up_fen=50_000)
    for username, number, name in (("xiaoming", "202300123", "张小明"), ("laozhang", "T1985007", "张国强")):
        enrolled = _ok(http.post(f"/v1/campus/campuses/{campus['id']}/students",
                                 json={"student_number": number, "name": name}, headers=admin))
        _ok(http.post("/v1/campus/activate", json={"activation_code": enrolled["activation_code"],
                                                   "device_label": "old phone"}, headers=_login(http, username)))
    return campus["id"]


def _gym(http: httpx.Client, grant: Grant) -> tuple[int, int, int]:
    owner = _person(http, "irongym", "Iron Gym owner", roles=["merchant"])
    gym = _ok(http.post("/v1/merchants", json={"name": "Iron Gym", "local_name": "钢铁健身", "category": "fitness",
                                               "region": "weihai-huancui", "city": "Weihai"}, headers=owner))
    product = _ok(http.post(f"/v1/prepaid/merchants/{gym['id']}/products",
                            json={"name": "10 classes", "face_value_fen": 50_000, "validity_days": 365},
                            headers=owner))
    card = _ok(http.post("/v1/prepaid/cards", json={"product_id": product["id"], "pin": PIN},
                         headers={**_login(http, "meili"), **_key()}))
    _ok(http.post(f"/v1/prepaid/merchants/{gym['id']}/charges",
                  json={"card_id": card["id"], "amount_fen": 5_000, "description": "one class"},
                  headers={**owner, **_key()}))
    _person(http, "regulator", "Market Supervision Bureau", roles=["consumer"])
    grant("regulator", "regulator")
    return gym["id"], product["id"], card["id"]


def _coupons(http: httpx.Client, grant: Grant) -> tuple[int, int]:
    _person(http, "city", "Weihai Commerce Bureau", roles=["consumer"])
    grant("city", "coupon_issuer")
    city = _login(http, "city")
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    spring = _ok(http.post("/v1/coupons/campaigns", headers=city, json={
        "name": "Weihai Spring Coupons", "categories": ["dining", "supermarket"], "region": "weihai",
        "shape": "spend_x_save_y", "threshold_fen": 10_000, "value_fen": 3_000, "total_quantity": 50,
        "subsidy_budget_fen": 150_000, "batches": [{"release_at": past, "quantity": 50}], "per_person_cap": 2}))
    _ok(http.post(f"/v1/coupons/campaigns/{spring['id']}/funding", json={"amount_fen": 150_000},
                  headers={**city, **_key()}))
    closes = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    lottery = _ok(http.post("/v1/coupons/campaigns", headers=city, json={
        "name": "Weihai Fitness Lottery", "categories": ["fitness"], "region": "weihai", "shape": "no_threshold",
        "value_fen": 2_000, "total_quantity": 10, "subsidy_budget_fen": 20_000, "claim_mode": "lottery",
        "batches": [{"release_at": closes, "quantity": 10}]}))
    _ok(http.post(f"/v1/coupons/campaigns/{lottery['id']}/funding", json={"amount_fen": 20_000},
                  headers={**city, **_key()}))
    seed = secrets.token_hex(16)
    _ok(http.post(f"/v1/coupons/campaigns/{lottery['id']}/rounds/1/commitment",
                  json={"commitment": hashlib.sha256(seed.encode()).hexdigest()}, headers=city))
    return spring["id"], lottery["id"]


__all__ = ["Domains", "PASSWORD", "build_domains"]
