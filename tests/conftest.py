"""Fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ANXIN_TEST_POSTGRES_URL (default: the local server at 127.0.0.1:5432,
database `test`). Each test session migrates its own schema there once and wipes it between
tests. If PostgreSQL cannot be reached, its runs are skipped with a notice — unless
ANXIN_TEST_NO_SKIP=1 (CI), where any skipped test fails the run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from wallet_api.config import Settings
from wallet_api.db import make_engine, make_session_factory, transaction
from wallet_api.ledger.accounts import ensure_system_accounts
from wallet_api.main import create_app
from wallet_api.migrate import upgrade

from tests.helpers import Api

PG_URL = os.environ.get("ANXIN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
NO_SKIP = os.environ.get("ANXIN_TEST_NO_SKIP") == "1"
_skipped: list[str] = []


def _pg_driver_url(url: str) -> str:
    return Settings(database_url=url).sqlalchemy_url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file, copied for each test (migrating every time would be slow)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str | None]:
    base = _pg_driver_url(PG_URL)
    admin = sa.create_engine(base, connect_args={"connect_timeout": 3})
    try:
        with admin.begin() as conn:
            schema = f"anxin_test_{uuid.uuid4().hex[:10]}"
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except sa.exc.OperationalError:
        admin.dispose()
        yield None
        return
    url = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
    engine = make_engine(url, pool_size=2)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


def _wipe_postgres(url: str) -> None:
    engine = make_engine(url, pool_size=1)
    with engine.begin() as conn:
        tables = [r[0] for r in conn.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'alembic_version'")]
        conn.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    with transaction(make_session_factory(engine)) as session:
        ensure_system_accounts(session)
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path, sqlite_template) -> str:
    if request.param == "sqlite":
        path = tmp_path / "anxin.sqlite3"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_schema_url")
    if url is None:
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: PostgreSQL runs skipped "
                    "(start it or set ANXIN_TEST_POSTGRES_URL)")
    _wipe_postgres(url)
    return url


@pytest.fixture
def backend(database_url: str) -> str:
    return "postgres" if database_url.startswith("postgresql") else "sqlite"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # Cheap argon2 so hundreds of hashes stay fast; production keeps the strong defaults.
    return Settings(data_dir=tmp_path, database_url=database_url, secret_key="test-secret-not-for-production",
                    argon2_time_cost=1, argon2_memory_kib=1024, checkpoint_interval_seconds=0,
                    guardian_sweep_seconds=0)


@pytest.fixture
def app(settings: Settings):
    return create_app(settings)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


@pytest.fixture
def db(app):
    return app.state.db


def pytest_runtest_logreport(report) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus) -> None:
    if NO_SKIP and _skipped and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter) -> None:
    if _skipped:
        terminalreporter.write_sep("=", f"{len(_skipped)} test(s) skipped", yellow=True)
        if NO_SKIP:
            terminalreporter.write_line("ANXIN_TEST_NO_SKIP=1: skipping is forbidden here, so this run FAILS.",
                                        red=True)
