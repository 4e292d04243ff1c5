"""How many SQL statements a merchant payment costs, pinned so it cannot silently regrow (BENCHMARKS.md,
"What limits each figure"). A count, not a time: each statement is a round-trip and ORM work in the one
process that serves payments. When a change needs one more, raise the number here and say why."""

from __future__ import annotations

from tests.helpers import PIN, StatementLog, key

# Sign-in with roles and the guardian flag (1); claim the key (1); the merchant (1); the payer's wallet id
# and balance (1); the payment row (1); both notices (1); the stored answer (1). The ledger's four
# statements on the driver cursor (lock, transfer, postings, balances) come on top and are not seen here.
PLAIN_MERCHANT_PAYMENT = 7


def _pay(api, app, payer, shop, amount: int, **kw):
    with StatementLog(app.state.engine) as log:
        r = api.pay(payer, shop["id"], amount, **kw)
    assert r.status_code == 201, r.text
    return r, log


def test_a_plain_merchant_payment_costs_seven_statements(api, app):
    alice = api.funded("alice", 10_000)
    _owner, shop = api.merchant()
    api.pay(alice, shop["id"], 100)  # anything done once per process (first use of a table) is behind us
    r, log = _pay(api, app, alice, shop, 1_250)
    assert len(log) == PLAIN_MERCHANT_PAYMENT, log.statements
    assert r.json()["amount_fen"] == 1_250 and r.json()["journal_hash"]


def test_a_replayed_payment_reads_its_stored_answer_and_writes_nothing(api, app):
    alice = api.funded("alice", 10_000)
    _owner, shop = api.merchant()
    idem = key()
    first, _ = _pay(api, app, alice, shop, 1_250, idem=idem)
    again, log = _pay(api, app, alice, shop, 1_250, idem=idem)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    # Sign-in, the claim that finds the key taken, the stored answer: no ledger, no payment, no notice.
    assert len(log) == 3, log.statements
    assert api.balance(alice) == 10_000 - 1_250


def test_a_payer_with_a_guardian_is_still_screened(api, app):
    """The guardianship lookup is skipped only for payers the sign-in check found without a guardian."""
    nainai = api.funded("nainai", 1_000_000)
    meili = api.register("meili")
    api.pay(nainai, api.merchant("corner", name="Corner Shop")[1]["id"], 100)  # paid without a guardian
    _owner, shop = api.merchant()
    r = api.c.post("/v1/guardian/invitations", json={"guardian_username": "meili"}, headers=nainai.headers)
    assert r.status_code == 201, r.text
    r = api.c.post(f"/v1/guardian/{r.json()['id']}/accept", headers=meili.headers)
    assert r.status_code == 200, r.text
    # A first payment to a shop above the new-payee threshold waits for the guardian (202), not a receipt.
    r = api.pay(nainai, shop["id"], 60_000, pin=PIN)
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "held"
