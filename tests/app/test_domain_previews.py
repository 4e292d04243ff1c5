"""What the screens say before money moves, checked against the server's own rules: the refund a
card holder is promised, and what a default is said to do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.cards import refund_preview
from app.regulator import consequences
from wallet_api.prepaid.policy import holder_share
from wallet_api.schemas.prepaid import CardOut, PrepaidMerchantOut

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


def card(*, balance: int, paid: int, bonus: int, used: bool, cooling_off_until: datetime | None) -> CardOut:
    return CardOut(id=1, account_id=1, merchant_id=1, merchant_name="Iron Gym", product_id=1, product_name="10 classes",
                   holder="meili", named=False, status="active", balance_fen=balance, paid_fen=paid, bonus_fen=bonus,
                   purchased_at=NOW - timedelta(days=1), expires_at=NOW + timedelta(days=300), expired=False,
                   used=used, cooling_off_until=cooling_off_until, closed_at=None, closed_reason=None,
                   refunded_fen=0, unrecovered_fen=0, purchase_transfer_id=1)


@given(paid=st.integers(1, 500_000), bonus=st.integers(0, 100_000), used_share=st.floats(0, 1))
def test_a_balance_refund_promises_exactly_the_servers_holder_share(paid, bonus, used_share):
    balance = int((paid + bonus) * (1 - used_share))
    preview = refund_preview(card(balance=balance, paid=paid, bonus=bonus, used=True, cooling_off_until=None), NOW)
    assert preview.kind == "balance"
    assert preview.you_get_fen == holder_share(balance, paid, bonus)
    assert preview.you_get_fen + preview.to_shop_fen == balance


def test_an_unused_card_in_cooling_off_gives_back_all_that_was_paid():
    unused = card(balance=55_000, paid=50_000, bonus=5_000, used=False, cooling_off_until=NOW + timedelta(days=6))
    preview = refund_preview(unused, NOW)
    assert (preview.kind, preview.you_get_fen) == ("cooling_off", 55_000)
    assert refund_preview(unused, NOW + timedelta(days=7)).kind == "balance"        # too late: the balance rule


def test_a_default_is_said_to_pay_what_escrow_holds_and_names_the_shortfall():
    standing = dict(merchant_id=3, name="Jade Hair Salon", local_name=None, standing="active", escrow_policy="ratio",
                    issuer_type="scale", required_pct=40, outstanding_fen=100_000, escrow_fen=40_000,
                    required_fen=40_000, coverage_ratio=0.4, released_fen=0, withdrawable_fen=0, active_cards=3,
                    open_alerts=1, closes_at=None, defaulted_at=None)
    said = consequences(PrepaidMerchantOut(**standing))
    assert (said.cards, said.owed_fen, said.escrow_fen, said.short_fen) == (3, 100_000, 40_000, 60_000)
    covered = consequences(PrepaidMerchantOut(**{**standing, "escrow_fen": 100_000}))
    assert covered.short_fen == 0
