"""The wallet's history (order, signs, running balance, pages, filters) and the signed-journal
proof a consumer can check offline."""

from __future__ import annotations

from datetime import datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.helpers import assert_books_balance, count_rows
from wallet_api.db import transaction
from wallet_api.ledger import JournalCheckpoint, Transfer
from wallet_api.ledger.verify import verify_ledger
from wallet_api.schemas import TransferProof

BANK = "Sandbox Bank (test only) ••0001"


def all_items(api, person) -> list[dict]:
    page = api.history(person, limit=200)
    assert page["next_cursor"] is None
    return page["items"]


def assert_running_balance(items: list[dict], balance_now: int) -> None:
    """Newest first: each item's balance_after is the one before it plus its amount, from zero."""
    assert items[0]["balance_after_fen"] == balance_now
    for newer, older in zip(items, items[1:]):
        assert newer["balance_after_fen"] == older["balance_after_fen"] + newer["amount_fen"]
    assert items[-1]["balance_after_fen"] == items[-1]["amount_fen"]


@pytest.fixture
def busy(api):
    """Alice: top-up 10,000; pays the shop 1,200; sends Bob 800; Bob sends back 300; the shop refunds 200."""
    alice = api.funded("alice", 10_000)
    bob = api.register("bob")
    owner, shop = api.merchant()
    payment = api.pay(alice, shop["id"], 1_200).json()
    sent = api.p2p(alice, "bob", 800).json()
    back = api.p2p(bob, "alice", 300).json()
    assert api.refund(owner, payment["id"], 200).status_code == 201
    return alice, bob, payment, sent, back


# ---- history -----------------------------------------------------------------------------------

def test_history_is_newest_first_with_signed_amounts_balances_and_counterparties(api, app, busy):
    alice, _bob, payment, sent, back = busy
    items = all_items(api, alice)
    assert [(i["kind"], i["amount_fen"], i["balance_after_fen"], i["counterparty"]) for i in items] == [
        ("refund", 200, 8_500, "莲花面馆"),
        ("p2p", 300, 8_300, "Bob"),
        ("p2p", -800, 8_000, "Bob"),
        ("payment", -1_200, 8_800, "莲花面馆"),
        ("top_up", 10_000, 10_000, BANK),
    ]
    assert [i["payment_id"] for i in items[1:4]] == [back["id"], sent["id"], payment["id"]]
    assert [i["transfer_id"] for i in items[1:4]] == [back["transfer_id"], sent["transfer_id"],
                                                      payment["transfer_id"]]
    assert_running_balance(items, api.balance(alice))
    assert [i["posting_id"] for i in items] == sorted((i["posting_id"] for i in items), reverse=True)
    assert_books_balance(app)


def test_history_pages_cover_every_item_exactly_once(api, app):
    alice = api.funded("alice", 100_000)
    _owner, shop = api.merchant()
    for n in range(25):
        assert api.pay(alice, shop["id"], 100 + n).status_code == 201
    everything = [i["posting_id"] for i in all_items(api, alice)]
    assert len(everything) == 26

    for limit, sizes in ((7, [7, 7, 7, 5]), (13, [13, 13]), (26, [26]), (50, [26])):
        seen, page_sizes, cursor = [], [], None
        while True:
            page = api.history(alice, limit=limit, **({"cursor": cursor} if cursor else {}))
            seen += [i["posting_id"] for i in page["items"]]
            page_sizes.append(len(page["items"]))
            cursor = page["next_cursor"]
            if cursor is None:
                break
            assert cursor == page["items"][-1]["posting_id"]
        assert seen == everything, limit
        assert page_sizes == sizes, limit
    assert_running_balance(all_items(api, alice), api.balance(alice))


def test_history_filters_by_kind_and_direction(api, busy):
    alice, *_ = busy
    assert [i["amount_fen"] for i in api.history(alice, kind="p2p")["items"]] == [300, -800]
    assert [i["kind"] for i in api.history(alice, direction="in")["items"]] == ["refund", "p2p", "top_up"]
    assert [i["kind"] for i in api.history(alice, direction="out")["items"]] == ["p2p", "payment"]
    assert [i["amount_fen"] for i in api.history(alice, kind="p2p", direction="in")["items"]] == [300]
    assert api.history(alice, kind="withdrawal_hold")["items"] == []


def test_history_filters_by_time_since_inclusive_until_exclusive(api, busy):
    alice, *_ = busy
    items = all_items(api, alice)
    since, until = items[3]["created_at"], items[1]["created_at"]
    expected = [i["posting_id"] for i in items
                if datetime.fromisoformat(since) <= datetime.fromisoformat(i["created_at"])
                < datetime.fromisoformat(until)]
    got = api.history(alice, since=since, until=until)["items"]
    assert [i["posting_id"] for i in got] == expected
    assert items[3]["posting_id"] in expected and items[1]["posting_id"] not in expected
    assert api.history(alice, since=items[0]["created_at"])["items"][0]["posting_id"] == items[0]["posting_id"]


@pytest.mark.parametrize("params", [
    {"since": "2030-01-02T00:00:00+00:00", "until": "2030-01-01T00:00:00+00:00"},  # since after until
    {"limit": 0}, {"limit": 201}, {"limit": -1}, {"cursor": 0}, {"direction": "sideways"},
    {"kind": "DROP TABLE"},
    {"since": "2030-01-01T00:00:00"},  # no time zone: ambiguous, refused rather than guessed
])
def test_bad_history_queries_are_refused(api, params):
    alice = api.register("alice")
    r = api.c.get("/v1/wallet/history", params=params, headers=alice.headers)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "validation_error"


def test_history_limit_bounds_are_inclusive(api):
    alice = api.funded("alice", 1_000)
    assert len(api.history(alice, limit=1)["items"]) == 1
    assert len(api.history(alice, limit=200)["items"]) == 1


# ---- proofs ------------------------------------------------------------------------------------

@pytest.fixture
def verify_transfer_proof():
    return pytest.importorskip("app.proof").verify_transfer_proof


def trusted_key(api) -> str:
    r = api.c.get("/v1/journal/key")
    assert r.status_code == 200 and r.json()["algorithm"] == "Ed25519"
    return r.json()["public_key"]


def fetch_proof(api, person, transfer_id: int) -> TransferProof:
    r = api.c.get(f"/v1/wallet/transfers/{transfer_id}/proof", headers=person.headers)
    assert r.status_code == 200, r.text
    return TransferProof.model_validate(r.json())


def test_a_proof_of_my_payment_verifies_offline_under_the_published_key(api, app, busy, verify_transfer_proof):
    alice, _bob, payment, *_ = busy
    key_hex = trusted_key(api)
    assert key_hex == app.state.signer.public_key_hex
    proof = fetch_proof(api, alice, payment["transfer_id"])
    assert verify_transfer_proof(proof, key_hex) == []
    assert proof.transfer.id == payment["transfer_id"]
    assert proof.transfer_hash == payment["journal_hash"]
    assert sorted(amount for _, amount in proof.transfer.postings) == [-1_200, 1_200]
    assert proof.merkle_path  # the checkpoint covers several transfers
    # The merchant owner was party to the same transfer and gets a proof of it too.
    owner = api.login("shop")
    assert verify_transfer_proof(fetch_proof(api, owner, payment["transfer_id"]), key_hex) == []
    assert_books_balance(app)


def test_a_proof_is_only_for_a_party_to_the_transfer(api, busy):
    _alice, _bob, payment, *_ = busy
    carol = api.register("carol")
    r = api.c.get(f"/v1/wallet/transfers/{payment['transfer_id']}/proof", headers=carol.headers)
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert api.c.get("/v1/wallet/transfers/99999/proof", headers=carol.headers).status_code == 404


def test_a_tampered_proof_is_reported(api, busy, verify_transfer_proof):
    alice, _bob, payment, *_ = busy
    key_hex = trusted_key(api)
    proof = fetch_proof(api, alice, payment["transfer_id"])

    amount = proof.model_copy(deep=True)
    account, fen = amount.transfer.postings[0]
    amount.transfer.postings[0] = (account, fen - 1)
    assert any("hash" in p for p in verify_transfer_proof(amount, key_hex))

    step = proof.model_copy(deep=True)
    flipped = "0" if step.merkle_path[0].hash[0] != "0" else "1"
    step.merkle_path[0].hash = flipped + step.merkle_path[0].hash[1:]
    assert any("merkle" in p for p in verify_transfer_proof(step, key_hex))

    signature = proof.model_copy(deep=True)
    flipped = "0" if signature.checkpoint.signature[-1] != "0" else "1"
    signature.checkpoint.signature = signature.checkpoint.signature[:-1] + flipped
    assert any("signature" in p for p in verify_transfer_proof(signature, key_hex))

    stranger_key = Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
    assert any("signature" in p for p in verify_transfer_proof(proof, stranger_key))

    assert verify_transfer_proof(proof, key_hex) == []  # the copies were tampered with, not the original


def test_checkpoints_are_cut_on_demand_by_a_proof_and_chain(api, app, busy, verify_transfer_proof):
    alice, _bob, payment, sent, _back = busy
    r = api.c.get("/v1/journal/checkpoints/latest")
    assert r.status_code == 404 and r.json()["code"] == "not_found"

    first = fetch_proof(api, alice, payment["transfer_id"])
    latest = api.c.get("/v1/journal/checkpoints/latest")
    assert latest.status_code == 200
    assert latest.json()["seq"] == 1
    assert latest.json()["merkle_root"] == first.checkpoint.merkle_root
    assert latest.json()["transfer_count"] == count_rows(app, Transfer)
    assert latest.json()["prev_root"] == "0" * 64

    # An earlier transfer is already covered: no new checkpoint.
    assert fetch_proof(api, alice, sent["transfer_id"]).checkpoint.seq == 1
    # A new transfer lands in the next checkpoint, chained to the first.
    new = api.p2p(alice, "bob", 100).json()
    second = fetch_proof(api, alice, new["transfer_id"])
    assert (second.checkpoint.seq, second.checkpoint.prev_root) == (2, first.checkpoint.merkle_root)
    assert (second.leaf_index, second.merkle_path) == (0, [])
    assert verify_transfer_proof(second, trusted_key(api)) == []
    assert count_rows(app, JournalCheckpoint) == 2
    with transaction(app.state.db) as s:
        report = verify_ledger(s, app.state.signer.public_key_hex)
    assert (report.ok, report.checkpoints, report.unchecked_transfers) == (True, 2, 0)


def test_a_refund_line_in_history_points_at_the_refunded_payment(api):
    payer = api.funded("refundee", 10_000)
    owner, shop = api.merchant()
    paid = api.pay(payer, shop["id"], 3_000).json()
    r = api.c.post(f"/v1/payments/{paid['id']}/refunds", json={"amount_fen": 1_000},
                   headers=owner.headers | {"Idempotency-Key": "refund-line-0001"})
    assert r.status_code == 201, r.text
    newest = api.c.get("/v1/wallet/history", headers=payer.headers).json()["items"][0]
    assert (newest["kind"], newest["amount_fen"], newest["payment_id"]) == ("refund", 1_000, paid["id"])
