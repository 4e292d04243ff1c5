"""Benchmark 5 (issue 9): how the figures move as accounts grow 10^3 -> 10^6 and as the journal grows.

**Accounts.** One database per size (SQLite: a file each; PostgreSQL: a schema each), every one
migrated the same way and filled with one bulk INSERT ... SELECT (not through the API: a million
sign-ups would take hours here). Every account is a real ledger account (genesis chain head, zero
balance, allowed to go negative so no funding transfer is needed). Then ROUNDS rounds, each visiting
every size (ascending in even rounds, descending in odd ones, so neither end always runs first or on
a warmer machine), and at each visit, after the same short warm-up on that database's own engine:

  - ledger payments/s: `post_transfer` between two random accounts, one transaction each;
  - balance reads/s: the wallet lookup by account code and its balance, as the API does them.

Each is reported per size as the median of the rounds with its spread, and as a ratio to the
smallest size taken within each round (median and spread of those ratios); the bound is
logarithmic: ratio >= log(smallest) / log(size) (a B-tree gets one level deeper). Beside the wall
clock, this process's CPU time per operation and its ratio: on SQLite that is nearly all of the
work (the database runs in the process), and it barely moves with the machine's load, which the
wall clock does by 2-4x here. At the largest size the query plans of the ledger's statements are
recorded (is any a scan?).

**Journal.** A separate database with a small, fixed number of accounts (JOURNAL_ACCOUNTS), so that
the journal's length and not the number of account chains is what grows. Real transfers through
`post_transfer` (a batch of them per transaction; a tenth from one hot account) grow it to each
length in JOURNAL_POSTINGS; at each: `anxin audit verify` (admin.audit_verify, what the command runs;
VERIFY_RUNS times, median; wall and CPU) as seconds per million postings and per million transfers,
net of its fixed cost (verify with the same accounts and no journal), the ratio of that per-entry
time to the shortest length's (linear => about 1), payments/s and the hot account's newest history page.

    .venv/bin/python -m pytest tests/bench/bench_scaling.py -s -q -o python_files="bench_*.py"
    ANXIN_BENCH_SCALE=0.02 ...     # a small size (CI)
"""

from __future__ import annotations

import math
import os
import random
import shutil
import statistics
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from tests.bench.harness import emit, machine, spread
from wallet_api import admin
from wallet_api.config import Settings
from wallet_api.db import make_engine, make_session_factory, transaction
from wallet_api.ledger import Leg, post_transfer
from wallet_api.ledger.models import GENESIS_HASH
from wallet_api.ledger.verify import LedgerReport
from wallet_api.migrate import upgrade
from wallet_api.payments.service import history, wallet_balance
from wallet_api.types import utcnow

SCALE = float(os.environ.get("ANXIN_BENCH_SCALE", "1"))
SIZES = [10**3, 10**4, 10**5, 10**6] if SCALE >= 1 else [10**3, 10**4, 10**5] if SCALE >= 0.1 else [10**2, 10**3]
ROUNDS = 3
OPERATIONS = max(30, int(200 * SCALE))  # payments per visit; balance reads: twice as many
JOURNAL_ACCOUNTS = 10**3
JOURNAL_POSTINGS = [max(1_000, int(10_000 * SCALE)), max(4_000, int(100_000 * SCALE))]
VERIFY_RUNS = 3
BATCH = 500  # transfers per transaction while the journal grows
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
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE accounts")  # autovacuum would do it at a random moment later


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
    """Real transfers through the ledger, BATCH to a transaction so the journal grows quickly; a tenth of
    them are paid from the hot account ids[0] (whose history page is then measured)."""
    rng = random.Random(seed)
    done = 0
    while done < transfers:
        with transaction(db) as s:
            for _ in range(min(BATCH, transfers - done)):
                a, b = (ids[i] for i in rng.sample(range(1, len(ids)), 2))
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


class SizedDatabases:
    """A freshly migrated database per size: a copy of the (migrated, empty) test file on SQLite, a schema
    of its own on PostgreSQL. Dropped at the end."""

    def __init__(self, settings: Settings, backend: str, workdir: Path) -> None:
        self.settings, self.backend, self.workdir = settings, backend, workdir
        self.template = workdir / "template.sqlite3"
        self.schemas: list[str] = []
        if backend == "sqlite":
            shutil.copy(sa.make_url(settings.sqlalchemy_url).database, self.template)

    def url(self, size: int) -> str:
        if self.backend == "sqlite":
            path = self.workdir / f"accounts_{size}.sqlite3"
            shutil.copy(self.template, path)
            return f"sqlite:///{path}"
        schema = f"anxin_bench_{size}_{uuid.uuid4().hex[:8]}"
        admin_engine = make_engine(self.settings.sqlalchemy_url, pool_size=1)
        with admin_engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        admin_engine.dispose()
        self.schemas.append(schema)
        url = sa.make_url(self.settings.sqlalchemy_url).update_query_dict({"options": f"-csearch_path={schema}"})
        url = url.render_as_string(hide_password=False)
        engine = make_engine(url, pool_size=2)
        upgrade(engine)
        engine.dispose()
        return url

    def drop(self) -> None:
        if not self.schemas:
            return
        admin_engine = make_engine(self.settings.sqlalchemy_url, pool_size=1)
        with admin_engine.begin() as conn:
            for schema in self.schemas:
                conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin_engine.dispose()


def query_plans(engine: sa.Engine, ids: list[int]) -> dict:
    """The plan of each statement a payment and a balance read run, at this size: is any a full scan?"""
    a, b = ids[len(ids) // 3], ids[2 * len(ids) // 3]
    code = f"wallet:{FIRST_USER + len(ids) // 2}"
    if engine.dialect.name == "sqlite":
        explain, p = "EXPLAIN QUERY PLAN ", "?"
        lock = f"SELECT id, balance FROM accounts WHERE id IN ({p}, {p}) ORDER BY id"
        lock_params: tuple = (a, b)
    else:
        explain, p = "EXPLAIN ", "%s"
        lock = f"SELECT id, balance FROM accounts WHERE id = ANY({p}) ORDER BY id FOR UPDATE"
        lock_params = ([a, b],)
    statements = {
        "lock accounts": (lock, lock_params),
        "update account": (f"UPDATE accounts SET balance = balance WHERE id = {p}", (a,)),
        "balance by code": (f"SELECT balance FROM accounts WHERE code = {p}", (code,)),
        "history page": (f"SELECT id FROM postings WHERE account_id = {p} ORDER BY id DESC LIMIT 51", (a,)),
    }
    plans = {}
    with engine.connect() as conn:
        for name, (sql, params) in statements.items():
            rows = conn.exec_driver_sql(explain + sql, params).all()
            plans[name] = [str(r[-1]) for r in rows]
        conn.rollback()
    scans = sorted(name for name, lines in plans.items()
                   if any(line.startswith("SCAN") or "Seq Scan" in line for line in lines))
    return {"statements": plans, "full_scans": scans}


def account_sizes(settings: Settings, backend: str, workdir: Path) -> dict:
    dbs = SizedDatabases(settings, backend, workdir)
    engines, factories, ids, loads = {}, {}, {}, {}
    try:
        for size in SIZES:
            engines[size] = make_engine(dbs.url(size))
            factories[size] = make_session_factory(engines[size])
            started = time.perf_counter()
            grow_accounts(engines[size], 0, size)
            loads[size] = time.perf_counter() - started
            ids[size] = _account_ids(engines[size])
        pay, read = {size: [] for size in SIZES}, {size: [] for size in SIZES}
        pay_cpu, read_cpu = {size: [] for size in SIZES}, {size: [] for size in SIZES}
        load_avg = []
        for r in range(ROUNDS):
            for size in SIZES if r % 2 == 0 else reversed(SIZES):
                payments_per_s(factories[size], ids[size], max(10, OPERATIONS // 5), r)  # the same warm-up
                reads_per_s(factories[size], size, max(10, OPERATIONS // 5), r)
                cpu = time.process_time()
                pay[size].append(payments_per_s(factories[size], ids[size], OPERATIONS, 1000 + r))
                pay_cpu[size].append((time.process_time() - cpu) / OPERATIONS * 1e3)
                cpu = time.process_time()
                read[size].append(reads_per_s(factories[size], size, OPERATIONS * 2, 1000 + r))
                read_cpu[size].append((time.process_time() - cpu) / (OPERATIONS * 2) * 1e3)
                load_avg.append(os.getloadavg()[0])
        plans = query_plans(engines[SIZES[-1]], ids[SIZES[-1]])
    finally:
        for engine in engines.values():
            engine.dispose()
        dbs.drop()
    smallest = SIZES[0]
    rows = []
    for size in SIZES:
        row = {"accounts": size, "bulk_load_s": round(loads[size], 1), "payments_per_s": spread(pay[size]),
               "balance_reads_per_s": spread(read[size]),
               "payments_per_s_ratio": spread([a / b for a, b in zip(pay[size], pay[smallest], strict=True)], 3),
               "balance_reads_per_s_ratio": spread([a / b for a, b in zip(read[size], read[smallest], strict=True)], 3),
               # This process's CPU per operation: on SQLite nearly all of the work (the database runs in it),
               # on PostgreSQL only the client's side. Far steadier than wall time on a shared machine.
               "payments_cpu_ms": spread(pay_cpu[size], 3), "balance_reads_cpu_ms": spread(read_cpu[size], 3),
               "payments_cpu_ratio": spread([b / a for a, b in zip(pay_cpu[size], pay_cpu[smallest], strict=True)], 3),
               "balance_reads_cpu_ratio": spread([b / a for a, b in zip(read_cpu[size], read_cpu[smallest],
                                                                           strict=True)], 3),
               "log_bound": _bound(smallest, size)}
        row["within_log_bound"] = all(row[f"{f}_ratio"]["median"] >= row["log_bound"]
                                      for f in ("payments_per_s", "balance_reads_per_s"))
        row["within_log_bound_cpu"] = all(row[f"{f}_cpu_ratio"]["median"] >= row["log_bound"]
                                          for f in ("payments", "balance_reads"))
        rows.append(row)
    return {"rows": rows, "query_plans_at_largest": plans,
            "load_average": {"min": min(load_avg), "max": max(load_avg)}}


def verify_seconds(settings: Settings, runs: int = VERIFY_RUNS) -> tuple[list[float], list[float], LedgerReport]:
    """`anxin audit verify` `runs` times (what the command runs, engine and key loading included): wall seconds
    and this process's CPU seconds of each run."""
    times, cpus = [], []
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        audit = admin.audit_verify(settings)
        times.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
        assert audit.report.ok, audit.report.findings[:3]
    return times, cpus, audit.report.ledger


def journal_lengths(settings: Settings) -> dict:
    engine = make_engine(settings.sqlalchemy_url)
    db = make_session_factory(engine)
    grow_accounts(engine, 0, JOURNAL_ACCOUNTS)
    ids = _account_ids(engine)
    rows, made = [], 0
    grow_s = 0.0
    admin.audit_checkpoint(settings)  # makes the journal key; there is nothing to cover yet
    # What verify costs with the same accounts and no journal (engine, key, invariants, the account rows):
    # subtracted below so that the per-entry figures are the journal's own.
    verify_seconds(settings, 1)  # not counted: the process's first audit imports and compiles what it needs
    fixed_times, fixed_cpus, _ = verify_seconds(settings, 5)
    fixed_s, fixed_cpu = statistics.median(fixed_times), statistics.median(fixed_cpus)
    try:
        for postings in JOURNAL_POSTINGS:
            transfers = postings // 2  # every bench transfer has two legs
            started = time.perf_counter()
            grow_journal(db, ids, transfers - made, seed=transfers)
            grow_s += time.perf_counter() - started
            made = transfers
            admin.audit_checkpoint(settings)
            times, cpus, counted = verify_seconds(settings)
            journal_s, journal_cpu = statistics.median(times) - fixed_s, statistics.median(cpus) - fixed_cpu
            rows.append({"transfers": counted.transfers, "postings": counted.postings, "accounts": counted.accounts,
                         "load_average": os.getloadavg()[0], "audit_verify_s": spread(times, 3),
                         "audit_verify_s_per_million_postings": round(journal_s / counted.postings * 1e6, 1),
                         "audit_verify_s_per_million_transfers": round(journal_s / counted.transfers * 1e6, 1),
                         "audit_verify_cpu_s": spread(cpus, 3),
                         "audit_verify_cpu_s_per_million_postings": round(journal_cpu / counted.postings * 1e6, 1),
                         "payments_per_s": round(payments_per_s(db, ids, OPERATIONS, transfers), 1),
                         "hot_history_pages_per_s": round(history_per_s(db, OPERATIONS), 1)})
    finally:
        engine.dispose()
    first, last = rows[0], rows[-1]
    for row in rows:
        for ratio, figure in (("audit_verify_per_entry_ratio", "audit_verify_s_per_million_postings"),
                              ("audit_verify_per_entry_cpu_ratio", "audit_verify_cpu_s_per_million_postings")):
            per_entry = first[figure]  # not above zero only at CI's tiny sizes, in noise
            row[ratio] = round(row[figure] / per_entry, 3) if per_entry > 0 else 0.0
        for figure in ("payments_per_s", "hot_history_pages_per_s"):
            row[f"{figure}_ratio"] = round(row[figure] / first[figure], 3)
        row["log_bound"] = _bound(first["transfers"], row["transfers"])
    marginal = ((last["audit_verify_s"]["median"] - first["audit_verify_s"]["median"])
                / (last["postings"] - first["postings"]) * 1e6)
    return {"rows": rows, "grow_transfers_per_s": round((made / grow_s) if grow_s else 0, 1),
            "audit_verify_fixed_s": round(fixed_s, 3), "audit_verify_fixed_cpu_s": round(fixed_cpu, 3),
            "audit_verify_marginal_s_per_million_postings": round(marginal, 1)}


def test_figures_as_accounts_and_journal_grow(settings, backend, tmp_path):
    started = time.perf_counter()
    sizes = account_sizes(settings, backend, tmp_path)
    accounts_s = time.perf_counter() - started
    journal = journal_lengths(settings)
    rows = sizes["rows"]
    result = {"benchmark": f"scaling_{backend}", "backend": backend, "operations_per_visit": OPERATIONS,
              "rounds": ROUNDS, "accounts": rows, "query_plans_at_largest": sizes["query_plans_at_largest"],
              "accounts_load_average": sizes["load_average"],
              "journal_accounts": JOURNAL_ACCOUNTS, "journal": journal["rows"],
              "journal_grow_transfers_per_s": journal["grow_transfers_per_s"],
              "audit_verify_fixed_s": journal["audit_verify_fixed_s"],
              "audit_verify_fixed_cpu_s": journal["audit_verify_fixed_cpu_s"],
              "audit_verify_marginal_s_per_million_postings": journal["audit_verify_marginal_s_per_million_postings"],
              "audit_verify_per_entry_ratio": journal["rows"][-1]["audit_verify_per_entry_ratio"],
              "audit_verify_per_entry_cpu_ratio": journal["rows"][-1]["audit_verify_per_entry_cpu_ratio"],
              "ratio": {"worst": min(min(r["payments_per_s_ratio"]["median"], r["balance_reads_per_s_ratio"]["median"])
                                     for r in rows)},
              "target": "every ratio >= log(smallest)/log(size)",
              "meets_target": all(r["within_log_bound"] for r in rows) and all(
                  r["payments_per_s_ratio"] >= r["log_bound"] and r["hot_history_pages_per_s_ratio"] >= r["log_bound"]
                  for r in journal["rows"]),
              "phase_seconds": {"accounts": round(accounts_s, 1),
                                "journal": round(time.perf_counter() - started - accounts_s, 1)},
              "load_average": os.getloadavg()[0], "machine": machine()}
    emit(result)
    assert all(r["payments_per_s"]["median"] > 0 for r in rows)
