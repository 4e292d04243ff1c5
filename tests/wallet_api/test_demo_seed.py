"""`anxin seed-demo` builds a world that verifies, and running it twice changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.cli import main as anxin
from tests.helpers import demo_headers
from wallet_api.auth.models import User
from wallet_api.demo import CHINA, demo_moment
from wallet_api.ledger.models import Posting, Transfer
from wallet_api.merchants.models import Merchant
from wallet_api.notifications.models import Notification
from wallet_api.payments.models import Payment


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


def test_seeded_activity_happened_on_earlier_days_in_order_and_the_journal_still_verifies(settings, db, capsys):
    args = ["--database-url", settings.sqlalchemy_url, "--data-dir", str(settings.data_dir)]
    before = datetime.now(UTC)
    assert anxin(["seed-demo", *args]) == 0
    today = before.astimezone(CHINA).date()
    with db() as s:
        payments = s.scalars(select(Payment.created_at)).all()
        # Only the city's coupon campaign runs today (its batches are scheduled from now): the city funds it and
        # meili spends a coupon. Everything else happened on earlier days.
        older = [t.created_at for t in s.scalars(select(Transfer))
                 if t.kind != "coupon_funding" and "coupon_id" not in (t.details or {})]
        assert len(payments) >= 7 and len(older) >= 20
        assert all(t.astimezone(CHINA).date() < today for t in older)
        # spread over the past week, not bunched on one day
        assert len({t.astimezone(CHINA).date() for t in older}) >= 6
        assert min(older) < before - timedelta(days=7)
        # On every account, each posting is dated no earlier than the one before it: a believable history.
        rows = s.execute(select(Posting.account_id, Transfer.created_at).join(Transfer)
                         .order_by(Posting.account_id, Posting.account_seq)).all()
        for (acc, t), (next_acc, next_t) in zip(rows, rows[1:], strict=False):
            assert acc != next_acc or t <= next_t, f"account {acc}: {next_t} after {t}"
        nainai = s.scalar(select(User.id).where(User.username == "nainai"))
        hers = s.execute(select(Notification.created_at, Notification.message_key)
                         .where(Notification.user_id == nainai).order_by(Notification.id)).all()
        assert len(hers) >= 10 and all(t < before for t, key in hers if not key.startswith("notice.coupon"))
        assert [t for t, _ in hers] == sorted(t for t, _ in hers), "her messages come in the order they happened"
    assert anxin(["audit", "verify", *args]) == 0
    assert "OK: every chain, balance and checkpoint verifies" in capsys.readouterr().out


def test_nainai_pays_a_shop_she_knows_right_after_the_demo_is_seeded_and_her_guardian_does_not_hold_it(
        settings, client):
    args = ["--database-url", settings.sqlalchemy_url, "--data-dir", str(settings.data_dir)]
    assert anxin(["seed-demo", *args]) == 0
    nainai = demo_headers(client, "nainai")
    assert client.get("/v1/guardian", headers=nainai).json()["my_guardian"]["status"] == "active"
    with client.app.state.db() as s:
        lotus = s.scalar(select(Merchant.id).where(Merchant.name == "Lotus Noodles"))
    for n in range(2):  # the README's curl line, and one more
        r = client.post("/v1/payments/merchant", json={"merchant_id": lotus, "amount_fen": 1_200},
                        headers=nainai | {"Idempotency-Key": f"demo-pay-000{n}"})
        assert r.status_code == 201, r.text
        assert r.json()["payee"] == "莲花面馆" and r.json()["amount_fen"] == 1_200


def test_a_demo_moment_is_on_an_earlier_day_in_china_time():
    today = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # already 1 December in Weihai
    assert demo_moment({"days_ago": 1, "at": "23:59"}, today) == datetime(2026, 11, 30, 15, 59, tzinfo=UTC)
    assert demo_moment({"days_ago": 6, "at": "08:40"}, today) == datetime(2026, 11, 25, 0, 40, tzinfo=UTC)
    with pytest.raises(ValueError, match="earlier day"):
        demo_moment({"days_ago": 0, "at": "08:00"}, today)
