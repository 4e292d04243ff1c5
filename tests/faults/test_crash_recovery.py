"""kill -9 the real server (`anxin serve`) 20 times while clients pay and retry with their keys.

After the storm: every acknowledged payment is there exactly once, every retried payment was
eventually acknowledged, nothing is half there, and balances and the journal verify.
"""

from __future__ import annotations

import random
import threading
import time
import uuid

import httpx
from sqlalchemy import func, select

from tests.helpers import PASSWORD
from tests.live_server import AnxinServe
from wallet_api.db import make_engine, make_session_factory
from wallet_api.ledger import Account
from wallet_api.ledger.models import IdempotencyRecord, Transfer
from wallet_api.ledger.signing import load_or_create_signer
from wallet_api.ledger.verify import verify_ledger
from wallet_api.payments.models import Payment

KILLS = 20
CLIENTS = 4
PAYMENTS_PER_CLIENT = 25
PRICE = 150


class Server(AnxinServe):
    """`anxin serve` in a child process, restartable, with cheap argon2 and frequent checkpoints."""

    def __init__(self, settings) -> None:
        super().__init__(settings, env={"ANXIN_ARGON2_TIME_COST": "1", "ANXIN_ARGON2_MEMORY_KIB": "1024",
                                        "ANXIN_CHECKPOINT_INTERVAL_SECONDS": "0.5"})


def _login(base: str, username: str) -> dict:
    token = httpx.post(f"{base}/v1/auth/login", json={"username": username, "password": PASSWORD}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def _setup(base: str) -> tuple[dict, int]:
    for username, roles in (("payer", ["consumer"]), ("shopowner", ["merchant"])):
        assert httpx.post(f"{base}/v1/auth/register", json={"username": username, "password": PASSWORD,
                                                            "display_name": username, "roles": roles}).status_code == 201
    payer, owner = _login(base, "payer"), _login(base, "shopowner")
    shop = httpx.post(f"{base}/v1/merchants", headers=owner, json={"name": "Kiosk", "category": "dining",
                                                                    "region": "weihai", "city": "Weihai"}).json()
    card = httpx.post(f"{base}/v1/bank-cards", headers=payer,
                      json={"card_number": "6222020000000090001", "holder_name": "Payer"}).json()
    r = httpx.post(f"{base}/v1/wallet/top-ups", headers=payer | {"Idempotency-Key": "crash-topup-0001"},
                   json={"bank_card_id": card["id"], "amount_fen": 1_000_000})
    assert r.status_code == 201, r.text
    return payer, shop["id"]


def _pay_until_acknowledged(base: str, headers: dict, merchant_id: int, key: str, acks: dict, lock) -> None:
    while True:
        try:
            r = httpx.post(f"{base}/v1/payments/merchant", timeout=5, headers=headers | {"Idempotency-Key": key},
                           json={"merchant_id": merchant_id, "amount_fen": PRICE})
        except httpx.HTTPError:
            time.sleep(0.05)  # the server is down: retry with the SAME key
            continue
        if r.status_code >= 500:
            time.sleep(0.05)
            continue
        assert r.status_code == 201, r.text
        with lock:
            acks.setdefault(key, set()).add(r.json()["id"])
        return


def test_kill_9_during_payments_loses_nothing_and_doubles_nothing(settings):
    server = Server(settings)
    server.start()
    payer, merchant_id = _setup(server.base)
    keys = [[f"crash-{c}-{i}-{uuid.uuid4().hex[:8]}" for i in range(PAYMENTS_PER_CLIENT)] for c in range(CLIENTS)]
    acks: dict[str, set[int]] = {}
    lock = threading.Lock()

    def client(my_keys: list[str]) -> None:
        for key in my_keys:
            _pay_until_acknowledged(server.base, payer, merchant_id, key, acks, lock)
            # a repeat of an acknowledged request must replay, never pay again
            if random.random() < 0.2:
                _pay_until_acknowledged(server.base, payer, merchant_id, key, acks, lock)

    threads = [threading.Thread(target=client, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    rng = random.Random(3)
    kills = 0
    try:
        while kills < KILLS:
            time.sleep(rng.uniform(0.05, 0.4))
            server.kill()
            kills += 1
            server.start()
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads), "clients did not finish"
    finally:
        server.kill()

    expected = CLIENTS * PAYMENTS_PER_CLIENT
    assert len(acks) == expected
    assert all(len(ids) == 1 for ids in acks.values())  # retries of one key got one payment
    engine = make_engine(settings.sqlalchemy_url)
    with make_session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == expected
        assert s.scalar(select(func.count()).select_from(Transfer).where(Transfer.kind == "payment")) == expected
        assert s.scalar(select(func.count()).select_from(IdempotencyRecord)) == expected
        assert s.scalar(select(func.sum(Account.balance))) == 0
        payer_balance = s.scalar(select(Account.balance).where(Account.code.like("wallet:%"))
                                 .order_by(Account.id).limit(1))
        assert payer_balance == 1_000_000 - expected * PRICE
        report = verify_ledger(s, load_or_create_signer(settings.signing_key_file).public_key_hex)
    engine.dispose()
    assert report.ok, report.findings[:5]
    assert kills == KILLS
