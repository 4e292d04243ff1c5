"""A small campus for the campus tests, built through the real API: a campus admin, a campus,
its canteen and cashier, and a student whose phone was activated with the client core."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

import wallet_api.campus.clock
from app.campus_code import DeviceKey, payment_code
from tests.helpers import Api, Person, key
from wallet_api.auth.service import grant_role
from wallet_api.db import transaction
from wallet_api.schemas.campus import DeviceSecretOut

# 12:00:30 in Beijing: the middle of a 60-second step, far from the campus day's edges.
NOON = datetime(2026, 11, 23, 4, 0, 30, tzinfo=UTC)


class Clock:
    """The server's campus clock, set by the test."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)

    @property
    def unix(self) -> float:
        return self.at.timestamp()


def set_campus_clock(monkeypatch) -> Clock:
    """Give the server's campus domain a clock the test sets (use in a `campus_clock` fixture)."""
    clock = Clock(NOON)
    monkeypatch.setattr(wallet_api.campus.clock, "now", clock)
    return clock


def grant(app, person: Person, role: str) -> None:
    with transaction(app.state.db) as s:
        grant_role(s, person.id, role)


@dataclass
class CampusWorld:
    api: Api
    clock: Clock
    admin: Person
    campus: dict[str, Any]
    cashier: Person
    canteen: dict[str, Any]
    student: Person
    card_id: int
    phone: DeviceKey
    devices: list[DeviceKey] = field(default_factory=list)

    @property
    def c(self):
        return self.api.c

    def code(self, *, seconds_from_now: float = 0, phone: DeviceKey | None = None) -> str:
        """What the student's phone shows, made by the client core (app/campus_code.py)."""
        return payment_code(phone or self.phone, self.clock.unix + seconds_from_now).code

    def charge(self, code: str, amount: int, *, terminal: str = "till-1", idem: str | None = None,
               cashier: Person | None = None, merchant_id: int | None = None, memo: str = "") -> httpx.Response:
        body = {"merchant_id": merchant_id or self.canteen["id"], "terminal_id": terminal, "code": code,
                "amount_fen": amount, "memo": memo}
        return self.c.post("/v1/campus/charges", json=body,
                           headers=(cashier or self.cashier).headers | {"Idempotency-Key": idem or key()})

    def admin_post(self, path: str, body: dict | None = None) -> httpx.Response:
        return self.c.post(f"/v1/campus/campuses/{self.campus['id']}{path}", json=body, headers=self.admin.headers)

    def card(self, who: Person | None = None) -> dict[str, Any]:
        r = self.c.get("/v1/campus/me", headers=(who or self.student).headers)
        assert r.status_code == 200, r.text
        return r.json()

    def confirm(self, charge_id: int, pin: str, *, idem: str | None = None) -> httpx.Response:
        return self.c.post(f"/v1/campus/charges/{charge_id}/confirm", json={"pin": pin},
                           headers=self.student.headers | {"Idempotency-Key": idem or key()})

    def add_phone(self, pin: str, label: str = "second phone") -> DeviceKey:
        r = self.c.post("/v1/campus/me/devices", json={"device_label": label, "pin": pin},
                        headers=self.student.headers)
        assert r.status_code == 201, r.text
        return DeviceKey.from_wire(DeviceSecretOut.model_validate(r.json()))


def new_campus(api: Api, app, admin: Person, name: str, **rules) -> dict[str, Any]:
    r = api.c.post("/v1/campus/campuses", json={"name": name, **rules}, headers=admin.headers)
    assert r.status_code == 201, r.text
    return r.json()


def campus_merchant(api: Api, admin: Person, campus_id: int, owner: str, name: str, local_name: str,
                    category: str = "campus_canteen") -> tuple[Person, dict[str, Any]]:
    cashier = api.register(owner, roles=["merchant"])
    r = api.c.post(f"/v1/campus/campuses/{campus_id}/merchants", headers=admin.headers, json={
        "owner_username": owner, "name": name, "local_name": local_name, "category": category,
        "region": "weihai-campus", "city": "Weihai"})
    assert r.status_code == 201, r.text
    return cashier, r.json()


def enrol_and_activate(api: Api, admin: Person, campus_id: int, student: Person, student_number: str,
                       name: str) -> tuple[int, DeviceKey]:
    r = api.c.post(f"/v1/campus/campuses/{campus_id}/students", headers=admin.headers,
                   json={"student_number": student_number, "name": name})
    assert r.status_code == 201, r.text
    card_id, code = r.json()["student"]["id"], r.json()["activation_code"]
    r = api.c.post("/v1/campus/activate", json={"activation_code": code, "device_label": "phone"},
                   headers=student.headers)
    assert r.status_code == 201, r.text
    return card_id, DeviceKey.from_wire(DeviceSecretOut.model_validate(r.json()))


def campus_world(api: Api, app, clock: Clock, *, funds: int = 20_000, **rules) -> CampusWorld:
    admin = api.register("cardcentre")
    grant(app, admin, "campus_admin")
    campus = new_campus(api, app, admin, "SDU Weihai", **rules)
    cashier, canteen = campus_merchant(api, admin, campus["id"], "canteenclerk", "Canteen No.1", "第一食堂")
    student = api.funded("xiaoming", funds)
    card_id, phone = enrol_and_activate(api, admin, campus["id"], student, "202300110042", "张小明")
    return CampusWorld(api, clock, admin, campus, cashier, canteen, student, card_id, phone, [phone])
