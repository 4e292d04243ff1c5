"""Alembic environment. The connection or URL comes from wallet_api.migrate, never from an ini file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import wallet_api.models  # noqa: F401  (fills Base.metadata)
from wallet_api.db import Base

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
