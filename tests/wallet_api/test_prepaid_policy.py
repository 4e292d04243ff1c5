"""The escrow arithmetic of wallet_api/prepaid/policy.py, without a database: worked examples from
docs/prepaid.md, and properties over any amounts (no fen is created, lost or released early)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from wallet_api.prepaid.policy import (PolicyValues, charge_release, default_split, holder_share, refund_split,
                                       required_escrow, withdrawable)

fen = st.integers(min_value=0, max_value=10**9)
positive = st.integers(min_value=1, max_value=10**9)
pcts = st.sampled_from([20, 30, 40, 100]) | st.integers(0, 100)


def test_worked_examples():
    assert required_escrow(10_001, 40) == 4_001          # rounded up, in the holders' favour
    assert required_escrow(50_000, 100) == 50_000
    assert withdrawable(100_000, 100_000, 40) == 60_000
    assert charge_release(40_000, 100_000, 10_000, 40) == 4_000   # 60 % was advanced already
    assert charge_release(50_000, 50_000, 3_000, 100) == 3_000    # full policy: exactly the charge
    assert holder_share(44_000, 50_000, 5_000) == 40_000
    split = refund_split(escrow=40_000, outstanding=100_000, settlement=15_000, balance=50_000, to_holder=50_000,
                         pct=40)
    assert (split.escrow_to_holder, split.settlement_to_holder, split.escrow_to_merchant) == (35_000, 15_000, 0)
    assert refund_split(escrow=40_000, outstanding=100_000, settlement=5_000, balance=50_000, to_holder=50_000,
                        pct=40) is None
    d = default_split(escrow=12_000, settlement=8_000, balances={1: 10_000, 2: 20_000, 3: 30_000})
    assert (d.payouts, d.unrecovered, d.settlement_delta) == (
        {1: 3_333, 2: 6_667, 3: 10_000}, {1: 6_667, 2: 13_333, 3: 20_000}, -8_000)


def test_defaults_are_the_regulations():
    p = PolicyValues()
    assert (p.card_limit(named=False), p.card_limit(named=True)) == (100_000, 500_000)
    assert [p.required_pct("ratio", t) for t in ("group", "brand", "scale")] == [20, 30, 40]
    assert p.required_pct("full", "group") == 100
    assert (p.complaint_threshold, p.complaint_window_days, p.cooling_off_days, p.closing_notice_days) == (3, 30, 7, 30)


@given(outstanding=fen, pct=pcts)
def test_required_is_the_share_rounded_up(outstanding, pct):
    required = required_escrow(outstanding, pct)
    assert required * 100 >= outstanding * pct > (required - 1) * 100 or required == 0


@given(data=st.data(), pct=pcts)
def test_a_charge_never_releases_more_than_consumed_nor_breaks_the_share(data, pct):
    outstanding = data.draw(positive)
    escrow = data.draw(st.integers(required_escrow(outstanding, pct), outstanding))
    amount = data.draw(st.integers(1, outstanding))
    released = charge_release(escrow, outstanding, amount, pct)
    assert 0 <= released <= amount
    assert escrow - released >= required_escrow(outstanding - amount, pct)
    if pct == 100 and escrow == outstanding:
        assert released == amount


@given(data=st.data(), pct=pcts)
def test_a_refund_pays_the_holder_exactly_from_what_exists(data, pct):
    outstanding = data.draw(positive)
    escrow = data.draw(st.integers(0, outstanding))
    settlement = data.draw(fen)
    balance = data.draw(st.integers(1, outstanding))
    paid, bonus = data.draw(positive), data.draw(st.integers(0, 10**9))
    to_holder = holder_share(balance, paid, bonus)
    assert 0 <= to_holder <= balance
    split = refund_split(escrow=escrow, outstanding=outstanding, settlement=settlement, balance=balance,
                         to_holder=to_holder, pct=pct)
    if split is None:
        assert escrow + settlement < to_holder
        return
    assert split.escrow_to_holder + split.settlement_to_holder == to_holder
    assert split.escrow_to_holder + split.escrow_to_merchant <= escrow
    assert 0 <= split.settlement_to_holder <= settlement
    assert 0 <= split.escrow_to_merchant <= balance - to_holder
    free = max(0, escrow - required_escrow(outstanding - balance, pct))
    if split.escrow_to_holder + split.escrow_to_merchant > free:
        # Escrow goes below the share of the remaining cards only once the merchant's settlement has been
        # used up, and never to release a bonus share to the merchant.
        assert split.settlement_to_holder == settlement and split.escrow_to_merchant == 0


@given(balances=st.dictionaries(st.integers(1, 50), positive, min_size=1, max_size=20), escrow=fen, settlement=fen)
def test_a_default_pays_what_exists_pro_rata_and_empties_escrow(balances, escrow, settlement):
    owed = sum(balances.values())
    d = default_split(escrow=escrow, settlement=settlement, balances=balances)
    paid = sum(d.payouts.values())
    assert paid == min(owed, escrow + settlement)
    assert d.from_escrow == escrow
    assert paid == escrow - d.settlement_delta  # what left escrow and settlement, less any surplus returned
    for card, balance in balances.items():
        assert d.payouts[card] + d.unrecovered[card] == balance
        assert 0 <= d.payouts[card] <= balance
        assert abs(d.payouts[card] * owed - paid * balance) < owed  # within a fen of the exact share
