"""Property: whatever mix of delegated payments, limit edits and the elder's own payments, the server
answers each delegated payment exactly as a two-line model of the grant says, and the day's count and
the balance end where the model says (both databases, through the real API)."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import key
from tests.wallet_api.family_world import acting_for, grant, link
from wallet_api.family.models import FamilyLink

_names = itertools.count()
amounts = st.integers(min_value=1, max_value=9_000)
ops = st.lists(st.one_of(
    st.tuples(st.just("relative_pays"), amounts),
    st.tuples(st.just("elder_pays"), st.integers(min_value=1, max_value=4_000)),
    st.tuples(st.just("elder_edits"), st.integers(min_value=1, max_value=9_000), st.integers(min_value=0, max_value=20_000)),
), min_size=1, max_size=12)


def expected(amount: int, per_payment: int, per_day: int, spent: int, balance: int) -> str:
    if amount > per_payment:
        return "per_payment"
    if spent + amount > per_day:
        return "per_day"
    if amount > balance:
        return "insufficient_funds"
    return "paid"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(balance=st.integers(min_value=0, max_value=30_000), per_payment=st.integers(min_value=1, max_value=9_000),
       extra_day=st.integers(min_value=0, max_value=20_000), steps=ops)
def test_delegated_payments_follow_the_grant_model(api, client, db, balance, per_payment, extra_day, steps):
    n = next(_names)
    elder = api.funded(f"elder{n}", balance) if balance else api.register(f"elder{n}")
    son = api.register(f"son{n}")
    _owner, shop = api.merchant(f"shop{n}")
    per_day = per_payment + extra_day
    link_id = link(api, elder, son, ["view", "pay_merchants"], per_payment=per_payment, per_day=per_day)["id"]
    spent = 0
    for step in steps:
        if step[0] == "elder_edits":
            per_payment, per_day = step[1], step[1] + step[2]
            r = client.put(f"/v1/family/links/{link_id}/grant", headers=elder.headers,
                           json=grant(["view", "pay_merchants"], per_payment=per_payment, per_day=per_day))
            assert r.status_code == 200, r.text
            continue
        amount = step[1]
        if step[0] == "elder_pays":
            r = api.pay(elder, shop["id"], amount)
            assert r.status_code == (201 if amount <= balance else 409), r.text
            balance -= amount if r.status_code == 201 else 0
            continue
        want = expected(amount, per_payment, per_day, spent, balance)
        r = client.post("/v1/payments/merchant", json={"merchant_id": shop["id"], "amount_fen": amount},
                        headers=acting_for(son, elder) | {"Idempotency-Key": key()})
        got = "paid" if r.status_code == 201 else r.json().get("limit", r.json()["code"])
        assert got == want, (step, r.text)
        if got == "paid":
            spent, balance = spent + amount, balance - amount
    assert api.balance(elder) == balance
    with db() as s:
        link_row = s.get(FamilyLink, link_id)
        assert (link_row.spent_today if link_row.spent_on else 0) == spent
