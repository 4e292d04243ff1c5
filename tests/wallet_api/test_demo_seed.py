"""`anxin seed-demo` builds a world that verifies, and running it twice changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from app.cli import main as anxin
from tests.helpers import demo_headers
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


def test_the_demo_has_prepaid_cards_and_the_regulator_sees_coverage_and_real_alerts(settings, client):
    args = ["--database-url", settings.sqlalchemy_url, "--data-dir", str(settings.data_dir)]
    assert anxin(["seed-demo", *args]) == 0

    regulator = demo_headers(client, "regulator")
    rows = {r["name"]: r for r in client.get("/v1/regulator/prepaid/merchants", headers=regulator).json()}
    assert {"Iron Gym", "Jade Hair Salon"} <= rows.keys()
    for row in rows.values():
        assert row["outstanding_fen"] > 0 and row["escrow_fen"] >= row["required_fen"] > 0
    assert (rows["Iron Gym"]["escrow_policy"], rows["Jade Hair Salon"]["escrow_policy"]) == ("full", "ratio")
    alerts = client.get("/v1/regulator/prepaid/alerts", headers=regulator).json()
    assert {(a["type"], a["merchant_name"]) for a in alerts} >= {("complaints", "Jade Hair Salon"),
                                                                ("card_over_limit", "Iron Gym")}
    for holder in ("nainai", "xiaoming"):
        cards = client.get("/v1/prepaid/cards", headers=demo_headers(client, holder)).json()
        assert {c["merchant_name"] for c in cards} == {"Iron Gym", "Jade Hair Salon"}
        assert any(c["used"] for c in cards)
