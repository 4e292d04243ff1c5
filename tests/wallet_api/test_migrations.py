"""Alembic migrations are the only way the schema is made: they must produce exactly the models."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import wallet_api.config
import wallet_api.models  # noqa: F401
from wallet_api.db import Base


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
