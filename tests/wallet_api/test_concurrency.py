"""Many payments at once from one account, through the real server stack (uvicorn, threads,
row locks on PostgreSQL, BEGIN IMMEDIATE on SQLite): nothing overdraws, each key moves money once."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select

from tests.helpers import key
from tests.live_server import serve_in_thread
from wallet_api.ledger import Account
from wallet_api.ledger.models import Transfer
from wallet_api.ledger.verify import verify_ledger
from wallet_api.payments.models import Payment

PRICE = 100          # fen; below the PIN-free limit so no PIN is involved
AFFORDABLE = 73      # the payer's balance covers exactly this many
REQUESTS = 200


@pytest.fixture
def storefront(api):
    payer = api.funded("crowd", AFFORDABLE * PRICE)
    _owner, shop = api.merchant("canteen", name="Canteen", category="campus_canteen", local_name="食堂")
    return payer, shop


def _fire(base_url: str, headers: dict, merchant_id: int, keys: list[str]) -> list[httpx.Response]:
    def one(k: str) -> httpx.Response:
        with httpx.Client(base_url=base_url, timeout=60) as c:
            return c.post("/v1/payments/merchant", json={"merchant_id": merchant_id, "amount_fen": PRICE},
                          headers=headers | {"Idempotency-Key": k})

    with ThreadPoolExecutor(max_workers=32) as pool:
        return list(pool.map(one, keys))


def _ledger_state(app, payer_id: int):
    with app.state.db() as s:
        payer_balance = s.scalar(select(Account.balance).where(Account.code == f"wallet:{payer_id}"))
        total = s.scalar(select(func.sum(Account.balance)))
        payments = s.scalar(select(func.count()).select_from(Payment))
        transfers = s.scalar(select(func.count()).select_from(Transfer).where(Transfer.kind == "payment"))
        report = verify_ledger(s, app.state.signer.public_key_hex)
    return payer_balance, total, payments, transfers, report


def test_200_concurrent_payments_only_73_fit(app, storefront):
    payer, shop = storefront
    with serve_in_thread(app) as base:
        responses = _fire(base, payer.headers, shop["id"], [key() for _ in range(REQUESTS)])

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: AFFORDABLE, 409: REQUESTS - AFFORDABLE}, statuses
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"insufficient_funds"}
    balance, total, payments, transfers, report = _ledger_state(app, payer.id)
    assert balance == 0
    assert total == 0  # money neither created nor destroyed
    assert payments == transfers == AFFORDABLE
    assert report.ok, report.findings


def test_duplicated_keys_move_money_once_each(app, storefront):
    payer, shop = storefront
    keys = [key() for _ in range(REQUESTS // 2)]
    with serve_in_thread(app) as base:
        responses = _fire(base, payer.headers, shop["id"], keys + keys[::-1])

    by_key: dict[str, list[httpx.Response]] = {}
    for k, r in zip(keys + keys[::-1], responses, strict=True):
        by_key.setdefault(k, []).append(r)
    succeeded = 0
    for k, (first, second) in by_key.items():
        assert first.status_code == second.status_code, (k, first.text, second.text)
        if first.status_code == 201:
            succeeded += 1
            assert first.json()["id"] == second.json()["id"]  # one payment, answered twice
        else:
            assert first.json()["code"] == second.json()["code"] == "insufficient_funds"
    assert succeeded == AFFORDABLE
    balance, total, payments, transfers, report = _ledger_state(app, payer.id)
    assert (balance, total, payments, transfers) == (0, 0, AFFORDABLE, AFFORDABLE)
    assert report.ok, report.findings


def test_opposite_transfers_between_two_people_never_deadlock(api, app):
    """A pays B while B pays A, many times at once: locks are taken in account-id order."""
    a, b = api.funded("anna", 10_000), api.funded("bobo", 10_000)

    def send(args):
        sender, to = args
        with httpx.Client(base_url=base, timeout=60) as c:
            return c.post("/v1/payments/p2p", json={"to_username": to, "amount_fen": 10},
                          headers=sender.headers | {"Idempotency-Key": key()}).status_code

    with serve_in_thread(app) as base, ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(send, [(a, "bobo"), (b, "anna")] * 60))
    assert codes == [201] * 120
    assert api.balance(a) == api.balance(b) == 10_000
