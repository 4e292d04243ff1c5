"""The flash crowd: thousands of concurrent claims through the real server stack (uvicorn in a
thread, a real HTTP client per request thread, row locks on PostgreSQL, BEGIN IMMEDIATE on SQLite).

PostgreSQL: 5,000 claims from 2,000 residents (800 of them are 400 people with two accounts each)
for a batch of 1,000 with a cap of 2 -> exactly 1,000 claimed, no account and no natural person
over 2. SQLite, the embedded default, gets a smaller crowd with the same rules. Throughput and
latency are printed as JSON (measured, never asserted: the machine is shared).
"""

from __future__ import annotations

import json
import multiprocessing
import random
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import func, select

from wallet_api.audit import full_audit
from wallet_api.auth.models import AuthSession, Preferences, User, UserRole
from wallet_api.auth.secrets import Hasher, national_id_hash
from wallet_api.auth.service import create_user, grant_role
from wallet_api.auth.tokens import _access_token
from wallet_api.coupons import campaigns
from wallet_api.coupons.models import Coupon, CouponHolder, CouponStock
from wallet_api.db import transaction
from wallet_api.ledger import Account, AccountKind
from wallet_api.ledger.accounts import wallet_code
from wallet_api.schemas import coupons as wire
from wallet_api.types import utcnow

from tests.helpers import key
from tests.live_server import serve_in_thread
from tests.wallet_api.coupons_support import national_id, when


@dataclass(frozen=True)
class Crowd:
    campaign_id: int
    tokens: dict[int, str]     # user id -> access token
    person_of: dict[int, str]  # user id -> national-ID hash


def gather(db, settings, *, accounts: int, twins: int, batch: int, cap: int) -> Crowd:
    """`accounts` real-name residents, each signed in; the first 2 x `twins` accounts are `twins` people
    with two accounts each. Written in bulk (what create_user and start_session write, minus the password
    hash and refresh token nobody uses here): one by one, 2,000 users cost half a minute on a busy machine."""
    secret, now = settings.resolved_secret_key(), utcnow()
    with transaction(db) as s:
        issuer = create_user(s, Hasher(settings), username="city", password="city-password", display_name="City")
        grant_role(s, issuer.id, "coupon_issuer")
        people = [i // 2 if i < 2 * twins else i - twins for i in range(accounts)]
        users = [User(username=f"resident{i:05d}", display_name=f"Resident {i}", password_hash="!", real_name=f"R{p}",
                      real_name_verified=True, national_id_hash=national_id_hash(secret, national_id(p)),
                      created_at=now) for i, p in enumerate(people)]
        s.add_all(users)
        s.flush()
        s.add_all([UserRole(user_id=u.id, role="consumer") for u in users]
                  + [Preferences(user_id=u.id, marketing_allowed=False, language="en") for u in users]
                  + [Account(code=wallet_code(u.id), kind=AccountKind.WALLET, owner_user_id=u.id, currency="CNY",
                             allow_negative=False, balance=0, created_at=now) for u in users])
        sessions = {u.id: uuid.uuid4().hex for u in users}
        s.add_all([AuthSession(id=sid, user_id=uid, created_at=now) for uid, sid in sessions.items()])
        campaign = campaigns.create_campaign(s, issuer, wire.CampaignIn(
            name="Flash crowd", categories=["dining"], region="weihai", shape="spend_x_save_y", threshold_fen=10_000,
            value_fen=3_000, total_quantity=batch, subsidy_budget_fen=batch * 3_000, per_person_cap=cap,
            batches=[wire.BatchIn(release_at=when(seconds=-1), quantity=batch)]))
        campaigns.fund(s, issuer, campaign.id, batch * 3_000)
    # The same access token start_session hands out, for the sign-ins written above.
    tokens = {uid: _access_token(settings, uid, sid) for uid, sid in sessions.items()}
    return Crowd(campaign.id, tokens, {u.id: u.national_id_hash for u in users})


def _fire(base_url: str, path: str, jobs: list[tuple[int, str]], threads: int) -> list[tuple[int, str, float]]:
    """One load-generating process: `threads` keep-alive clients send its share of the claims."""
    local = threading.local()

    def one(job: tuple[int, str]) -> tuple[int, str, float]:
        uid, token = job
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=base_url, timeout=120)
        started = time.perf_counter()
        r = local.client.post(path, headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key()})
        elapsed = time.perf_counter() - started
        return uid, "claimed" if r.status_code == 201 else r.json().get("code", str(r.status_code)), elapsed

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(one, jobs))


def storm(app, crowd: Crowd, claims_per_account: list[int], *, processes: int,
          threads: int) -> tuple[list[tuple[int, str]], dict]:
    """Fire every claim at once (shuffled) from client processes of their own, so the server in this
    process does not share its interpreter with the load; returns (user id, answer) per claim and the
    measurements."""
    plan = [(uid, crowd.tokens[uid]) for uid, n in zip(crowd.tokens, claims_per_account, strict=True)
            for _ in range(n)]
    random.Random(5).shuffle(plan)
    path = f"/v1/coupons/campaigns/{crowd.campaign_id}/claims"
    with serve_in_thread(app) as base, \
            ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_fire, [base] * processes, [path] * processes, [[]] * processes, [1] * processes))  # warm up
        wall, cpu = time.perf_counter(), time.process_time()
        shares = list(pool.map(_fire, [base] * processes, [path] * processes,
                               [plan[i::processes] for i in range(processes)], [threads] * processes))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    results = [r for share in shares for r in share]
    latencies = sorted(r[2] for r in results)
    claimed_latencies = sorted(r[2] for r in results if r[1] == "claimed")

    def pct(values: list[float], p: float) -> float:
        return round(values[min(len(values) - 1, int(len(values) * p))] * 1000, 1)

    measured = {"claims": len(plan), "accounts": len(crowd.tokens), "concurrent": processes * threads,
                "seconds": round(wall, 2), "claims_per_second": round(len(plan) / wall, 1),
                # CPU of the server process alone (the clients run in their own processes): the part of a
                # claim's cost that does not depend on how busy the shared machine is.
                "server_cpu_ms_per_claim": round(cpu * 1000 / len(plan), 2),
                "p50_ms": pct(latencies, 0.50), "p99_ms": pct(latencies, 0.99),
                "p99_ms_successful": pct(claimed_latencies, 0.99) if claimed_latencies else None,
                "answers": dict(Counter(r[1] for r in results))}
    return [(r[0], r[1]) for r in results], measured


def assert_never_over_issued(app, crowd: Crowd, results, *, batch: int, cap: int) -> None:
    answers = Counter(code for _uid, code in results)
    assert answers["claimed"] == batch, answers
    assert set(answers) <= {"claimed", "coupons_sold_out", "coupon_cap_reached"}, answers  # no 5xx, no surprises
    per_account = Counter(uid for uid, code in results if code == "claimed")
    per_person = Counter(crowd.person_of[uid] for uid, code in results if code == "claimed")
    assert max(per_account.values()) <= cap and max(per_person.values()) <= cap
    with app.state.db() as s:
        mine = Coupon.campaign_id == crowd.campaign_id
        held = Counter(dict(s.execute(select(Coupon.user_id, func.count()).where(mine).group_by(Coupon.user_id)).all()))
        by_person = dict(s.execute(select(Coupon.person_key, func.count())
                                   .where(Coupon.campaign_id == crowd.campaign_id).group_by(Coupon.person_key)).all())
        counters = dict(s.execute(select(CouponHolder.person_key, CouponHolder.claimed)
                                  .where(CouponHolder.campaign_id == crowd.campaign_id)).all())
        left = s.scalar(select(func.sum(CouponStock.remaining)).where(CouponStock.campaign_id == crowd.campaign_id))
        report = full_audit(s, app.state.signer.public_key_hex)
        assert s.scalar(select(func.count()).select_from(User)) == len(crowd.tokens) + 1
    assert held == per_account                    # the database agrees with what the clients were told
    assert sum(held.values()) == batch and left == 0
    assert by_person == counters and max(by_person.values()) <= cap
    assert report.ok, [str(f) for f in report.findings]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_5000_concurrent_claims_on_postgres_never_over_issue(app, db, settings):
    accounts, batch, cap = 2_000, 1_000, 2
    started = time.perf_counter()
    crowd = gather(db, settings, accounts=accounts, twins=400, batch=batch, cap=cap)
    results, measured = storm(app, crowd, [3] * 1_000 + [2] * 1_000, processes=2, threads=24)
    measured["setup_seconds"] = round(time.perf_counter() - started - measured["seconds"], 2)
    print("\ncoupon flash crowd (PostgreSQL):", json.dumps(measured))
    assert len(results) == 5_000
    assert_never_over_issued(app, crowd, results, batch=batch, cap=cap)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_crowd_on_the_embedded_sqlite_never_over_issues(app, db, settings):
    accounts, batch, cap = 300, 150, 2
    crowd = gather(db, settings, accounts=accounts, twins=60, batch=batch, cap=cap)
    results, measured = storm(app, crowd, [3] * 150 + [2] * 150, processes=2, threads=12)
    print("\ncoupon flash crowd (SQLite):", json.dumps(measured))
    assert_never_over_issued(app, crowd, results, batch=batch, cap=cap)
