"""`anxin seed-demo` builds a world that verifies, and running it twice changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from app.cli import main as anxin
from wallet_api.auth.models import User
from wallet_api.ledger.models import Transfer


def test_seed_demo_twice_builds_one_verifiable_world(settings, db, capsys):
    args = ["--database-url", settings.sqlalchemy_url, "--data-dir", str(settings.data_dir)]
    assert anxin(["seed-demo", *args]) == 0
    first = capsys.readouterr().out
    assert "Demo world ready." in first and "nainai" in first and "anxin-demo-2026" in first
    with db() as s:
        users, transfers = s.scalar(select(func.count()).select_from(User)), s.scalar(
            select(func.count()).select_from(Transfer))
    assert users >= 12 and transfers >= 9  # 4 top-ups, 4 payments, 1 transfer

    assert anxin(["seed-demo", *args]) == 0
    assert "already there" in capsys.readouterr().out
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Transfer)) == transfers

    assert anxin(["audit", "verify", *args]) == 0
    assert "OK: every chain, balance and checkpoint verifies" in capsys.readouterr().out
