"""Benchmark 1 (issue 9): balanced payments per second through the ledger API, against a floor
of the same SQL statements issued directly through the database driver, in the same run.

    make bench                      # all benchmarks
    .venv/bin/python -m pytest tests/bench/bench_ledger.py -s -q
    ANXIN_BENCH_SCALE=0.1 ...       # a small size (what CI runs so the benchmark cannot rot)
"""

from __future__ import annotations

import itertools
import json
import os
import random
import sqlite3
import uuid

import psycopg
import sqlalchemy as sa

from tests.bench.harness import compare
from wallet_api.db import make_engine, make_session_factory, transaction
from wallet_api.ledger import Leg, open_account, post_transfer
from wallet_api.ledger.accounts import AccountKind
from wallet_api.ledger.hashing import posting_hash, transfer_hash
from wallet_api.types import utcnow

SCALE = float(os.environ.get("ANXIN_BENCH_SCALE", "1"))
ACCOUNTS = 200
OPERATIONS = max(20, int(400 * SCALE))
REPEATS = max(2, int(5 * SCALE)) if SCALE < 1 else 5


def _setup(factory) -> list[int]:
    with transaction(factory) as s:
        source = open_account(s, code="bench:source", kind=AccountKind.BANK_CLEARING, allow_negative=True)
        ids = [open_account(s, code=f"bench:{i}", kind=AccountKind.WALLET).id for i in range(ACCOUNTS)]
        for account_id in ids:
            post_transfer(s, kind="top_up", legs=[Leg(source.id, -10**9), Leg(account_id, 10**9)])
    return ids


def _pairs(ids: list[int]):
    rng = random.Random(7)
    while True:
        a, b = rng.sample(ids, 2)
        yield a, b, rng.randint(1, 5000)


def ledger_api(factory, ids):
    pairs = _pairs(ids)

    def run(n: int) -> None:
        for a, b, amount in itertools.islice(pairs, n):
            with transaction(factory) as s:
                post_transfer(s, kind="payment", legs=[Leg(a, -amount), Leg(b, amount)], memo="bench",
                              details={"from": "a", "to": "b"})
    return run


def _raw_transfer(execute, executemany, a: int, b: int, amount: int, *, lock_sql: str, insert_sql: str,
                  postings_sql: str, update_sql: str) -> None:
    """The statements post_transfer issues, with the same hashing, minus SQLAlchemy and our Python."""
    ids = sorted((a, b))
    rows = {r[0]: r for r in execute(lock_sql, ids)}
    legs = {a: -amount, b: amount}
    ref, created = uuid.uuid4().hex, utcnow()
    details = {"from": "a", "to": "b"}
    t_hash = transfer_hash(ref=ref, kind="payment", memo="bench", details=details, actor_user_id=None,
                           created_at=created, postings=list(legs.items()))
    transfer_id = execute(insert_sql, (ref, "payment", "bench", json.dumps(details), None,
                                       created.replace(tzinfo=None), t_hash))[0][0]
    postings, updates = [], []
    for account_id in ids:
        _id, balance, _neg, seq, head = rows[account_id]
        after = balance + legs[account_id]
        if after < 0:
            raise RuntimeError("overdraft in benchmark")
        p_hash = posting_hash(prev_hash=head, account_id=account_id, account_seq=seq + 1, amount=legs[account_id],
                              balance_after=after, transfer_hash=t_hash)
        postings.append((transfer_id, account_id, legs[account_id], seq + 1, after, head, p_hash))
        updates.append((after, seq + 1, p_hash, account_id))
    executemany(postings_sql, postings)
    executemany(update_sql, updates)


SQL = {
    "insert": "INSERT INTO transfers (ref, kind, memo, details, actor_user_id, created_at, hash) "
              "VALUES ({p},{p},{p},{p},{p},{p},{p}) RETURNING id",
    "postings": "INSERT INTO postings (transfer_id, account_id, amount, account_seq, balance_after, prev_hash, hash) "
                "VALUES ({p},{p},{p},{p},{p},{p},{p})",
    "update": "UPDATE accounts SET balance={p}, head_seq={p}, head_hash={p} WHERE id={p}",
}


def raw_sqlite(path: str, ids):
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
        conn.execute(f"PRAGMA {pragma}")
    sql = {k: v.format(p="?") for k, v in SQL.items()}
    lock = ("SELECT id, balance, allow_negative, head_seq, head_hash FROM accounts WHERE id IN (?, ?) "
            "ORDER BY id")
    pairs = _pairs(ids)

    def run(n: int) -> None:
        for a, b, amount in itertools.islice(pairs, n):
            conn.execute("BEGIN IMMEDIATE")
            _raw_transfer(lambda q, p: conn.execute(q, p).fetchall(), conn.executemany, a, b, amount,
                          lock_sql=lock, insert_sql=sql["insert"], postings_sql=sql["postings"],
                          update_sql=sql["update"])
            conn.execute("COMMIT")
    return run


def raw_postgres(url: sa.URL, ids):
    options = url.query.get("options")
    conn = psycopg.connect(host=url.host, port=url.port, user=url.username, dbname=url.database,
                           options=options, autocommit=False)
    sql = {k: v.format(p="%s") for k, v in SQL.items()}
    lock = ("SELECT id, balance, allow_negative, head_seq, head_hash FROM accounts WHERE id = ANY(%s) "
            "ORDER BY id FOR UPDATE")
    pairs = _pairs(ids)

    def run(n: int) -> None:
        with conn.cursor() as cur:
            for a, b, amount in itertools.islice(pairs, n):
                with conn.transaction():
                    def execute(q, p):
                        cur.execute(q, (list(p),) if q is lock else p)
                        return cur.fetchall()
                    _raw_transfer(execute, cur.executemany, a, b, amount, lock_sql=lock,
                                  insert_sql=sql["insert"], postings_sql=sql["postings"], update_sql=sql["update"])
    return run


def test_ledger_core_against_the_driver_floor(settings, backend):
    engine = make_engine(settings.sqlalchemy_url)
    factory = make_session_factory(engine)
    ids = _setup(factory)
    if backend == "sqlite":
        baseline = raw_sqlite(sa.make_url(settings.sqlalchemy_url).database, ids)
    else:
        baseline = raw_postgres(sa.make_url(settings.sqlalchemy_url), ids)
    result = compare(f"ledger_core_{backend}", ledger_api(factory, ids), baseline, operations=OPERATIONS,
                     repeats=REPEATS, target=0.5, extra={"backend": backend, "accounts": ACCOUNTS})
    engine.dispose()
    # Not a timing assertion: the benchmark must have measured something real on both sides.
    assert result["candidate_per_s"]["median"] > 0 and result["baseline_per_s"]["median"] > 0
