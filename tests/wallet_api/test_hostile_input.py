"""Hostile input gets a clean 4xx problem and writes nothing: numbers beyond 64 bits, invisible and
control characters in names, look-alike letters where only ASCII is allowed, oversized and deeply
nested bodies, wrong content types. (Regression tests for what schemathesis and probing found.)"""

from __future__ import annotations

import json

import pytest

from tests.helpers import PASSWORD, count_rows, key
from wallet_api.auth.models import User
from wallet_api.funding.models import BankCard
from wallet_api.merchants.models import Merchant
from wallet_api.payments.models import Payment

HUGE = 2**70  # no 64-bit column can hold it; SQLite's driver refused to bind it (was a 500)


def problem(r, status: int, code: str) -> dict:
    assert (r.status_code, r.headers["content-type"]) == (status, "application/problem+json"), r.text
    body = r.json()
    assert body["code"] == code and body["message_key"] == f"error.{code}"
    return body


@pytest.mark.parametrize("path", [f"/v1/payments/{HUGE}", f"/v1/payments/{2**63}",
                                  f"/v1/wallet/transfers/{HUGE}/proof", f"/v1/wallet/history?cursor={HUGE}"])
def test_an_id_beyond_64_bits_is_a_validation_problem(api, path):
    alice = api.register("alice")
    problem(api.c.get(path, headers=alice.headers), 422, "validation_error")


def test_paying_a_merchant_id_beyond_64_bits_moves_nothing(api, app):
    alice = api.funded("alice", 10_000)
    r = api.pay(alice, HUGE, 100)
    problem(r, 422, "validation_error")
    assert count_rows(app, Payment) == 0 and api.balance(alice) == 10_000


def test_removing_a_card_id_beyond_64_bits_is_a_validation_problem(api):
    alice = api.register("alice")
    problem(api.c.delete(f"/v1/bank-cards/{HUGE}", headers=alice.headers), 422, "validation_error")


def post(api, path: str, body: dict, headers: dict | None = None):
    """POST JSON with non-ASCII escaped (\\uXXXX), as a client may send it; a lone surrogate can only travel so."""
    return api.c.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"} | (headers or {}))


HIDDEN = {
    "NUL": "Li\u0000 Lei",                      # PostgreSQL cannot even store it
    "escape": "Li \u001b[31mLei",              # terminal colours in an operator's log
    "right-to-left override": "\u202egnp.exe",  # shows as "exe.png"
    "zero-width space": "Li\u200bLei",          # looks exactly like "LiLei"
    "byte order mark": "\ufeffLi Lei",
    "lone surrogate": "Li \ud800Lei",
}


@pytest.mark.parametrize("text", HIDDEN.values(), ids=HIDDEN.keys())
def test_a_display_name_with_a_hidden_character_is_refused(api, app, text):
    r = post(api, "/v1/auth/register", {"username": "lilei", "password": PASSWORD, "display_name": text})
    body = problem(r, 422, "validation_error")
    assert [e["loc"] for e in body["errors"]] == [["body", "display_name"]]
    assert count_rows(app, User) == 0


@pytest.mark.parametrize("text", HIDDEN.values(), ids=HIDDEN.keys())
def test_hidden_characters_are_refused_in_every_kind_of_name_and_memo(api, app, text):
    alice = api.funded("alice", 10_000)
    owner, shop = api.merchant("shopowner")
    cards = count_rows(app, BankCard)
    problem(post(api, "/v1/bank-cards", {"card_number": "6222020000000090001", "holder_name": text},
                 alice.headers), 422, "validation_error")
    problem(post(api, "/v1/merchants", {"name": "Noodles", "local_name": text, "category": "dining",
                                        "region": "weihai", "city": "Weihai"}, owner.headers), 422, "validation_error")
    problem(post(api, "/v1/payments/merchant", {"merchant_id": shop["id"], "amount_fen": 100, "memo": text},
                 alice.headers | {"Idempotency-Key": key()}), 422, "validation_error")
    assert count_rows(app, BankCard) == cards and count_rows(app, Merchant) == 1 and count_rows(app, Payment) == 0


@pytest.mark.parametrize("username", ["\u0430lice", "al\u0456ce", "ａlice"])  # Cyrillic a, Ukrainian i, full-width a
def test_look_alike_letters_cannot_make_a_second_alice(api, username):
    api.register("alice")
    r = api.c.post("/v1/auth/register", json={"username": username, "password": PASSWORD, "display_name": "Alice"})
    problem(r, 422, "validation_error")


def test_a_merchant_name_is_plain_ascii_so_no_look_alike_shop(api):
    owner = api.register("shopowner", roles=["merchant"])
    r = api.c.post("/v1/merchants", json={"name": "Lotus N\u043eodles", "category": "dining", "region": "weihai",
                                          "city": "Weihai"}, headers=owner.headers)
    problem(r, 422, "validation_error")


def test_real_names_in_chinese_and_korean_are_welcome(api):
    for username, name in (("lilei", "李雷"), ("minjun", "김민준"), ("anna", "Anna-Lena O'Neil")):
        r = api.c.post("/v1/auth/register", json={"username": username, "password": PASSWORD, "display_name": name})
        assert r.status_code == 201 and r.json()["display_name"] == name, r.text


def test_a_password_may_hold_any_character_it_is_never_shown(api):
    secret = "correct\u200bhorse\u202ebattery"
    r = api.c.post("/v1/auth/register", json={"username": "alice", "password": secret, "display_name": "Alice"})
    assert r.status_code == 201, r.text
    assert api.c.post("/v1/auth/login", json={"username": "alice", "password": secret}).status_code == 200


def test_a_body_over_64_kib_is_refused_unread(api, app):
    big = b'{"username": "alice", "password": "' + b"x" * 70_000 + b'", "display_name": "A"}'
    r = api.c.post("/v1/auth/register", content=big, headers={"Content-Type": "application/json"})
    problem(r, 413, "payload_too_large")
    assert count_rows(app, User) == 0


def test_a_body_over_64_kib_without_a_length_is_refused_too(api, app):
    def chunks():
        yield b'{"username": "alice", "display_name": "A", "password": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    r = api.c.post("/v1/auth/register", content=chunks(), headers={"Content-Type": "application/json"})
    problem(r, 413, "payload_too_large")
    assert count_rows(app, User) == 0


def test_deeply_nested_json_is_a_clean_refusal(api, app):
    alice = api.funded("alice", 10_000)
    deep = b"[" * 20_000 + b"]" * 20_000
    r = api.c.post("/v1/payments/merchant", content=deep,
                   headers=alice.headers | {"Content-Type": "application/json", "Idempotency-Key": key()})
    assert 400 <= r.status_code < 500 and r.headers["content-type"] == "application/problem+json", r.text
    assert count_rows(app, Payment) == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_body_that_is_not_json_is_refused(api, app, content_type):
    alice = api.funded("alice", 10_000)
    _owner, shop = api.merchant("shopowner")
    body = f'{{"merchant_id": {shop["id"]}, "amount_fen": 100}}'
    r = api.c.post("/v1/payments/merchant", content=body,
                   headers=alice.headers | {"Content-Type": content_type, "Idempotency-Key": key()})
    problem(r, 422, "validation_error")
    assert count_rows(app, Payment) == 0
