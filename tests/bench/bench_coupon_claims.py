"""Benchmark: coupon claims per second on PostgreSQL with the pool split into shards (as shipped)
against the same pool in ONE row (every claim queueing on it), in the same run.

    .venv/bin/python -m pytest tests/bench/bench_coupon_claims.py -s -q
    ANXIN_BENCH_SCALE=0.1 ...   # a small size

Claims go straight to the service (claims.claim in its own transaction, 32 threads), no HTTP, so
the difference is the row lock each claim holds until it commits.
"""

from __future__ import annotations

import os
import random
import uuid
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from tests.bench.harness import compare
from tests.wallet_api.test_coupons_flash_crowd import gather
from wallet_api.auth.models import User
from wallet_api.config import Settings
from wallet_api.coupons import campaigns, claims, stock
from wallet_api.coupons.models import CouponCampaign, CouponStock
from wallet_api.db import make_engine, make_session_factory, transaction
from wallet_api.migrate import upgrade
from wallet_api.schemas import coupons as wire
from wallet_api.types import utcnow

SCALE = float(os.environ.get("ANXIN_BENCH_SCALE", "1"))
CLAIMS = max(100, int(2_000 * SCALE))
THREADS = 32
PG = os.environ.get("ANXIN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _one_shard(db, campaign_id: int) -> None:
    with transaction(db) as s:
        campaign = s.get(CouponCampaign, campaign_id)
        left = stock.remaining(s, campaign_id)
        s.execute(sa.delete(CouponStock).where(CouponStock.campaign_id == campaign_id, CouponStock.shard > 0))
        s.execute(sa.update(CouponStock).where(CouponStock.campaign_id == campaign_id).values(remaining=left))
        campaign.shards = 1


def _claimer(db, campaign_id: int, users: list[User]):
    def run(n: int) -> None:
        picks = random.Random(n).choices(users, k=n)

        def one(user: User) -> None:
            with transaction(db) as s:
                claims.claim(s, campaign_id, user)

        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(one, picks))
    return run


def test_sharded_pool_against_one_row():
    base = Settings(database_url=PG).sqlalchemy_url
    admin = sa.create_engine(base)
    schema = f"bench_coupons_{uuid.uuid4().hex[:8]}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
    engine = make_engine(url, pool_size=THREADS)
    try:
        upgrade(engine)
        db = make_session_factory(engine)
        settings = Settings(database_url=url, secret_key="bench-secret", data_dir=f"/tmp/{schema}")
        units = CLAIMS * 12  # never runs out over all repeats
        sharded = gather(db, settings, accounts=max(40, min(400, int(400 * SCALE))), twins=0, batch=units,
                         cap=100).campaign_id
        with transaction(db) as s:
            issuer_id = s.scalar(sa.select(User.id).where(User.username == "city"))
            single = campaigns.create_campaign(s, s.get(User, issuer_id), wire.CampaignIn(
                name="One row", categories=["dining"], region="weihai", shape="spend_x_save_y", threshold_fen=10_000,
                value_fen=3_000, total_quantity=units, subsidy_budget_fen=units * 3_000, per_person_cap=100,
                batches=[wire.BatchIn(release_at=utcnow(), quantity=units)])).id
        with transaction(db) as s:
            campaigns.fund(s, s.get(User, issuer_id), single, units * 3_000)
        _one_shard(db, single)
        with db() as s:
            users = list(s.scalars(sa.select(User).where(User.username.like("resident%"))))
            for u in users:
                s.expunge(u)
        compare("coupon_claims_sharded_vs_one_row", _claimer(db, sharded, users), _claimer(db, single, users),
                operations=CLAIMS, repeats=3, target=1.0,
                extra={"threads": THREADS, "shards": stock.shard_count(units), "database": "postgresql"})
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()
