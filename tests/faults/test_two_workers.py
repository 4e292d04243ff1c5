"""`anxin serve` with two worker processes (its default on a 2-core machine, ANXIN_WORKERS): requests land on
either worker and nothing about money depends on which. Concurrent duplicates of one idempotency key pay
once; both workers run the periodic tasks (journal checkpoints, settling due delayed transfers) at the same
time, and each checkpoint and each transfer still happens once; a fresh data dir gets one journal key.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
import uuid

import httpx
from sqlalchemy import func, select

from tests.helpers import PASSWORD, PIN
from tests.live_server import AnxinServe
from wallet_api.config import Settings, usable_cores
from wallet_api.db import make_engine, make_session_factory
from wallet_api.guardian.models import PendingPayment
from wallet_api.ledger import Account
from wallet_api.ledger.models import JournalCheckpoint, Transfer
from wallet_api.ledger.signing import load_or_create_signer
from wallet_api.ledger.verify import verify_ledger
from wallet_api.payments.models import Payment

KEYS = 24
PRICE = 150
DELAYED = 4
YUAN = 100


def _login(base: str, username: str, *, roles: tuple[str, ...] = ("consumer",)) -> dict:
    r = httpx.post(f"{base}/v1/auth/register", json={"username": username, "password": PASSWORD,
                                                      "display_name": username.title(), "roles": list(roles)})
    assert r.status_code == 201, r.text
    token = httpx.post(f"{base}/v1/auth/login", json={"username": username, "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert httpx.put(f"{base}/v1/me/pin", json={"pin": PIN, "password": PASSWORD}, headers=headers).status_code == 204
    return headers


def _top_up(base: str, headers: dict, amount: int) -> None:
    card = httpx.post(f"{base}/v1/bank-cards", headers=headers,
                      json={"card_number": "6222020000000090001", "holder_name": "Holder"}).json()
    r = httpx.post(f"{base}/v1/wallet/top-ups", headers=headers | {"Idempotency-Key": uuid.uuid4().hex},
                   json={"bank_card_id": card["id"], "amount_fen": amount})
    assert r.status_code == 201, r.text


def test_two_workers_pay_once_per_key_and_run_the_periodic_tasks_safely(settings):
    server = AnxinServe(settings, env={
        "ANXIN_WORKERS": "2", "ANXIN_ARGON2_TIME_COST": "1", "ANXIN_ARGON2_MEMORY_KIB": "1024",
        # Both workers cut checkpoints and settle due transfers several times a second, racing each other.
        "ANXIN_CHECKPOINT_INTERVAL_SECONDS": "0.2", "ANXIN_GUARDIAN_SWEEP_SECONDS": "0.2",
        # Transfers to someone new are due at once (the sweep pays them), and many payments are not "rapid".
        "ANXIN_GUARDIAN_TRANSFER_DELAY_MINUTES": "0", "ANXIN_GUARDIAN_RAPID_COUNT": "1000"})
    server.start()
    try:
        assert len(server.workers()) == 2
        base = server.base
        payer, owner = _login(base, "payer"), _login(base, "shopowner", roles=("merchant",))
        _top_up(base, payer, 1_000_000)
        shop = httpx.post(f"{base}/v1/merchants", headers=owner, json={
            "name": "Kiosk", "category": "dining", "region": "weihai", "city": "Weihai"}).json()

        # Each key is sent by two clients at once, on separate connections (so, often, to different workers).
        answers: dict[str, list] = {}
        lock = threading.Lock()

        def pay(idem: str) -> None:
            with httpx.Client(base_url=base, timeout=30) as client:
                r = client.post("/v1/payments/merchant", headers=payer | {"Idempotency-Key": idem},
                                json={"merchant_id": shop["id"], "amount_fen": PRICE})
            with lock:
                answers.setdefault(idem, []).append((r.status_code, r.json().get("id")))

        keys = [uuid.uuid4().hex for _ in range(KEYS)]
        threads = [threading.Thread(target=pay, args=(k,)) for k in keys for _twice in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)

        # An elder whose guardian delays transfers to someone new: the workers' sweeps pay each one out.
        elder, guardian = _login(base, "elder"), _login(base, "guardian")
        for n in range(DELAYED):  # each one new to the elder (a settled transfer makes its payee known)
            _login(base, f"stranger{n}")
        _top_up(base, elder, 100_000)
        invitation = httpx.post(f"{base}/v1/guardian/invitations", headers=elder,
                                json={"guardian_username": "guardian"}).json()
        accepted = httpx.post(f"{base}/v1/guardian/{invitation['id']}/accept", headers=guardian)
        assert accepted.json()["status"] == "active", (invitation, accepted.text)
        for n in range(DELAYED):
            r = httpx.post(f"{base}/v1/payments/p2p", headers=elder | {"Idempotency-Key": uuid.uuid4().hex},
                           json={"to_username": f"stranger{n}", "amount_fen": 10 * YUAN})
            assert r.status_code == 202 and r.json()["status"] == "delayed", r.text
        deadline = time.monotonic() + 30
        engine = make_engine(settings.sqlalchemy_url)
        with make_session_factory(engine)() as s:
            while time.monotonic() < deadline and s.scalar(
                    select(func.count()).select_from(PendingPayment).where(PendingPayment.status == "settled")) < DELAYED:
                s.rollback()
                time.sleep(0.2)
        time.sleep(1)  # a few more rounds of both workers' periodic tasks
    finally:
        server.stop()

    assert all(len(a) == 2 and {status for status, _ in a} == {201} and a[0][1] == a[1][1]
               for a in answers.values()), answers
    assert len({a[0][1] for a in answers.values()}) == KEYS  # one payment per key, replayed to its duplicate
    with make_session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(Payment).where(Payment.kind == "merchant")) == KEYS
        settled = s.scalars(select(PendingPayment)).all()
        assert [p.status for p in settled] == ["settled"] * DELAYED
        assert len({p.payment_id for p in settled}) == DELAYED
        assert s.scalar(select(func.count()).select_from(Transfer).where(Transfer.kind == "p2p")) == DELAYED
        assert s.scalar(select(func.sum(Account.balance))) == 0
        # The checkpoints both workers cut form one chain (seq 1, 2, 3 ...); the verifier checks each covers
        # its transfers once and is signed with the one journal key.
        seqs = list(s.scalars(select(JournalCheckpoint.seq).order_by(JournalCheckpoint.seq)))
        assert seqs == list(range(1, len(seqs) + 1)) and seqs
        report = verify_ledger(s, load_or_create_signer(settings.signing_key_file).public_key_hex)
    engine.dispose()
    assert report.ok, [str(f) for f in report.findings[:5]]


def _signer_key(path: str, queue) -> None:
    from pathlib import Path
    queue.put(load_or_create_signer(Path(path)).public_key_hex)


def test_workers_starting_together_on_a_fresh_data_dir_share_one_journal_key(tmp_path):
    path = tmp_path / "journal-signing-key.pem"
    queue = multiprocessing.get_context("spawn").Queue()
    processes = [multiprocessing.get_context("spawn").Process(target=_signer_key, args=(str(path), queue))
                 for _ in range(6)]
    for p in processes:
        p.start()
    keys = {queue.get(timeout=60) for _ in processes}
    for p in processes:
        p.join(timeout=30)
    assert all(p.exitcode == 0 for p in processes)
    assert len(keys) == 1 and keys == {load_or_create_signer(path).public_key_hex}
    assert [f.name for f in tmp_path.iterdir()] == [path.name]  # no temporary file left behind


def test_the_default_worker_count_is_one_per_core_on_postgresql_and_one_on_sqlite(tmp_path):
    assert Settings(data_dir=tmp_path, database_url="").worker_count == 1  # one writer at a time anyway
    assert Settings(data_dir=tmp_path, database_url="postgresql://db/x").worker_count == usable_cores() >= 1
    assert Settings(data_dir=tmp_path, database_url="", workers=3).worker_count == 3  # ANXIN_WORKERS decides
