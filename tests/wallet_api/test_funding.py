"""Bank cards, top-ups and withdrawals against the sandbox bank, including the ways a bank fails.

The sandbox decides by the card's last four digits (tests/helpers.py): approve, decline, never
answer, or act and lose the answer. Every scenario ends with the ledger verifier and the rule
that all balances sum to zero.
"""

from __future__ import annotations

from sqlalchemy import select

from tests.helpers import (DECLINING_CARD, GOOD_CARD, LOST_ANSWER_CARD, SILENT_CARD, account_balance,
                           assert_books_balance, count_rows, key)
from wallet_api.db import Base, transaction
from wallet_api.funding.models import BankCard, FundingOperation, SandboxBankOperation
from wallet_api.ledger import Posting, Transfer
from wallet_api.ledger.accounts import SystemAccount, account_by_code, wallet_code

BANK = "Sandbox Bank (test only)"
CLEARING = SystemAccount.BANK_CLEARING
IN_FLIGHT = SystemAccount.WITHDRAWALS_IN_FLIGHT


def operations(app, user_id: int, kind: str) -> list[FundingOperation]:
    with transaction(app.state.db) as s:
        return list(s.scalars(select(FundingOperation).where(FundingOperation.user_id == user_id,
                                                             FundingOperation.kind == kind)
                              .order_by(FundingOperation.id)))


def legs(app, transfer_id: int) -> dict[int, int]:
    """account id -> signed amount of one transfer's postings."""
    with transaction(app.state.db) as s:
        rows = s.execute(select(Posting.account_id, Posting.amount).where(Posting.transfer_id == transfer_id))
        return {account_id: amount for account_id, amount in rows}


def account_ids(app, user_id: int) -> dict[str, int]:
    with transaction(app.state.db) as s:
        return {"wallet": account_by_code(s, wallet_code(user_id)).id,
                "clearing": account_by_code(s, CLEARING).id, "in_flight": account_by_code(s, IN_FLIGHT).id}


# ---- bank cards --------------------------------------------------------------------------------

def test_a_card_number_failing_the_luhn_check_is_refused(api, app):
    alice = api.register("alice")
    bad = GOOD_CARD[:-1] + str((int(GOOD_CARD[-1]) + 1) % 10)
    r = api.c.post("/v1/bank-cards", json={"card_number": bad, "holder_name": "Alice"}, headers=alice.headers)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "validation_error"
    assert api.c.get("/v1/bank-cards", headers=alice.headers).json() == []
    assert count_rows(app, BankCard) == 0


def test_a_linked_card_keeps_only_its_last_four_digits_and_a_bank_token(api, app):
    alice = api.register("alice")
    r = api.c.post("/v1/bank-cards", json={"card_number": GOOD_CARD, "holder_name": "Alice Wang"},
                   headers=alice.headers)
    assert r.status_code == 201, r.text
    card = r.json()
    assert card == {"id": card["id"], "bank_name": BANK, "last4": "0001", "holder_name": "Alice Wang",
                    "status": "active"}
    with transaction(app.state.db) as s:
        row = s.get(BankCard, card["id"])
        assert row.gateway_token.startswith("sbx_") and GOOD_CARD not in row.gateway_token
        # The number is nowhere in the database, in any table.
        for table in Base.metadata.sorted_tables:
            assert GOOD_CARD not in repr(s.execute(select(table)).all()), table.name


def test_cards_are_listed_and_a_removed_card_is_gone_and_unusable(api, app):
    alice, bob = api.register("alice"), api.register("bob")
    first = api.link_card(alice, GOOD_CARD)
    second = api.link_card(alice, DECLINING_CARD)
    listed = api.c.get("/v1/bank-cards", headers=alice.headers).json()
    assert [(c["id"], c["last4"]) for c in listed] == [(first, "0001"), (second, "0002")]
    assert api.c.get("/v1/bank-cards", headers=bob.headers).json() == []

    assert api.c.delete(f"/v1/bank-cards/{first}", headers=bob.headers).status_code == 404  # not his
    assert api.c.delete(f"/v1/bank-cards/{first}", headers=alice.headers).status_code == 204
    assert [c["id"] for c in api.c.get("/v1/bank-cards", headers=alice.headers).json()] == [second]

    r = api.top_up(alice, 1_000, card=first)
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = api.withdraw(alice, 1_000, card=first)
    assert r.status_code == 404
    assert api.c.delete(f"/v1/bank-cards/{first}", headers=alice.headers).status_code == 404
    assert api.balance(alice) == 0
    assert count_rows(app, FundingOperation) == 0


def test_nobody_can_top_up_from_someone_elses_card(api, app):
    alice, bob = api.register("alice"), api.register("bob")
    card = api.link_card(alice)
    r = api.top_up(bob, 1_000, card=card)
    assert r.status_code == 404
    assert api.balance(bob) == 0 and api.balance(alice) == 0


# ---- top-ups -----------------------------------------------------------------------------------

def test_an_approved_top_up_credits_the_wallet_records_history_and_notifies(api, app):
    alice = api.register("alice")
    card = api.link_card(alice)
    r = api.top_up(alice, 12_345, card=card)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body == {"id": body["id"], "kind": "top_up", "amount_fen": 12_345, "status": "completed",
                    "transfer_id": body["transfer_id"], "balance_fen": 12_345}
    assert api.balance(alice) == 12_345
    assert account_balance(app, CLEARING) == -12_345

    [item] = api.history(alice)["items"]
    assert (item["kind"], item["amount_fen"], item["balance_after_fen"], item["transfer_id"]) == \
        ("top_up", 12_345, 12_345, body["transfer_id"])
    assert item["counterparty"] == f"{BANK} ••0001"

    notes = [n for n in api.notifications(alice) if n["message_key"] == "notice.top_up"]
    assert len(notes) == 1
    assert notes[0]["params"] == {"amount_fen": 12_345} and notes[0]["category"] == "transactional"
    assert "123.45 CNY" in notes[0]["text"]
    assert_books_balance(app)


def test_top_up_needs_an_idempotency_key_and_a_valid_amount(api, app):
    alice = api.register("alice")
    card = api.link_card(alice)
    r = api.c.post("/v1/wallet/top-ups", json={"bank_card_id": card, "amount_fen": 1_000}, headers=alice.headers)
    assert r.status_code == 400 and r.json()["code"] == "idempotency_key_required"
    for amount in (0, -5, 12.5, "1000"):
        r = api.c.post("/v1/wallet/top-ups", json={"bank_card_id": card, "amount_fen": amount},
                       headers=alice.headers | {"Idempotency-Key": key()})
        assert r.status_code == 422 and r.json()["code"] == "invalid_amount", amount
    assert api.balance(alice) == 0
    assert count_rows(app, FundingOperation) == 0


def test_a_declined_top_up_moves_nothing_and_its_retry_gets_the_same_refusal(api, app):
    alice = api.register("alice")
    card = api.link_card(alice, DECLINING_CARD)
    idem = key()
    r = api.top_up(alice, 5_000, card=card, idem=idem)
    assert r.status_code == 402, r.text
    assert r.json()["code"] == "bank_declined"
    assert api.balance(alice) == 0

    again = api.top_up(alice, 5_000, card=card, idem=idem)
    assert again.status_code == 402 and again.json()["code"] == "bank_declined"
    assert api.balance(alice) == 0
    assert count_rows(app, Transfer) == 0
    [op] = operations(app, alice.id, "top_up")
    assert (op.status, op.transfer_id) == ("declined", None)
    assert count_rows(app, SandboxBankOperation) == 1  # the stored refusal was replayed; the bank was asked once
    assert_books_balance(app)


def test_a_silent_bank_gives_504_with_retry_after_and_moves_nothing(api, app):
    alice = api.register("alice")
    card = api.link_card(alice, SILENT_CARD)
    idem = key()
    r = api.top_up(alice, 5_000, card=card, idem=idem)
    assert r.status_code == 504
    assert r.json()["code"] == "bank_timeout"
    assert int(r.headers["Retry-After"]) > 0
    assert api.balance(alice) == 0
    [op] = operations(app, alice.id, "top_up")
    assert op.status == "unknown"

    again = api.top_up(alice, 5_000, card=card, idem=idem)
    assert again.status_code == 504 and again.json()["code"] == "bank_timeout"
    assert api.balance(alice) == 0
    assert [o.status for o in operations(app, alice.id, "top_up")] == ["unknown"]
    assert count_rows(app, Transfer) == 0
    assert count_rows(app, SandboxBankOperation) == 0  # nothing happened at the bank either
    assert_books_balance(app)


def test_a_lost_bank_answer_is_settled_exactly_once_by_retrying_with_the_same_key(api, app):
    alice = api.register("alice")
    card = api.link_card(alice, LOST_ANSWER_CARD)
    idem = key()
    r = api.top_up(alice, 7_000, card=card, idem=idem)
    assert r.status_code == 504 and r.json()["code"] == "bank_timeout"
    assert api.balance(alice) == 0
    assert [o.status for o in operations(app, alice.id, "top_up")] == ["unknown"]
    assert count_rows(app, SandboxBankOperation) == 1  # the bank did take the money
    assert_books_balance(app)

    second = api.top_up(alice, 7_000, card=card, idem=idem)
    assert second.status_code == 201, second.text
    assert second.json()["status"] == "completed" and second.json()["balance_fen"] == 7_000
    assert api.balance(alice) == 7_000

    third = api.top_up(alice, 7_000, card=card, idem=idem)
    assert third.status_code == 201
    assert third.json() == second.json()
    assert api.balance(alice) == 7_000
    assert count_rows(app, Transfer, Transfer.kind == "top_up") == 1
    assert count_rows(app, SandboxBankOperation) == 1
    assert account_balance(app, CLEARING) == -7_000
    assert len(operations(app, alice.id, "top_up")) == 1
    assert_books_balance(app)


def test_removing_the_card_does_not_strand_a_top_up_the_bank_already_made(api, app):
    alice = api.register("alice")
    card = api.link_card(alice, LOST_ANSWER_CARD)
    idem = key()
    assert api.top_up(alice, 7_000, card=card, idem=idem).status_code == 504
    assert api.c.delete(f"/v1/bank-cards/{card}", headers=alice.headers).status_code == 204

    r = api.top_up(alice, 7_000, card=card, idem=idem)  # the retry still settles what the bank did
    assert r.status_code == 201, r.text
    assert api.balance(alice) == 7_000
    assert api.top_up(alice, 100, card=card).status_code == 404  # but a new top-up needs a linked card
    assert_books_balance(app)


def test_reusing_a_top_up_key_for_another_amount_is_refused(api, app):
    alice = api.register("alice")
    card = api.link_card(alice)
    idem = key()
    assert api.top_up(alice, 1_000, card=card, idem=idem).status_code == 201
    r = api.top_up(alice, 2_000, card=card, idem=idem)
    assert r.status_code == 409 and r.json()["code"] == "idempotency_key_reused"
    assert api.balance(alice) == 1_000
    assert count_rows(app, Transfer) == 1
    assert_books_balance(app)


# ---- withdrawals -------------------------------------------------------------------------------

def test_an_approved_withdrawal_moves_money_from_wallet_through_in_flight_to_the_bank(api, app):
    alice = api.funded("alice", 10_000)
    card = api.link_card(alice)
    ids = account_ids(app, alice.id)
    r = api.withdraw(alice, 3_000, card=card)
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["kind"], body["amount_fen"], body["status"], body["balance_fen"]) == \
        ("withdrawal", 3_000, "completed", 7_000)
    assert api.balance(alice) == 7_000
    assert account_balance(app, IN_FLIGHT) == 0
    assert account_balance(app, CLEARING) == -7_000

    [op] = operations(app, alice.id, "withdrawal")
    assert op.transfer_id == body["transfer_id"]
    assert legs(app, op.transfer_id) == {ids["wallet"]: -3_000, ids["in_flight"]: 3_000}
    assert legs(app, op.settle_transfer_id) == {ids["in_flight"]: -3_000, ids["clearing"]: 3_000}

    item = api.history(alice)["items"][0]
    assert (item["kind"], item["amount_fen"], item["balance_after_fen"]) == ("withdrawal_hold", -3_000, 7_000)
    assert item["counterparty"] == f"{BANK} ••0001"
    assert any(n["message_key"] == "notice.withdrawal" and n["params"] == {"amount_fen": 3_000}
               for n in api.notifications(alice))
    assert_books_balance(app)


def test_a_declined_withdrawal_returns_the_held_money_to_the_wallet(api, app):
    alice = api.funded("alice", 10_000)
    card = api.link_card(alice, DECLINING_CARD)
    idem = key()
    r = api.withdraw(alice, 3_000, card=card, idem=idem)
    assert r.status_code == 402 and r.json()["code"] == "bank_declined"
    assert api.balance(alice) == 10_000
    assert account_balance(app, IN_FLIGHT) == 0
    assert account_balance(app, CLEARING) == -10_000
    assert [(i["kind"], i["amount_fen"]) for i in api.history(alice)["items"]] == \
        [("withdrawal_declined", 3_000), ("withdrawal_hold", -3_000), ("top_up", 10_000)]

    again = api.withdraw(alice, 3_000, card=card, idem=idem)
    assert again.status_code == 402
    assert api.balance(alice) == 10_000
    assert count_rows(app, Transfer, Transfer.kind == "withdrawal_hold") == 1
    assert [o.status for o in operations(app, alice.id, "withdrawal")] == ["declined"]
    assert_books_balance(app)


def test_a_withdrawal_larger_than_the_balance_writes_nothing(api, app):
    alice = api.funded("alice", 1_000)
    card = api.link_card(alice)
    transfers_before = count_rows(app, Transfer)
    r = api.withdraw(alice, 5_000, card=card)
    assert r.status_code == 409 and r.json()["code"] == "insufficient_funds"
    assert api.balance(alice) == 1_000
    assert operations(app, alice.id, "withdrawal") == []
    assert count_rows(app, Transfer) == transfers_before
    assert count_rows(app, SandboxBankOperation, SandboxBankOperation.kind == "credit") == 0
    assert account_balance(app, IN_FLIGHT) == 0
    assert_books_balance(app)


def test_a_withdrawal_whose_answer_was_lost_settles_once_on_retry(api, app):
    alice = api.funded("alice", 10_000)
    card = api.link_card(alice, LOST_ANSWER_CARD)
    idem = key()
    r = api.withdraw(alice, 4_000, card=card, idem=idem)
    assert r.status_code == 504 and r.json()["code"] == "bank_timeout"
    assert api.balance(alice) == 6_000            # held, not gone
    assert account_balance(app, IN_FLIGHT) == 4_000
    assert [o.status for o in operations(app, alice.id, "withdrawal")] == ["unknown"]
    assert_books_balance(app)

    second = api.withdraw(alice, 4_000, card=card, idem=idem)
    assert second.status_code == 201, second.text
    assert (second.json()["status"], second.json()["balance_fen"]) == ("completed", 6_000)
    third = api.withdraw(alice, 4_000, card=card, idem=idem)
    assert third.status_code == 201 and third.json() == second.json()

    assert api.balance(alice) == 6_000
    assert account_balance(app, IN_FLIGHT) == 0
    assert account_balance(app, CLEARING) == -6_000
    assert count_rows(app, Transfer, Transfer.kind == "withdrawal_hold") == 1
    assert count_rows(app, Transfer, Transfer.kind == "withdrawal_approved") == 1
    assert count_rows(app, SandboxBankOperation, SandboxBankOperation.kind == "credit") == 1
    assert_books_balance(app)


def test_a_withdrawal_to_a_silent_bank_stays_held_in_flight_and_visible(api, app):
    """The bank never answered, so nobody knows yet whether it paid out. The money is not lost:
    it sits in the in-flight account, the user's history shows the hold, and the operation is
    'unknown' until a retry with the same key gets an answer."""
    alice = api.funded("alice", 10_000)
    card = api.link_card(alice, SILENT_CARD)
    idem = key()
    for _ in range(2):
        r = api.withdraw(alice, 4_000, card=card, idem=idem)
        assert r.status_code == 504 and r.json()["code"] == "bank_timeout"
        assert "Retry-After" in r.headers

    assert api.balance(alice) == 6_000
    assert account_balance(app, IN_FLIGHT) == 4_000     # one hold, not one per attempt
    assert account_balance(app, CLEARING) == -10_000
    [op] = operations(app, alice.id, "withdrawal")
    assert (op.status, op.settle_transfer_id) == ("unknown", None)
    hold = api.history(alice)["items"][0]
    assert (hold["kind"], hold["amount_fen"], hold["transfer_id"]) == ("withdrawal_hold", -4_000, op.transfer_id)
    assert hold["counterparty"] == f"{BANK} ••0003"
    assert_books_balance(app)


def test_removing_the_card_does_not_strand_a_withdrawal_hold(api, app):
    alice = api.funded("alice", 10_000)
    card = api.link_card(alice, LOST_ANSWER_CARD)
    idem = key()
    assert api.withdraw(alice, 4_000, card=card, idem=idem).status_code == 504
    assert api.c.delete(f"/v1/bank-cards/{card}", headers=alice.headers).status_code == 204

    r = api.withdraw(alice, 4_000, card=card, idem=idem)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "completed"
    assert api.balance(alice) == 6_000
    assert account_balance(app, IN_FLIGHT) == 0
    assert_books_balance(app)
