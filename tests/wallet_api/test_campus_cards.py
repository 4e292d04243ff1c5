"""The campus admin and the student's card on SQLite and PostgreSQL: campuses, their merchants,
enrolment and one-time activation codes, phones, funding source, daily limit, spending by
merchant, paying by scanning a campus merchant's QR, refunds, and the audit invariant."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.helpers import PIN, assert_books_balance, key
from tests.wallet_api.campus_world import (CampusWorld, Clock, campus_merchant, campus_world, grant, new_campus,
                                           set_campus_clock)
from wallet_api.audit import full_audit
from wallet_api.campus.models import CampusCard, CampusCharge, CampusDevice
from wallet_api.db import transaction


@pytest.fixture
def campus_clock(monkeypatch) -> Clock:
    return set_campus_clock(monkeypatch)


@pytest.fixture
def world(api, app, campus_clock) -> CampusWorld:
    return campus_world(api, app, campus_clock, funds=50_000)


def enrol(world: CampusWorld, number: str, name: str) -> dict:
    r = world.admin_post("/students", {"student_number": number, "name": name})
    assert r.status_code == 201, r.text
    return r.json()


def activate(world: CampusWorld, person, code: str):
    return world.c.post("/v1/campus/activate", json={"activation_code": code}, headers=person.headers)


# ---- the campus admin -------------------------------------------------------------------------

def test_only_a_campus_admin_runs_a_campus_and_only_their_own(api, app, campus_clock):
    student = api.register("plainuser")
    r = api.c.post("/v1/campus/campuses", json={"name": "Nowhere U"}, headers=student.headers)
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    first, second = api.register("admin1"), api.register("admin2")
    grant(app, first, "campus_admin")
    grant(app, second, "campus_admin")
    campus = new_campus(api, app, first, "SDU Weihai")
    assert campus | {"id": 0, "created_at": ""} == {"id": 0, "name": "SDU Weihai", "local_name": None,
                                                    "pin_free_limit_fen": 5_000, "default_daily_limit_fen": 30_000,
                                                    "created_at": ""}
    again = api.c.post("/v1/campus/campuses", json={"name": "SDU Weihai"}, headers=second.headers)
    assert (again.status_code, again.json()["code"]) == (409, "conflict")
    r = api.c.post(f"/v1/campus/campuses/{campus['id']}/students", json={"student_number": "2023001", "name": "王五"},
                   headers=second.headers)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    assert api.c.get("/v1/campus/campuses", headers=second.headers).json() == []
    assert [c["name"] for c in api.c.get("/v1/campus/campuses", headers=first.headers).json()] == ["SDU Weihai"]


def test_merchants_are_created_or_linked_and_serve_one_campus(world, api, app):
    owner, street = api.merchant("noodles", name="Noodle Stall", category="dining")
    r = world.c.put(f"/v1/campus/campuses/{world.campus['id']}/merchants/{street['id']}", headers=world.admin.headers)
    assert r.status_code == 200 and r.json()["id"] == street["id"]
    assert world.c.put(f"/v1/campus/campuses/{world.campus['id']}/merchants/{street['id']}",
                       headers=world.admin.headers).status_code == 200  # twice changes nothing
    listed = world.c.get(f"/v1/campus/campuses/{world.campus['id']}/merchants", headers=world.admin.headers).json()
    assert [m["name"] for m in listed] == ["Canteen No.1", "Noodle Stall"]
    assert listed[0]["category"] == "campus_canteen" and listed[0]["qr_payload"].startswith("000201")
    other = new_campus(api, app, world.admin, "Another U")
    r = world.c.put(f"/v1/campus/campuses/{other['id']}/merchants/{street['id']}", headers=world.admin.headers)
    assert (r.status_code, r.json()["code"]) == (409, "conflict")
    r = world.admin_post("/merchants", {"owner_username": "nobody_here", "name": "Hot Water", "category": "utilities",
                                        "region": "weihai-campus", "city": "Weihai"})
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    assert world.charge(world.code(), 300, cashier=owner, merchant_id=street["id"]).status_code == 201


def test_students_are_enrolled_with_a_one_time_code_kept_only_as_a_hash(world, api, app):
    enrolled = enrol(world, "202300110043", "李雷")
    code = enrolled["activation_code"]
    assert enrolled["student"] | {"id": 0} == {"id": 0, "campus_id": world.campus["id"],
                                                "student_number": "202300110043", "name": "李雷",
                                                "status": "enrolled", "username": None, "activated_at": None,
                                                "active_devices": 0}
    with transaction(app.state.db) as s:
        row = s.get(CampusCard, enrolled["student"]["id"])
        stored = " ".join(str(v) for v in (row.activation_code_hash, row.student_number, row.name))
    assert code.replace("-", "") not in stored and len(row.activation_code_hash) == 64
    duplicate = world.admin_post("/students", {"student_number": "202300110043", "name": "李雷"})
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "conflict")

    lilei = api.funded("lilei", 1_000)
    r = activate(world, lilei, code.lower().replace("-", " "))  # case and spacing do not matter
    assert r.status_code == 201, r.text
    device = r.json()
    assert (device["algorithm"], device["digits"], device["step_seconds"], device["prefix"],
            device["code_length"]) == ("SHA256", 10, 60, "28", 18)
    assert len(base64.b32decode(device["secret_b32"])) * 8 >= 160
    with transaction(app.state.db) as s:
        sealed = s.scalar(select(CampusDevice.secret_sealed).where(CampusDevice.id == device["device"]["id"]))
    assert device["secret_b32"] not in sealed and base64.b32decode(device["secret_b32"]).hex() not in sealed
    again = activate(world, api.register("imposter"), code)
    assert (again.status_code, again.json()["code"]) == (422, "campus_activation_code_invalid")
    students = world.c.get(f"/v1/campus/campuses/{world.campus['id']}/students", headers=world.admin.headers).json()
    assert [(s["student_number"], s["status"], s["username"], s["active_devices"]) for s in students] == [
        ("202300110042", "active", "xiaoming", 1), ("202300110043", "active", "lilei", 1)]
    r = world.admin_post(f"/students/{enrolled['student']['id']}/activation-code")
    assert (r.status_code, r.json()["code"]) == (409, "conflict")  # activated: phones are added with the PIN


def test_activation_codes_expire_and_can_be_reissued(world, api):
    enrolled = enrol(world, "202300110044", "韩梅梅")
    hanmeimei = api.register("hanmeimei")
    world.clock.advance(timedelta(days=7, seconds=1).total_seconds())
    r = activate(world, hanmeimei, enrolled["activation_code"])
    assert (r.status_code, r.json()["code"]) == (422, "campus_activation_code_expired")
    fresh = world.admin_post(f"/students/{enrolled['student']['id']}/activation-code")
    assert fresh.status_code == 201
    assert activate(world, hanmeimei, enrolled["activation_code"]).json()["code"] == "campus_activation_code_invalid"
    assert activate(world, hanmeimei, fresh.json()["activation_code"]).status_code == 201


def test_one_campus_card_per_wallet_and_none_while_suspended(world):
    r = activate(world, world.student, enrol(world, "202300110045", "张小明")["activation_code"])
    assert (r.status_code, r.json()["code"]) == (409, "conflict")
    suspended = enrol(world, "202300110046", "赵六")
    world.admin_post(f"/students/{suspended['student']['id']}/suspend")
    r = activate(world, world.api.register("zhaoliu"), suspended["activation_code"])
    assert (r.status_code, r.json()["code"]) == (403, "campus_card_suspended")
    assert world.admin_post(f"/students/{suspended['student']['id']}/resume").json()["status"] == "enrolled"


def test_no_card_no_campus(api, app, campus_clock):
    nobody = api.register("nobody")
    r = api.c.get("/v1/campus/me", headers=nobody.headers)
    assert (r.status_code, r.json()["code"]) == (404, "campus_not_enrolled")
    r = api.c.post("/v1/campus/me/devices", json={"device_label": "x", "pin": PIN}, headers=nobody.headers)
    assert r.json()["code"] == "campus_not_enrolled"


# ---- the student's phones, funding, limits ----------------------------------------------------

def test_phones_are_added_with_the_pin_revoked_when_lost_and_capped_at_three(world, app):
    r = world.c.post("/v1/campus/me/devices", json={"device_label": "tablet", "pin": "000000"},
                     headers=world.student.headers)
    assert (r.status_code, r.json()["code"]) == (403, "pin_incorrect")
    second, third = world.add_phone(PIN, "tablet"), world.add_phone(PIN, "old phone")
    assert len({world.phone.number, second.number, third.number}) == 3
    r = world.c.post("/v1/campus/me/devices", json={"device_label": "fourth", "pin": PIN},
                     headers=world.student.headers)
    assert (r.status_code, r.json()["code"]) == (409, "conflict")
    assert world.c.delete(f"/v1/campus/me/devices/{third.device_id}", headers=world.student.headers).status_code == 204
    assert world.c.delete(f"/v1/campus/me/devices/{third.device_id}", headers=world.student.headers).status_code == 204
    devices = world.card()["devices"]
    assert [(d["label"], d["status"]) for d in devices] == [("phone", "active"), ("tablet", "active"),
                                                            ("old phone", "revoked")]
    assert world.add_phone(PIN, "new phone").number not in {d["number"] for d in devices}
    intruder = world.api.register("intruder")
    r = world.c.delete(f"/v1/campus/me/devices/{second.device_id}", headers=intruder.headers)
    assert r.json()["code"] == "campus_not_enrolled"
    assert world.charge(world.code(phone=second), 100).status_code == 201


def test_the_funding_source_must_be_the_students_own_linked_card(world, api):
    theirs = api.link_card(api.register("someoneelse"))
    r = world.c.put("/v1/campus/me/funding-source", json={"source": "bank_card", "bank_card_id": theirs},
                    headers=world.student.headers)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    r = world.c.put("/v1/campus/me/funding-source", json={"source": "bank_card"}, headers=world.student.headers)
    assert r.status_code == 404
    mine = api.link_card(world.student)
    card = world.c.put("/v1/campus/me/funding-source", json={"source": "bank_card", "bank_card_id": mine},
                       headers=world.student.headers).json()
    assert (card["funding_source"], card["bank_card_id"]) == ("bank_card", mine)
    card = world.c.put("/v1/campus/me/funding-source", json={"source": "wallet"}, headers=world.student.headers).json()
    assert (card["funding_source"], card["bank_card_id"]) == ("wallet", None)


@pytest.mark.parametrize("bad", [0, -1, 500_001, 12.5, "3000"])
def test_a_daily_limit_is_whole_fen_up_to_5000_cny(world, bad):
    r = world.c.put("/v1/campus/me/daily-limit", json={"daily_limit_fen": bad}, headers=world.student.headers)
    assert r.status_code == 422
    assert world.card()["daily_limit_fen"] == 30_000


def test_spending_by_merchant_counts_completed_payments_and_refunds(world, api):
    clerk, shop = campus_merchant(api, world.admin, world.campus["id"], "shopclerk", "Campus Shop", "校园超市",
                                  "campus_shop")
    paid = [world.charge(world.code(seconds_from_now=-60), 1_200), world.charge(world.code(), 800),
            world.charge(world.code(seconds_from_now=60), 2_500, cashier=clerk, merchant_id=shop["id"])]
    assert [r.status_code for r in paid] == [201, 201, 201]
    world.charge(world.code(seconds_from_now=120), 300)  # refused (not a valid code yet): not spending
    r = world.c.post(f"/v1/campus/charges/{paid[0].json()['id']}/refunds", json={"amount_fen": 200, "reason": "cold"},
                     headers=world.cashier.headers | {"Idempotency-Key": key()})
    assert r.status_code == 201 and r.json()["amount_fen"] == 200
    spending = world.c.get("/v1/campus/me/spending", headers=world.student.headers).json()
    assert spending["total_fen"] == 4_500
    assert [(m["merchant_name"], m["payments"], m["total_fen"], m["refunded_fen"]) for m in spending["by_merchant"]] \
        == [("Campus Shop", 1, 2_500, 0), ("Canteen No.1", 2, 2_000, 200)]
    world.clock.advance(3 * 24 * 3600)
    assert world.c.get("/v1/campus/me/spending", params={"days": 3},
                       headers=world.student.headers).json()["by_merchant"] == []
    assert world.c.get("/v1/campus/me/spending", params={"days": 4},
                       headers=world.student.headers).json()["total_fen"] == 4_500
    assert api.balance(world.student) == 50_000 - 4_500 + 200


def test_refunds_are_the_paid_shops_alone_and_never_exceed_the_payment(world, api):
    charge = world.charge(world.code(), 1_000).json()
    url = f"/v1/campus/charges/{charge['id']}/refunds"
    other = api.register("otherclerk", roles=["merchant"])
    r = world.c.post(url, json={"amount_fen": 100}, headers=other.headers | {"Idempotency-Key": key()})
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    r = world.c.post(url, json={"amount_fen": 1_001}, headers=world.cashier.headers | {"Idempotency-Key": key()})
    assert (r.status_code, r.json()["code"]) == (409, "refund_exceeds_payment")
    idem = key()
    first = world.c.post(url, json={"amount_fen": 1_000}, headers=world.cashier.headers | {"Idempotency-Key": idem})
    again = world.c.post(url, json={"amount_fen": 1_000}, headers=world.cashier.headers | {"Idempotency-Key": idem})
    assert (first.status_code, again.status_code, again.json()["id"]) == (201, 201, first.json()["id"])
    assert api.balance(world.student) == 50_000


# ---- the student scans the merchant's QR ------------------------------------------------------

def scan(world: CampusWorld, qr: str, amount: int, *, pin: str | None = None, idem: str | None = None):
    body = {"qr_payload": qr, "amount_fen": amount} | ({"pin": pin} if pin else {})
    return world.c.post("/v1/campus/scan-pay", json=body, headers=world.student.headers |
                        {"Idempotency-Key": idem or key()})


def test_a_student_pays_by_scanning_the_canteens_static_qr(world, api, app):
    qr, idem = world.canteen["qr_payload"], key()
    r = scan(world, qr, 900, idem=idem)
    assert r.status_code == 201 and r.json()["origin"] == "scan" and r.json()["status"] == "completed", r.text
    assert scan(world, qr, 900, idem=idem).json()["id"] == r.json()["id"]
    big = scan(world, qr, 6_000)
    assert (big.status_code, big.json()["code"]) == (403, "pin_required")
    assert scan(world, qr, 6_000, pin=PIN).status_code == 201
    assert api.balance(world.student) == 50_000 - 6_900
    assert world.card()["spent_today_fen"] == 6_900

    _owner, street = api.merchant("street", name="Street Shop", category="dining")
    r = scan(world, street["qr_payload"], 100)
    assert (r.status_code, r.json()["code"]) == (403, "campus_not_campus_merchant")
    other = new_campus(api, app, world.admin, "Another U")
    _clerk, far_shop = campus_merchant(api, world.admin, other["id"], "farclerk", "Far Shop", "远方小店")
    assert scan(world, far_shop["qr_payload"], 100).json()["code"] == "campus_wrong_campus"
    assert scan(world, "000201garbage", 100).json()["code"] == "invalid_qr"
    world.c.put("/v1/campus/me/daily-limit", json={"daily_limit_fen": 7_000}, headers=world.student.headers)
    r = scan(world, qr, 200)
    assert (r.status_code, r.json()["code"]) == (409, "campus_daily_limit_exceeded")
    assert api.balance(world.student) == 50_000 - 6_900
    assert_books_balance(app)


# ---- audit ------------------------------------------------------------------------------------

def test_the_audit_checks_every_campus_charge_against_the_ledger(world, app):
    paid = world.charge(world.code(), 1_000).json()
    world.charge(world.code(), 1_000)  # refused: used
    with transaction(app.state.db) as s:
        report = full_audit(s, app.state.signer.public_key_hex)
    assert "campus" in report.invariants_checked and report.ok, [str(f) for f in report.findings]
    with transaction(app.state.db) as s:  # someone edits the charge's amount by hand
        s.execute(update(CampusCharge).where(CampusCharge.id == paid["id"]).values(amount=100))
    with transaction(app.state.db) as s:
        findings = [str(f) for f in full_audit(s, app.state.signer.public_key_hex).findings]
    assert findings == [f"campus charge {paid['id']}: charged 100 fen but its payment says 1000 and the merchant "
                        f"was credited 1000 (transfer {paid['transfer_id']})"]


def test_money_moving_campus_routes_document_the_idempotency_key(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ["/v1/campus/charges", "/v1/campus/scan-pay", "/v1/campus/charges/{charge_id}/confirm",
                 "/v1/campus/charges/{charge_id}/refunds"]:
        assert "Idempotency-Key" in [p["name"] for p in paths[path]["post"].get("parameters", [])], path
