"""Alembic migrations are the only way the schema is made: they must produce exactly the models."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import wallet_api.config
import wallet_api.models  # noqa: F401
from tests.conftest import PG_URL, _pg_driver_url
from wallet_api.db import Base, make_engine
from wallet_api.migrate import upgrade


def test_migrated_schema_matches_the_models(database_url):
    engine = sa.create_engine(wallet_api.config.Settings(database_url=database_url).sqlalchemy_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert diff == []


def test_system_accounts_exist_after_migration(db):
    with db() as s:
        codes = set(s.scalars(sa.text("SELECT code FROM accounts WHERE code LIKE 'system:%'")))
    assert {"system:bank_clearing", "system:withdrawals_in_flight"} <= codes


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request, tmp_path) -> Iterator[str]:
    """A database with no schema at all, to migrate step by step."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    base = _pg_driver_url(PG_URL)
    admin = sa.create_engine(base, connect_args={"connect_timeout": 3})
    schema = f"anxin_steps_{uuid.uuid4().hex[:10]}"
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except sa.exc.OperationalError:
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    yield sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


def test_family_invitations_waiting_before_the_expiry_migration_get_a_week_from_when_they_were_sent(empty_database):
    engine = make_engine(empty_database, pool_size=1)
    try:
        upgrade(engine, "0006_family")
        sent = datetime(2026, 11, 20, 8, 30)
        with engine.begin() as conn:
            for uid, name in ((1, "nainai"), (2, "jianguo"), (3, "meili")):
                conn.execute(sa.text("INSERT INTO users (id, username, display_name, password_hash, "
                                     "pin_failed_attempts, real_name_verified, created_at) "
                                     "VALUES (:id, :name, :name, 'x', 0, false, :at)"),
                             {"id": uid, "name": name, "at": sent})
            for link_id, relative, status in ((1, 2, "invited"), (2, 3, "active")):
                conn.execute(sa.text("INSERT INTO family_links (id, elder_user_id, relative_user_id, status, scopes, "
                                     "per_payment_limit, per_day_limit, spent_today, created_at) "
                                     "VALUES (:id, 1, :rel, :status, '[\"view\"]', 100, 100, 0, :at)"),
                             {"id": link_id, "rel": relative, "status": status, "at": sent})
        upgrade(engine)
        with engine.connect() as conn:
            rows = dict(conn.execute(sa.text("SELECT id, invite_expires_at FROM family_links ORDER BY id")
                                     .columns(id=sa.Integer(), invite_expires_at=sa.DateTime())).all())
    finally:
        engine.dispose()
    assert rows == {1: sent + timedelta(days=7), 2: None}
