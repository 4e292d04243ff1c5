"""Engine and sessions. SQLite gets WAL and BEGIN IMMEDIATE so writers queue instead of failing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def make_engine(url: str, *, pool_size: int = 20) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            # The driver's own transaction handling is off so that we can say BEGIN IMMEDIATE:
            # a deferred transaction that later writes can fail with "database is locked".
            connect_args={"isolation_level": None, "check_same_thread": False, "timeout": 30},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin_immediate(conn):
            # A reader that asked for a snapshot (see `snapshot`) takes no write lock: in WAL mode a deferred
            # transaction reads one consistent state while writers go on committing.
            conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(SNAPSHOT) else "BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


SNAPSHOT = "anxin_read_snapshot"
# For a short transaction that only reads (`session.connection(execution_options=READ_ONLY)` first), such as
# the sign-in check of every request: on SQLite it begins deferred, so it does not queue for the write lock
# behind every writer; PostgreSQL is unchanged. It must never write: a deferred transaction that writes can
# fail with "database is locked".
READ_ONLY = {SNAPSHOT: True}


@contextmanager
def snapshot(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A read-only unit of work that sees one consistent state of the whole database from its first read,
    without holding writers back: REPEATABLE READ on PostgreSQL (each statement of READ COMMITTED would see
    a newer state), a deferred transaction on SQLite (instead of BEGIN IMMEDIATE's write lock). For long
    readers such as `anxin audit verify`. Rolled back at the end: it writes nothing."""
    with factory() as session:
        options = ({"isolation_level": "REPEATABLE READ"} if session.get_bind().dialect.name == "postgresql"
                   else READ_ONLY)
        session.connection(execution_options=options)
        try:
            yield session
        finally:
            session.rollback()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def transaction_cache(session: Session, name: str) -> dict:
    """A dict that lives as long as the session's current transaction, for facts that transaction has already
    read or written (an account's id, the transfer it just posted) so that nothing reads them twice. A new
    transaction starts empty: nothing a rolled-back transaction saw can leak into the next one."""
    transaction, caches = session.info.get("transaction_cache", (None, {}))
    if transaction is not session.get_transaction():
        caches = {}
        session.info["transaction_cache"] = (session.get_transaction(), caches)
    return caches.setdefault(name, {})


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session
