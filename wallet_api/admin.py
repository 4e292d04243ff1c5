"""Operator commands behind `anxin`: serve, migrate, audit, roles. Each takes Settings."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from wallet_api.audit import AuditReport, full_audit
from wallet_api.auth.models import User
from wallet_api.auth.service import grant_role
from wallet_api.config import Settings
from wallet_api.db import make_engine, make_session_factory, snapshot, transaction
from wallet_api.errors import NotFound
from wallet_api.ledger.checkpoints import cut_checkpoint
from wallet_api.ledger.signing import load_or_create_signer
from wallet_api.migrate import upgrade


def prepare_storage(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)


def db_upgrade(settings: Settings) -> None:
    prepare_storage(settings)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def serve(settings: Settings) -> None:
    import uvicorn

    # The server secret and the journal key are made here, once, before the workers start and read them.
    settings.resolved_secret_key()
    load_or_create_signer(settings.signing_key_file)

    # Production settings: no auto-reload, access log off (it costs throughput), proxy headers trusted.
    uvicorn.run("wallet_api.asgi:app", host=settings.host, port=settings.port, workers=settings.worker_count,
                log_level="info", access_log=False, proxy_headers=True)


@dataclass(frozen=True)
class AuditResult:
    report: AuditReport
    key_source: str


def audit_verify(settings: Settings, public_key_hex: str | None = None) -> AuditResult:
    if public_key_hex is None:
        if not settings.signing_key_file.exists():
            raise FileNotFoundError(f"No journal key at {settings.signing_key_file}; pass --public-key HEX.")
        public_key_hex = load_or_create_signer(settings.signing_key_file).public_key_hex
        source = str(settings.signing_key_file)
    else:
        source = "--public-key"
    engine = make_engine(settings.sqlalchemy_url)
    try:
        # One consistent state for every pass (a payment committing meanwhile is neither half seen nor
        # blocked: the audit takes no write lock).
        with snapshot(make_session_factory(engine)) as session:
            return AuditResult(full_audit(session, public_key_hex), source)
    finally:
        engine.dispose()


def audit_checkpoint(settings: Settings) -> int | None:
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            cp = cut_checkpoint(session, load_or_create_signer(settings.signing_key_file))
            return cp.seq if cp else None
    finally:
        engine.dispose()


def grant(settings: Settings, username: str, role: str) -> None:
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            user_id = session.scalar(select(User.id).where(User.username == username.lower()))
            if user_id is None:
                raise NotFound(f"No user {username!r}.")
            grant_role(session, user_id, role)
    finally:
        engine.dispose()
