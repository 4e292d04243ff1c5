"""The database stops during load: requests fail fast with a 503 problem and Retry-After,
nothing is written half, and the server recovers by itself when the database returns."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.faults import private_postgres
from tests.faults.test_crash_recovery import Server, _setup
from wallet_api.config import Settings
from wallet_api.db import make_engine, make_session_factory
from wallet_api.ledger import Account
from wallet_api.ledger.signing import load_or_create_signer
from wallet_api.ledger.verify import verify_ledger
from wallet_api.migrate import upgrade
from wallet_api.payments.models import Payment


@pytest.fixture
def private_pg():
    if not private_postgres.available():
        pytest.skip("PostgreSQL server binaries (Debian postgresql-15) are not installed here")
    # Not under tmp_path: the postgres user must be able to reach it, and pytest's dirs are root-only.
    root = Path(tempfile.mkdtemp(prefix="anxin-pg-"))
    pg = private_postgres.PrivatePostgres(root)
    pg.start()
    yield pg
    pg.stop()
    shutil.rmtree(root, ignore_errors=True)


def test_database_outage_gives_fast_503s_and_the_server_recovers(private_pg, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", database_url=private_pg.url, secret_key="x" * 40,
                        checkpoint_interval_seconds=0)
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    server = Server(settings)
    server.start()
    try:
        payer, merchant_id = _setup(server.base)

        def pay(key: str) -> httpx.Response:
            return httpx.post(f"{server.base}/v1/payments/merchant", timeout=10, headers=payer | {"Idempotency-Key": key},
                              json={"merchant_id": merchant_id, "amount_fen": 100})

        assert pay("before-outage-1").status_code == 201
        private_pg.stop()
        started = time.monotonic()
        during = [pay(f"during-outage-{i}") for i in range(5)]
        elapsed = time.monotonic() - started
        for r in during:
            assert r.status_code == 503, r.text
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["code"] == "service_unavailable" and int(r.headers["Retry-After"]) > 0
        # "Fast" as a sanity bound, not a benchmark: five refusals well inside one request timeout.
        assert elapsed < 10

        private_pg.start()
        deadline, recovered = time.monotonic() + 20, None
        while time.monotonic() < deadline:
            recovered = pay("during-outage-0")  # the same key, retried: it was never written
            if recovered.status_code == 201:
                break
            time.sleep(0.2)
        assert recovered.status_code == 201, recovered.text
    finally:
        server.kill()

    with make_session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 2
        assert s.scalar(select(func.sum(Account.balance))) == 0
        assert verify_ledger(s, load_or_create_signer(settings.signing_key_file).public_key_hex).ok
    engine.dispose()
