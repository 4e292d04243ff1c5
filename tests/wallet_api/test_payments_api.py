"""Paying merchants (by id and by their QR) and people, receipts, refunds and merchant takings."""

from __future__ import annotations

import pytest

from tests.helpers import PIN, assert_books_balance, count_rows, key
from wallet_api.db import transaction
from wallet_api.ledger import Account, Transfer
from wallet_api.merchants.models import Merchant
from wallet_api.payments.models import Refund


def settlement_balance(app, merchant_id: int) -> int:
    with transaction(app.state.db) as s:
        return s.get(Account, s.get(Merchant, merchant_id).settlement_account_id).balance


@pytest.fixture
def paid(api):
    """Alice (10,000 fen) has paid Lotus Noodles 3,000 fen; Carol is a stranger to both."""
    alice = api.funded("alice", 10_000)
    owner, shop = api.merchant()
    carol = api.register("carol")
    r = api.pay(alice, shop["id"], 3_000)
    assert r.status_code == 201, r.text
    return alice, owner, shop, carol, r.json()


# ---- paying ------------------------------------------------------------------------------------

def test_paying_a_merchant_by_id_returns_a_receipt_tied_to_the_journal(api, app):
    alice = api.funded("alice", 10_000)
    owner, shop = api.merchant()
    r = api.pay(alice, shop["id"], 1_250, memo="two bowls")
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert receipt["kind"] == "merchant"
    assert (receipt["amount_fen"], receipt["refunded_fen"], receipt["refunds"]) == (1_250, 0, [])
    assert (receipt["payer"], receipt["payee"]) == ("Alice", "莲花面馆")
    assert (receipt["merchant_id"], receipt["memo"]) == (shop["id"], "two bowls")
    with transaction(app.state.db) as s:
        transfer = s.get(Transfer, receipt["transfer_id"])
        assert (transfer.kind, transfer.hash) == ("payment", receipt["journal_hash"])

    assert api.balance(alice) == 8_750
    assert settlement_balance(app, shop["id"]) == 1_250
    assert any(n["message_key"] == "notice.payment_sent" and n["params"]["amount_fen"] == 1_250
               for n in api.notifications(alice))
    assert any(n["message_key"] == "notice.payment_received" and n["params"] == {"amount_fen": 1_250,
                                                                                  "payer": "Alice"}
               for n in api.notifications(owner))
    assert_books_balance(app)


def test_paying_a_merchant_by_its_scanned_qr(api, app):
    alice = api.funded("alice", 10_000)
    _owner, shop = api.merchant()
    qr = api.c.get(f"/v1/merchants/{shop['id']}", headers=alice.headers).json()["qr_payload"]
    assert qr == shop["qr_payload"]
    r = api.c.post("/v1/payments/merchant", json={"qr_payload": qr, "amount_fen": 880},
                   headers=alice.headers | {"Idempotency-Key": key()})
    assert r.status_code == 201, r.text
    assert (r.json()["merchant_id"], r.json()["payee"], r.json()["amount_fen"]) == (shop["id"], "莲花面馆", 880)
    assert api.balance(alice) == 9_120
    assert settlement_balance(app, shop["id"]) == 880
    assert_books_balance(app)


def test_a_payment_names_its_merchant_exactly_once(api, app):
    alice = api.funded("alice", 10_000)
    _owner, shop = api.merchant()
    both = {"merchant_id": shop["id"], "qr_payload": shop["qr_payload"], "amount_fen": 100}
    neither = {"amount_fen": 100}
    for body in (both, neither):
        r = api.c.post("/v1/payments/merchant", json=body, headers=alice.headers | {"Idempotency-Key": key()})
        assert r.status_code == 422 and r.json()["code"] == "validation_error"
    r = api.c.post("/v1/payments/merchant", json={"qr_payload": "000201garbage", "amount_fen": 100},
                   headers=alice.headers | {"Idempotency-Key": key()})
    assert r.status_code == 422 and r.json()["code"] == "invalid_qr"
    r = api.pay(alice, shop["id"] + 999, 100)
    assert r.status_code == 404 and r.json()["code"] == "merchant_not_found"
    assert api.balance(alice) == 10_000
    assert_books_balance(app)


def test_a_receipt_is_visible_to_the_payer_and_the_merchant_owner_only(api, paid):
    alice, owner, _shop, carol, receipt = paid
    url = f"/v1/payments/{receipt['id']}"
    assert api.c.get(url, headers=alice.headers).json() == receipt
    assert api.c.get(url, headers=owner.headers).json() == receipt
    r = api.c.get(url, headers=carol.headers)
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert api.c.get(f"/v1/payments/{receipt['id'] + 1}", headers=alice.headers).status_code == 404


def test_paying_a_person_moves_money_between_wallets_and_tells_the_payee(api, app):
    alice = api.funded("alice", 10_000)
    bob, carol = api.register("bob"), api.register("carol")
    r = api.p2p(alice, "bob", 6_000, pin=PIN)  # above the PIN-free limit
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert (receipt["kind"], receipt["payer"], receipt["payee"], receipt["merchant_id"]) == \
        ("p2p", "Alice", "Bob", None)
    assert (api.balance(alice), api.balance(bob)) == (4_000, 6_000)
    assert [(n["message_key"], n["params"]) for n in api.notifications(bob)] == \
        [("notice.transfer_received", {"amount_fen": 6_000, "payer": "Alice"})]
    url = f"/v1/payments/{receipt['id']}"
    assert api.c.get(url, headers=bob.headers).status_code == 200
    assert api.c.get(url, headers=carol.headers).status_code == 404
    assert_books_balance(app)


# ---- refunds -----------------------------------------------------------------------------------

def test_only_the_merchant_owner_may_refund(api, app, paid):
    alice, _owner, shop, carol, receipt = paid
    for who in (alice, carol):
        r = api.refund(who, receipt["id"], 1_000)
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert api.balance(alice) == 7_000
    assert settlement_balance(app, shop["id"]) == 3_000
    assert count_rows(app, Refund) == 0
    assert_books_balance(app)


def test_partial_refunds_accumulate_and_return_money_to_the_payer(api, app, paid):
    alice, owner, shop, _carol, receipt = paid
    first = api.refund(owner, receipt["id"], 1_000, reason="cold soup")
    second = api.refund(owner, receipt["id"], 500, reason="missing egg")
    assert (first.status_code, second.status_code) == (201, 201), (first.text, second.text)
    assert (first.json()["payment_id"], first.json()["amount_fen"], first.json()["reason"]) == \
        (receipt["id"], 1_000, "cold soup")
    assert api.balance(alice) == 7_000 + 1_500
    assert settlement_balance(app, shop["id"]) == 1_500

    now = api.c.get(f"/v1/payments/{receipt['id']}", headers=alice.headers).json()
    assert now["refunded_fen"] == 1_500
    assert now["refunds"] == [first.json(), second.json()]
    assert any(n["message_key"] == "notice.refund_received" and n["params"]["amount_fen"] == 500
               for n in api.notifications(alice))
    assert_books_balance(app)


def test_a_refund_above_what_is_left_is_refused_with_the_refundable_amount(api, app, paid):
    alice, owner, _shop, _carol, receipt = paid
    assert api.refund(owner, receipt["id"], 1_800).status_code == 201
    r = api.refund(owner, receipt["id"], 1_201)
    assert r.status_code == 409
    assert (r.json()["code"], r.json()["refundable_fen"]) == ("refund_exceeds_payment", 1_200)

    assert api.refund(owner, receipt["id"], 1_200).status_code == 201  # exactly what is left
    r = api.refund(owner, receipt["id"], 1)
    assert r.status_code == 409 and r.json()["refundable_fen"] == 0
    assert api.balance(alice) == 10_000
    assert api.c.get(f"/v1/payments/{receipt['id']}", headers=owner.headers).json()["refunded_fen"] == 3_000
    assert_books_balance(app)


def test_a_retried_refund_is_made_once_and_replays_the_same_answer(api, app, paid):
    alice, owner, _shop, _carol, receipt = paid
    idem = key()
    first = api.refund(owner, receipt["id"], 700, idem=idem)
    again = api.refund(owner, receipt["id"], 700, idem=idem)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers

    other = api.refund(owner, receipt["id"], 800, idem=idem)
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert count_rows(app, Refund) == 1
    assert api.balance(alice) == 7_700
    assert_books_balance(app)


def test_a_person_to_person_payment_cannot_be_refunded(api, app):
    alice = api.funded("alice", 10_000)
    bob = api.register("bob")
    receipt = api.p2p(alice, "bob", 1_000).json()
    r = api.refund(bob, receipt["id"], 1_000)
    assert r.status_code == 404
    assert (api.balance(alice), api.balance(bob)) == (9_000, 1_000)


# ---- takings -----------------------------------------------------------------------------------

def test_a_merchant_sees_its_takings_newest_first_and_nobody_else_does(api, app, paid):
    alice, owner, shop, carol, first = paid
    second = api.pay(alice, shop["id"], 450).json()
    url = f"/v1/merchants/{shop['id']}/payments"
    takings = api.c.get(url, headers=owner.headers)
    assert takings.status_code == 200
    assert [(p["id"], p["amount_fen"], p["payer"]) for p in takings.json()] == \
        [(second["id"], 450, "Alice"), (first["id"], 3_000, "Alice")]
    for who in (alice, carol):
        r = api.c.get(url, headers=who.headers)
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = api.c.get(f"/v1/merchants/{shop['id'] + 999}/payments", headers=owner.headers)
    assert r.status_code == 404 and r.json()["code"] == "merchant_not_found"
