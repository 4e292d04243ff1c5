"""Benchmark 5 (issue 9): how the figures move as accounts grow 10^3 -> 10^6 and the journal grows.

Accounts are added with one bulk INSERT ... SELECT (not through the API: a million sign-ups would
take hours here); every one is a real ledger account (genesis chain head, zero balance, allowed to
go negative so no funding transfer is needed). At each size the same in-process figures are taken:

  - ledger payments/s: `post_transfer` between two random accounts, one transaction each;
  - balance reads/s: the wallet lookup by account code and its balance, as the API does them.

Each is reported as a ratio to the same figure at the smallest size, measured earlier in the same
run; the bound is logarithmic: ratio >= log(smallest) / log(size) (a B-tree gets one level deeper).
Then the journal grows (transfers between random accounts, a tenth of them touching one hot account)
and at each length: payments/s, the hot account's newest history page, and `anxin audit verify`
(admin.audit_verify, what the command runs) — reported as seconds per million postings.

    .venv/bin/python -m pytest tests/bench/bench_scaling.py -s -q -o python_files="bench_*.py"
    ANXIN_BENCH_SCALE=0.01 ...     # a small size (CI)
"""

from __future__ import annotations

import math
import os
import random
import time

import sqlalchemy as sa

from tests.bench.harness import emit, machine
from wallet_api import admin
from wallet_api.db import make_engine, make_session_factory, transaction
from wallet_api.ledger import Leg, post_transfer
from wallet_api.ledger.models import GENESIS_HASH
from wallet_api.payments.service import history, wallet_balance
from wallet_api.types import utcnow

SCALE = float(os.environ.get("ANXIN_BENCH_SCALE", "1"))
SIZES = [10**3, 10**4, 10**5, 10**6] if SCALE >= 1 else [10**3, 10**4, 10**5] if SCALE >= 0.1 else [10**2, 10**3]
OPERATIONS = max(30, int(300 * SCALE))
JOURNAL = [max(200, int(10_000 * SCALE)), max(1_000, int(50_000 * SCALE))]
FIRST_USER = 10**9  # bench accounts are coded wallet:<FIRST_USER + i>, like a user's wallet, with no user row
HOT = FIRST_USER


def grow_accounts(engine: sa.Engine, have: int, want: int) -> None:
    """Accounts have..want-1 in one statement, as an operator's bulk load would."""
    columns = "code, kind, currency, allow_negative, balance, head_seq, head_hash, created_at"
    now = utcnow().replace(tzinfo=None)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql(
                f"WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                f"INSERT INTO accounts ({columns}) SELECT 'wallet:' || (? + i), 'wallet', 'CNY', 1, 0, 0, ?, ? FROM n",
                (have, want - 1, FIRST_USER, GENESIS_HASH, now))
        else:
            conn.exec_driver_sql(
                f"INSERT INTO accounts ({columns}) SELECT 'wallet:' || (%s + i), 'wallet', 'CNY', true, 0, 0, %s, %s "
                "FROM generate_series(%s::bigint, %s::bigint) AS i", (FIRST_USER, GENESIS_HASH, now, have, want - 1))
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE accounts")


def _account_ids(engine: sa.Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.scalars(sa.text("SELECT id FROM accounts WHERE kind = 'wallet' AND owner_user_id IS NULL "
                                         "ORDER BY id")))


def payments_per_s(db, ids: list[int], n: int, seed: int) -> float:
    rng = random.Random(seed)
    started = time.perf_counter()
    for _ in range(n):
        a, b = rng.sample(ids, 2)
        amount = rng.randint(1, 5000)
        with transaction(db) as s:
            post_transfer(s, kind="payment", legs=[Leg(a, -amount), Leg(b, amount)], memo="bench",
                          details={"from": "a", "to": "b"})
    return n / (time.perf_counter() - started)


def reads_per_s(db, size: int, n: int, seed: int) -> float:
    rng = random.Random(seed)
    started = time.perf_counter()
    for _ in range(n):
        with transaction(db) as s:
            assert wallet_balance(s, FIRST_USER + rng.randrange(size)) is not None
    return n / (time.perf_counter() - started)


def grow_journal(db, ids: list[int], transfers: int, seed: int) -> None:
    """Real transfers through the ledger, 500 to a transaction so the journal grows quickly; a tenth of
    them are paid from the hot account ids[0] (whose history page is then measured)."""
    rng = random.Random(seed)
    done = 0
    while done < transfers:
        with transaction(db) as s:
            for _ in range(min(500, transfers - done)):
                a, b = (ids[i] for i in rng.sample(range(1, len(ids)), 2))  # no copy of a million ids
                if rng.random() < 0.1:
                    a = ids[0]
                amount = rng.randint(1, 5000)
                post_transfer(s, kind="payment", legs=[Leg(a, -amount), Leg(b, amount)], memo="bench",
                              details={"from": "a", "to": "b"})
                done += 1


def history_per_s(db, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        with transaction(db) as s:
            assert history(s, HOT, limit=50).items
    return n / (time.perf_counter() - started)


def _bound(smallest: int, size: int) -> float:
    return round(math.log(smallest) / math.log(size), 3)


def test_figures_as_accounts_and_journal_grow(settings, backend):
    engine = make_engine(settings.sqlalchemy_url)
    db = make_session_factory(engine)
    rows, have = [], 0
    grow_accounts(engine, 0, 2)
    payments_per_s(db, _account_ids(engine), OPERATIONS // 3, 0)  # warm up (connections, statement caches)
    have = 2
    for size in SIZES:
        started = time.perf_counter()
        grow_accounts(engine, have, size)
        load_s = time.perf_counter() - started
        have = size
        ids = _account_ids(engine)
        rows.append({"accounts": size, "bulk_load_s": round(load_s, 1), "load_average": os.getloadavg()[0],
                     "payments_per_s": round(payments_per_s(db, ids, OPERATIONS, size), 1),
                     "balance_reads_per_s": round(reads_per_s(db, size, OPERATIONS * 3, size), 1)})
    for row in rows:
        for figure in ("payments_per_s", "balance_reads_per_s"):
            row[f"{figure}_ratio"] = round(row[figure] / rows[0][figure], 3)
        row["log_bound"] = _bound(SIZES[0], row["accounts"])
        row["within_log_bound"] = all(row[f"{f}_ratio"] >= row["log_bound"]
                                      for f in ("payments_per_s", "balance_reads_per_s"))

    journal, made = [], 0
    for length in JOURNAL:
        grow_journal(db, ids, length - made, seed=length)
        made = length
        admin.audit_checkpoint(settings)
        started = time.perf_counter()
        audit = admin.audit_verify(settings)
        verify_s = time.perf_counter() - started
        assert audit.report.ok, audit.report.findings[:3]
        postings = audit.report.ledger.postings
        journal.append({"transfers": length, "postings": postings, "load_average": os.getloadavg()[0],
                        "payments_per_s": round(payments_per_s(db, ids, OPERATIONS, length), 1),
                        "hot_history_pages_per_s": round(history_per_s(db, OPERATIONS), 1),
                        "audit_verify_s": round(verify_s, 2),
                        "audit_verify_s_per_million_postings": round(verify_s / postings * 1e6, 1)})
    first, last = journal[0], journal[-1]
    marginal = (last["audit_verify_s"] - first["audit_verify_s"]) / (last["postings"] - first["postings"]) * 1e6
    for row in journal:
        for figure in ("payments_per_s", "hot_history_pages_per_s"):
            row[f"{figure}_ratio"] = round(row[figure] / first[figure], 3)
        row["log_bound"] = _bound(first["transfers"], row["transfers"])
    engine.dispose()
    result = {"benchmark": f"scaling_{backend}", "backend": backend, "operations_per_figure": OPERATIONS,
              "accounts": rows, "journal": journal,
              "audit_verify_marginal_s_per_million_postings": round(marginal, 1),
              "ratio": {"worst": min(min(r["payments_per_s_ratio"], r["balance_reads_per_s_ratio"]) for r in rows)},
              "target": "every ratio >= log(smallest)/log(size)",
              "meets_target": all(r["within_log_bound"] for r in rows) and all(
                  r["payments_per_s_ratio"] >= r["log_bound"] and r["hot_history_pages_per_s_ratio"] >= r["log_bound"]
                  for r in journal),
              "machine": machine()}
    emit(result)
    assert all(r["payments_per_s"] > 0 for r in rows)
