"""Bad input to the money-moving endpoints is refused with a precise problem, and moves nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from wallet_api.merchants import emvco

from tests.helpers import PIN, Person, key

PROBLEM_FIELDS = {"type", "title", "status", "detail", "code", "message_key"}
# Every table a payment or a top-up writes to.
WRITTEN_TABLES = ("transfers", "postings", "payments", "idempotency_records", "funding_operations",
                  "sandbox_bank_operations", "notifications")


class _Missing:
    """No amount_fen in the body at all (a stable repr keeps test ids equal across xdist workers)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


def assert_problem(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert PROBLEM_FIELDS <= body.keys()
    assert (body["status"], body["code"], body["message_key"]) == (status, code, f"error.{code}")
    assert body["type"] == f"https://anxin.example/problems/{code}"
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


@dataclass
class Scene:
    alice: Person       # 1,000 CNY, PIN set
    bob: Person         # an empty wallet
    owner: Person       # the shop's owner
    shop: dict[str, Any]
    card: int           # alice's linked card


@pytest.fixture
def scene(api) -> Scene:
    alice = api.funded("alice", 100_000)
    bob = api.register("bob")
    owner, shop = api.merchant()
    return Scene(alice, bob, owner, shop, api.link_card(alice))


def state(db) -> tuple:
    """Every balance and the size of every table money moves through."""
    with db() as s:
        balances = s.execute(sa.text("SELECT id, balance FROM accounts ORDER BY id")).all()
        counts = {t: s.scalar(sa.text(f"SELECT COUNT(*) FROM {t}")) for t in WRITTEN_TABLES}
    return balances, counts


def body_for(endpoint: str, scene: Scene, amount: Any) -> dict[str, Any]:
    target = {"/v1/payments/merchant": {"merchant_id": scene.shop["id"]},
              "/v1/payments/p2p": {"to_username": "bob"},
              "/v1/wallet/top-ups": {"bank_card_id": scene.card},
              "/v1/wallet/withdrawals": {"bank_card_id": scene.card}}[endpoint]
    return target | ({} if amount is MISSING else {"amount_fen": amount})


def post(api, endpoint: str, person: Person, body: dict[str, Any], idem: str | None = "default") -> Any:
    headers = dict(person.headers)
    if idem is not None:
        headers["Idempotency-Key"] = key() if idem == "default" else idem
    return api.c.post(endpoint, json=body, headers=headers)


MONEY_ENDPOINTS = ["/v1/payments/merchant", "/v1/payments/p2p", "/v1/wallet/top-ups"]
# Every POST that moves money and takes an Idempotency-Key.
KEYED_ENDPOINTS = MONEY_ENDPOINTS + ["/v1/wallet/withdrawals"]
# 12.0: integral but a float (strict ints); 100,000,001: one fen above the ceiling.
BAD_AMOUNTS = [-1, 0, 12.5, 12.0, 100_000_001, 10**12, 2**63,
               "12", "abc", None, True, [], {"fen": 100}, MISSING]


# ---- amounts -------------------------------------------------------------------------------------

@pytest.mark.parametrize("endpoint", MONEY_ENDPOINTS)
@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=repr)
def test_bad_amount_is_refused_and_moves_nothing(api, db, scene, endpoint, amount):
    before = state(db)
    body = assert_problem(post(api, endpoint, scene.alice, body_for(endpoint, scene, amount)), 422,
                          "invalid_amount")
    # _validation_problem: every error is about amount_fen, so the answer is invalid_amount (missing and
    # null included), with the field errors attached.
    assert body["errors"] and all(e["loc"] == ["body", "amount_fen"] for e in body["errors"])
    assert state(db) == before
    assert api.balance(scene.alice) == 100_000 and api.balance(scene.bob) == 0


@pytest.mark.parametrize("endpoint", MONEY_ENDPOINTS)
def test_largest_allowed_amount_is_not_a_validation_error(api, scene, endpoint):
    # 100,000,000 fen passes validation; alice just cannot afford it (a top-up can, from the sandbox bank).
    r = post(api, endpoint, scene.alice, body_for(endpoint, scene, 100_000_000) | (
        {} if endpoint.endswith("top-ups") else {"pin": PIN}))
    if endpoint.endswith("top-ups"):
        assert r.status_code == 201, r.text
        assert r.json()["balance_fen"] == 100_100_000
    else:
        assert_problem(r, 409, "insufficient_funds")


def test_bad_amount_next_to_another_bad_field_is_a_validation_error(api, db, scene):
    before = state(db)
    body = assert_problem(post(api, "/v1/payments/p2p", scene.alice, {"to_username": "b", "amount_fen": -1}), 422,
                          "validation_error")
    assert {tuple(e["loc"]) for e in body["errors"]} == {("body", "to_username"), ("body", "amount_fen")}
    assert state(db) == before


def test_body_that_is_not_json_is_a_validation_error(api, db, scene):
    before = state(db)
    r = api.c.post("/v1/payments/p2p", content=b"amount_fen=100", headers=scene.alice.headers | {
        "Idempotency-Key": key(), "Content-Type": "application/json"})
    assert_problem(r, 422, "validation_error")
    assert state(db) == before


@pytest.mark.parametrize("endpoint", MONEY_ENDPOINTS)
def test_unknown_field_is_refused(api, db, scene, endpoint):
    before = state(db)
    body = body_for(endpoint, scene, 100) | {"currency": "USD"}
    assert_problem(post(api, endpoint, scene.alice, body), 422, "validation_error")
    assert state(db) == before


# ---- whom to pay -----------------------------------------------------------------------------------

def test_unknown_merchant(api, db, scene):
    before = state(db)
    assert_problem(api.pay(scene.alice, 999_999, 100), 404, "merchant_not_found")
    assert state(db) == before


def test_unknown_payee(api, db, scene):
    before = state(db)
    assert_problem(api.p2p(scene.alice, "nobody_here", 100), 404, "payee_not_found")
    assert state(db) == before


def test_payee_username_is_matched_case_insensitively(api, scene):
    r = api.p2p(scene.alice, "BOB", 100)
    assert r.status_code == 201, r.text
    assert api.balance(scene.bob) == 100


def test_paying_yourself_is_refused(api, db, scene):
    before = state(db)
    assert_problem(api.p2p(scene.alice, "alice", 100), 422, "self_payment")
    assert state(db) == before


def test_paying_your_own_shop_is_refused(api, db, scene):
    assert api.top_up(scene.owner, 10_000).status_code == 201
    before = state(db)
    assert_problem(api.pay(scene.owner, scene.shop["id"], 100), 422, "self_payment")
    assert state(db) == before


@pytest.mark.parametrize("target", ["both", "neither"])
def test_merchant_payment_names_exactly_one_merchant(api, db, scene, target):
    extra = {"qr_payload": scene.shop["qr_payload"]} if target == "both" else {}
    merchant_id = scene.shop["id"] if target == "both" else None
    before = state(db)
    r = api.c.post("/v1/payments/merchant", json={"merchant_id": merchant_id, "amount_fen": 100} | extra,
                   headers=scene.alice.headers | {"Idempotency-Key": key()})
    assert_problem(r, 422, "validation_error")
    assert state(db) == before


# ---- QR payloads ---------------------------------------------------------------------------------

def with_crc(body: str) -> str:
    body += "6304"
    return body + f"{emvco.crc16_ccitt_false(body.encode()):04X}"


def malformed_qrs(good: str) -> dict[str, str]:
    flipped = "0" if good[-1] != "0" else "1"
    crc = good[-4:]
    lower_crc = good[:-4] + crc.lower() if crc != crc.lower() else good[:-1] + "g"  # EMVCo wants upper-case hex
    return {
        "bad crc": good[:-1] + flipped,
        "truncated": good[:-10],
        "garbage": "hello, I am not a payment code",
        "not 000201": with_crc("000202" + good[6:-8]),
        "no crc": good[:-8],
        "lower-case crc": lower_crc,
        "other network": with_crc("000201010211" + "2930" + "0012D156000000000510A93FO3230Q"
                                  + "520441115303156" + "5802CN5914BEST TRANSPORT6007BEIJING"),
    }


def test_valid_qr_pays_that_merchant(api, scene):
    qr = api.c.get(f"/v1/merchants/{scene.shop['id']}", headers=scene.alice.headers).json()["qr_payload"]
    r = api.c.post("/v1/payments/merchant", json={"qr_payload": qr, "amount_fen": 1_200},
                   headers=scene.alice.headers | {"Idempotency-Key": key()})
    assert r.status_code == 201, r.text
    assert (r.json()["merchant_id"], r.json()["payee"], r.json()["amount_fen"]) == (scene.shop["id"], "莲花面馆", 1_200)
    assert api.balance(scene.alice) == 100_000 - 1_200


def test_qr_parse_names_the_merchant(api, scene):
    r = api.c.post("/v1/merchants/qr/parse", json={"payload": scene.shop["qr_payload"]}, headers=scene.alice.headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"merchant_id": scene.shop["id"], "merchant_name": "Lotus Noodles", "local_name": "莲花面馆",
                        "amount_fen": None}


def test_qr_with_an_amount_must_be_paid_that_amount(api, db, scene):
    qr = emvco.encode(emvco.MerchantQR(merchant_id=scene.shop["id"], name="Lotus Noodles", city="Weihai",
                                       mcc="5812", amount_fen=1_250))
    parsed = api.c.post("/v1/merchants/qr/parse", json={"payload": qr}, headers=scene.alice.headers).json()
    assert parsed["amount_fen"] == 1_250
    before = state(db)
    r = api.c.post("/v1/payments/merchant", json={"qr_payload": qr, "amount_fen": 1_300},
                   headers=scene.alice.headers | {"Idempotency-Key": key()})
    assert_problem(r, 422, "validation_error")
    assert state(db) == before
    r = api.c.post("/v1/payments/merchant", json={"qr_payload": qr, "amount_fen": 1_250},
                   headers=scene.alice.headers | {"Idempotency-Key": key()})
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("case", ["bad crc", "truncated", "garbage", "not 000201", "no crc", "lower-case crc",
                                  "other network"])
def test_malformed_qr_is_refused_and_moves_nothing(api, db, scene, case):
    payload = malformed_qrs(scene.shop["qr_payload"])[case]
    assert payload != scene.shop["qr_payload"]
    before = state(db)
    r = api.c.post("/v1/payments/merchant", json={"qr_payload": payload, "amount_fen": 100},
                   headers=scene.alice.headers | {"Idempotency-Key": key()})
    assert_problem(r, 422, "invalid_qr")
    assert_problem(api.c.post("/v1/merchants/qr/parse", json={"payload": payload}, headers=scene.alice.headers),
                   422, "invalid_qr")
    assert state(db) == before


@pytest.mark.parametrize("payload", ["", "0" * 513, "000201" + "x" * 594])
def test_qr_of_impossible_length_is_a_validation_error(api, db, scene, payload):
    before = state(db)
    r = api.c.post("/v1/payments/merchant", json={"qr_payload": payload, "amount_fen": 100},
                   headers=scene.alice.headers | {"Idempotency-Key": key()})
    assert [e["loc"] for e in assert_problem(r, 422, "validation_error")["errors"]] == [["body", "qr_payload"]]
    assert_problem(api.c.post("/v1/merchants/qr/parse", json={"payload": payload}, headers=scene.alice.headers),
                   422, "validation_error")
    assert state(db) == before


def test_well_formed_qr_of_an_unknown_merchant(api, db, scene):
    qr = emvco.encode(emvco.MerchantQR(merchant_id=999_999, name="Ghost Shop", city="Weihai", mcc="5812"))
    before = state(db)
    r = api.c.post("/v1/payments/merchant", json={"qr_payload": qr, "amount_fen": 100},
                   headers=scene.alice.headers | {"Idempotency-Key": key()})
    assert_problem(r, 404, "merchant_not_found")
    assert_problem(api.c.post("/v1/merchants/qr/parse", json={"payload": qr}, headers=scene.alice.headers),
                   404, "merchant_not_found")
    assert state(db) == before


# ---- idempotency -------------------------------------------------------------------------------------

@pytest.mark.parametrize("endpoint", KEYED_ENDPOINTS)
@pytest.mark.parametrize("idem", [None, "", "short", "has space in it", "k" * 129, "semi;colon;key"])
def test_money_moving_post_needs_a_well_formed_idempotency_key(api, db, scene, endpoint, idem):
    before = state(db)
    body = assert_problem(post(api, endpoint, scene.alice, body_for(endpoint, scene, 100), idem=idem), 400,
                          "idempotency_key_required")
    assert "Idempotency-Key" in body["detail"]
    assert state(db) == before


@pytest.mark.parametrize("endpoint", KEYED_ENDPOINTS)
def test_same_key_with_a_different_body_is_refused(api, db, scene, endpoint):
    k = key()
    assert post(api, endpoint, scene.alice, body_for(endpoint, scene, 100), idem=k).status_code == 201
    before = state(db)
    assert_problem(post(api, endpoint, scene.alice, body_for(endpoint, scene, 200), idem=k), 409,
                   "idempotency_key_reused")
    assert state(db) == before


def test_same_key_on_another_route_is_refused(api, db, scene):
    k = key()
    assert api.p2p(scene.alice, "bob", 100, idem=k).status_code == 201
    before = state(db)
    assert_problem(api.pay(scene.alice, scene.shop["id"], 100, idem=k), 409, "idempotency_key_reused")
    assert state(db) == before


@pytest.mark.parametrize("endpoint", KEYED_ENDPOINTS)
def test_same_key_and_body_replays_the_first_answer(api, db, scene, endpoint):
    k = key()
    first = post(api, endpoint, scene.alice, body_for(endpoint, scene, 700), idem=k)
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    after_first = state(db)

    again = post(api, endpoint, scene.alice, body_for(endpoint, scene, 700), idem=k)
    assert again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.json() == first.json()
    assert state(db) == after_first  # money moved once
    expected = 100_000 + 700 if endpoint.endswith("top-ups") else 100_000 - 700
    assert api.balance(scene.alice) == expected


def test_replay_of_a_payment_above_the_pin_limit_moves_money_once(api, scene):
    k = key()
    first = api.p2p(scene.alice, "bob", 6_000, pin=PIN, idem=k)
    assert first.status_code == 201, first.text
    again = api.p2p(scene.alice, "bob", 6_000, pin=PIN, idem=k)
    assert (again.json()["id"], again.headers["Idempotent-Replayed"]) == (first.json()["id"], "true")
    assert api.balance(scene.bob) == 6_000


def test_keys_belong_to_one_user(api, scene):
    k = key()
    carol = api.funded("carol", 10_000)
    a = api.p2p(scene.alice, "bob", 100, idem=k)
    c = api.p2p(carol, "bob", 100, idem=k)
    assert (a.status_code, c.status_code) == (201, 201)
    assert a.json()["id"] != c.json()["id"]
    assert api.balance(scene.bob) == 200


# ---- funds -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["merchant", "p2p"])
def test_insufficient_funds_moves_nothing_and_frees_the_key(api, db, scene, kind):
    k = key()
    pay = (lambda: api.pay(scene.bob, scene.shop["id"], 3_000, idem=k)) if kind == "merchant" else \
        (lambda: api.p2p(scene.bob, "alice", 3_000, idem=k))
    assert api.top_up(scene.bob, 2_999).status_code == 201
    before = state(db)
    assert_problem(pay(), 409, "insufficient_funds")
    assert state(db) == before
    assert api.balance(scene.bob) == 2_999
    # The refusal did not claim the key: once funded, the same request goes through (not a replay).
    assert api.top_up(scene.bob, 1).status_code == 201
    r = pay()
    assert r.status_code == 201, r.text
    assert "Idempotent-Replayed" not in r.headers
    assert api.balance(scene.bob) == 0


# ---- routing ---------------------------------------------------------------------------------------

def test_unknown_route_is_a_problem(api, scene):
    body = assert_problem(api.c.get("/v1/no-such-thing", headers=scene.alice.headers), 404, "not_found")
    assert body["instance"] == "/v1/no-such-thing"


def test_wrong_method_is_a_problem_naming_the_allowed_ones(api, scene):
    r = api.c.put("/v1/wallet", json={}, headers=scene.alice.headers)
    assert_problem(r, 405, "method_not_allowed")
    assert r.headers["Allow"] == "GET"  # RFC 9110 §15.5.6: a 405 must say what is allowed
    r = api.c.get("/v1/payments/p2p/refunds", headers=scene.alice.headers)
    assert_problem(r, 405, "method_not_allowed")
    assert r.headers["Allow"] == "POST"
