"""Column types shared by every model."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.types import TypeDecorator

# BIGINT on PostgreSQL; INTEGER on SQLite, where only INTEGER PRIMARY KEY autoincrements.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC on every database, always handed back timezone-aware.

    SQLite keeps no zone; hashing a timestamp must give the same text on both databases.
    """

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


# How far the server's clock is set back in this context: zero, except while `anxin seed-demo` writes the
# demo world's history on the days it happened (see `clock_set_to`).
_SET_BACK: ContextVar[timedelta] = ContextVar("anxin_clock_set_back", default=timedelta(0))


def utcnow() -> datetime:
    """The server's clock: every timestamp the server writes (journal, payments, messages) comes from here."""
    return datetime.now(UTC) - _SET_BACK.get()


@contextmanager
def clock_set_to(moment: datetime) -> Iterator[None]:
    """Within the block `utcnow()` reads `moment` at entry and runs on in real time, so what is written there
    is dated then, in the order it happens. For the demo seeder only: a moment in the past makes seeded
    activity history (the journal hashes whatever time it is given; chains and checkpoints still verify)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to the clock")
    token = _SET_BACK.set(datetime.now(UTC) - moment)
    try:
        yield
    finally:
        _SET_BACK.reset(token)
