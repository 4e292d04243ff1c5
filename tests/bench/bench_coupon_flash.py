"""Benchmark 4 (issue 9): a coupon batch released to a crowd, over HTTP, on SQLite and PostgreSQL.

A crowd of real-name residents (some people with two accounts) claims a batch all at once from two
client processes of keep-alive threads; the server is the real stack (uvicorn in a thread, as the
flash-crowd test runs it). In the same run and alternating with it, the same number of requests
from the same clients goes to the bare one-insert endpoint of that server (the baseline).
Reported: claims/s and its ratio to the baseline, p50/p99, and the over-issue count — coupons
issued beyond the batch plus people over their cap, read back from the database (must be 0).

    .venv/bin/python -m pytest tests/bench/bench_coupon_flash.py -s -q -o python_files="bench_*.py"
    ANXIN_BENCH_SCALE=0.1 ...     # a small size
"""

from __future__ import annotations

import multiprocessing
import os
import random
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

from sqlalchemy import func, select

from tests.bench.harness import summarise
from tests.bench.load import Load
from tests.live_server import serve_in_thread
from tests.wallet_api.coupons_support import when
from tests.wallet_api.test_coupons_flash_crowd import _fire, gather
from wallet_api.auth.models import User
from wallet_api.coupons import campaigns
from wallet_api.coupons.models import Coupon
from wallet_api.db import transaction
from wallet_api.main import create_app
from wallet_api.schemas import coupons as wire

SCALE = float(os.environ.get("ANXIN_BENCH_SCALE", "1"))
REPEATS = 3 if SCALE >= 0.5 else 2
CAP = 2
PROCESSES, THREADS = 2, 16


def sizes(backend: str) -> tuple[int, int]:
    """(accounts, batch): the embedded SQLite gets a smaller crowd, as in the flash-crowd test."""
    accounts, batch = (2_000, 1_000) if backend == "postgres" else (400, 200)
    return max(40, int(accounts * SCALE)), max(20, int(batch * SCALE))


def new_campaign(db, batch: int) -> int:
    with transaction(db) as s:
        issuer = s.scalar(select(User).where(User.username == "city"))
        campaign = campaigns.create_campaign(s, issuer, wire.CampaignIn(
            name="Flash crowd", categories=["dining"], region="weihai", shape="spend_x_save_y", threshold_fen=10_000,
            value_fen=3_000, total_quantity=batch, subsidy_budget_fen=batch * 3_000, per_person_cap=CAP,
            batches=[wire.BatchIn(release_at=when(seconds=-1), quantity=batch)]))
        campaigns.fund(s, issuer, campaign.id, batch * 3_000)
        return campaign.id


def fire(pool, base: str, path: str, plan: list[tuple[int, str]]) -> Load:
    started = time.perf_counter()
    shares = list(pool.map(_fire, [base] * PROCESSES, [path] * PROCESSES,
                           [plan[i::PROCESSES] for i in range(PROCESSES)], [THREADS] * PROCESSES))
    load = Load(elapsed_s=time.perf_counter() - started)
    for _uid, answer, seconds in (r for share in shares for r in share):
        load.latencies_ms.append(seconds * 1000)
        load.ok += 1  # every answer counts: a refusal (sold out, cap) is the server's work too
        load.statuses[answer] = load.statuses.get(answer, 0) + 1
    return load


def over_issued(db, campaign_id: int, batch: int, person_of: dict[int, str]) -> int:
    with db() as s:
        held = dict(s.execute(select(Coupon.user_id, func.count()).where(Coupon.campaign_id == campaign_id)
                              .group_by(Coupon.user_id)).all())
    per_person = Counter()
    for uid, n in held.items():
        per_person[person_of[uid]] += n
    return max(0, sum(held.values()) - batch) + sum(max(0, n - CAP) for n in per_person.values())


def test_coupon_batch_to_a_crowd(settings, backend):
    accounts, batch = sizes(backend)
    app = create_app(settings.model_copy(update={"bench_endpoints": True}))
    db = app.state.db
    crowd = gather(db, settings, accounts=accounts, twins=accounts // 5, batch=batch, cap=CAP)
    plan = [(uid, token) for uid, token in crowd.tokens.items() for _ in range(2 + uid % 2)]  # ~2.5 claims each
    random.Random(5).shuffle(plan)
    claims, bares, p50, p99, over, answers = [], [], [], [], 0, Counter()
    with serve_in_thread(app) as base, \
            ProcessPoolExecutor(PROCESSES, mp_context=multiprocessing.get_context("spawn")) as pool:
        fire(pool, base, "/healthz", [(0, "none")] * PROCESSES)  # start the client processes
        campaign_id = crowd.campaign_id
        for run in range(REPEATS):
            if run:
                campaign_id = new_campaign(db, batch)
            load = fire(pool, base, f"/v1/coupons/campaigns/{campaign_id}/claims", plan)
            claims.append(load.per_s)
            p50.append(load.percentile(50))
            p99.append(load.percentile(99))
            answers.update(load.statuses)
            over += over_issued(db, campaign_id, batch, crowd.person_of)
            bares.append(fire(pool, base, "/v1/bench/bare-insert", plan).per_s)
    result = summarise(f"coupon_flash_{backend}", claims, bares, target=0.5, extra={
        "backend": backend, "accounts": accounts, "batch": batch, "claims_per_run": len(plan), "cap": CAP,
        "concurrent_clients": PROCESSES * THREADS, "baseline": "POST /v1/bench/bare-insert, same clients and count",
        "p50_ms": round(sorted(p50)[len(p50) // 2], 1), "p99_ms": round(sorted(p99)[len(p99) // 2], 1),
        "over_issued": over, "answers": dict(answers)})
    assert over == 0
    assert set(answers) <= {"claimed", "coupons_sold_out", "coupon_cap_reached"}, answers  # no 5xx
    assert result["candidate_per_s"]["median"] > 0
