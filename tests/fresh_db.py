"""An empty, migrated database per Hypothesis example (a state machine cannot take a fresh
pytest fixture for every example): a copy of the SQLite template, or a wiped PostgreSQL schema."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import _wipe_postgres
from wallet_api.db import make_engine, make_session_factory


@dataclass(frozen=True)
class Backend:
    """Hands out an empty, migrated database for each example."""

    url: str
    sqlite_template: Path
    workdir: Path

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith("postgresql")

    def fresh(self) -> tuple[sessionmaker[Session], Callable[[], None]]:
        """A session factory on an empty database, and the function that releases it."""
        if self.is_postgres:
            _wipe_postgres(self.url)
            engine = make_engine(self.url, pool_size=2)
            return make_session_factory(engine), engine.dispose
        path = self.workdir / f"example-{uuid.uuid4().hex[:12]}.sqlite3"
        shutil.copy(self.sqlite_template, path)
        engine = make_engine(f"sqlite:///{path}")

        def release() -> None:
            engine.dispose()
            for leftover in path.parent.glob(path.name + "*"):
                leftover.unlink()
        return make_session_factory(engine), release
