"""Properties of the coupon rules that need no database: the lottery recomputes identically and
notices any change to its inputs; a refund's split between resident and city always adds up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from wallet_api.coupons import lottery
from wallet_api.coupons.redemption import refund_shares

seeds = st.binary(min_size=16, max_size=64).map(bytes.hex)
tickets = st.lists(st.binary(min_size=8, max_size=8).map(bytes.hex), min_size=1, max_size=60, unique=True)


def honest_record(seed: str, entries: list[str], quantity: int) -> dict:
    registrants = sorted(entries)
    k = min(quantity, len(registrants))
    closes = datetime(2026, 11, 22, 10, tzinfo=UTC)
    return {"algorithm": "anxin-draw-v1", "campaign_id": 1, "round": 1, "quantity": quantity,
            "commitment": lottery.commitment_of(seed), "committed_at": (closes - timedelta(hours=1)).isoformat(),
            "registration_closes_at": closes.isoformat(), "registrants": registrants,
            "registrants_hash": lottery.registrants_hash(registrants), "seed": seed, "winners_count": k,
            "winners": lottery.winners(seed, registrants, k)}


@given(seeds, tickets, st.integers(0, 80), st.randoms())
def test_winners_are_a_function_of_the_seed_and_the_set_of_registrants(seed, entries, k, rnd):
    shuffled = list(entries)
    rnd.shuffle(shuffled)
    won = lottery.winners(seed, entries, k)
    assert won == lottery.winners(seed, shuffled, k)          # order of registration does not matter
    assert len(won) == min(k, len(entries)) and len(set(won)) == len(won) and set(won) <= set(entries)
    assert won == lottery.winners(seed, entries, k + 1)[:len(won)]  # one more coupon only adds a winner


@given(seeds, tickets, st.integers(1, 80))
def test_an_honest_record_verifies(seed, entries, quantity):
    check = lottery.verify_record(honest_record(seed, entries, quantity))
    assert check.ok, check.problems


@given(seeds, seeds, tickets, st.integers(1, 80))
def test_a_different_seed_is_detected(seed, other, entries, quantity):
    record = honest_record(seed, entries, quantity)
    record["seed"] = other
    assert lottery.verify_record(record).ok == (other == seed)


@given(seeds, tickets, st.integers(1, 80), st.data())
def test_a_changed_registrant_list_is_detected(seed, entries, quantity, data):
    record = honest_record(seed, entries, quantity)
    published_hash = record["registrants_hash"]
    changed = list(record["registrants"])
    if len(changed) > 1 and data.draw(st.booleans(), label="drop one"):
        changed.remove(data.draw(st.sampled_from(changed), label="dropped"))
    else:
        extra = data.draw(st.binary(min_size=8, max_size=8).map(bytes.hex).filter(lambda t: t not in changed))
        changed = sorted([*changed, extra])
    # Even a forger who recomputes the hash and the winners is caught against the hash published at close.
    forged = record | {"registrants": changed, "registrants_hash": lottery.registrants_hash(changed)}
    forged["winners_count"] = min(quantity, len(changed))
    forged["winners"] = lottery.winners(seed, changed, forged["winners_count"])
    assert not lottery.verify_record(record | {"registrants": changed}).ok
    assert not lottery.verify_record(forged, registrants_hash_expected=published_hash).ok


@given(seeds, tickets.filter(lambda t: len(t) >= 3), st.integers(1, 2))
def test_a_swapped_winner_is_detected(seed, entries, quantity):
    record = honest_record(seed, entries, quantity)
    loser = next(t for t in record["registrants"] if t not in record["winners"])
    record["winners"] = [loser, *record["winners"][1:]]
    assert not lottery.verify_record(record).ok


@st.composite
def refund_plans(draw) -> tuple[int, int, list[int]]:
    """A payment X, its subsidy Y < X, and a series of refunds that add up to X."""
    amount = draw(st.integers(2, 10**7))
    subsidy = draw(st.integers(1, amount - 1))
    cuts = sorted(draw(st.sets(st.integers(1, amount - 1), max_size=8)))
    bounds = [0, *cuts, amount]
    return amount, subsidy, [b - a for a, b in zip(bounds, bounds[1:], strict=False)]


@given(refund_plans())
def test_refund_shares_add_up_and_return_exactly_what_each_side_paid(plan):
    amount, subsidy, refunds = plan
    refunded = subsidy_back = 0
    for refund in refunds:
        to_payer, to_subsidy = refund_shares(amount, subsidy, refunded, subsidy_back, refund)
        assert to_payer >= 0 and to_subsidy >= 0 and to_payer + to_subsidy == refund
        refunded, subsidy_back = refunded + refund, subsidy_back + to_subsidy
        # never more back to the city than its proportional share so far
        assert subsidy_back * amount <= refunded * subsidy
    assert (refunded - subsidy_back, subsidy_back) == (amount - subsidy, subsidy)
