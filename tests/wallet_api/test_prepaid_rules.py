"""Escrow policies, automatic warnings, closing notices and expiry, through the real API on both
databases: the ratio policy and its withdrawals, a stricter policy that leaves a shortfall, the
over-limit, coverage, complaints and closing alerts (raised once while open, shown to both sides)."""

from __future__ import annotations

from tests.wallet_api.prepaid_world import (YUAN, assert_prepaid_invariants, clock, money_state,  # noqa: F401
                                            pay_out_settlement, pp, problem)


def test_ratio_policy_lets_the_merchant_withdraw_above_its_share(pp, app):
    salon = pp.shop("jade", "Jade Hair Salon", "beauty")
    regulator = pp.regulator()
    product = pp.product(salon, face=1_000 * YUAN)
    r = pp.set_policy(regulator, salon, "ratio", "scale")  # 40 %
    assert r.status_code == 200 and r.json()["required_pct"] == 40
    ann = pp.api.funded("ann", 3_000 * YUAN)
    card = pp.card_of(ann, product["id"])
    assert pp.overview(salon)["withdrawable_fen"] == 60_000

    before = money_state(app)
    body = problem(pp.withdraw(salon, 60_001), 409, "prepaid_escrow_withdrawal_refused")
    assert (body["available_fen"], body["required_fen"]) == (60_000, 40_000)
    assert money_state(app) == before
    r = pp.withdraw(salon, 60_000)
    assert r.status_code == 201, r.text
    assert (r.json()["escrow_fen"], pp.settlement(salon)) == (40_000, 60_000)
    assert_prepaid_invariants(app)

    # A charge now releases only what escrow can spare: 40 % of the consumption (the rest was advanced).
    charged = pp.charge(salon, card["id"], 10_000, "colour").json()
    assert (charged["released_fen"], pp.escrow(salon), pp.settlement(salon)) == (4_000, 36_000, 64_000)
    assert_prepaid_invariants(app)

    # A refund is paid from the freed escrow first, then the salon's settlement (where the advance went).
    r = pp.refund(ann, card["id"])
    assert r.json()["refunded_fen"] == 90_000
    assert (pp.escrow(salon), pp.settlement(salon), pp.api.balance(ann)) == (0, 10_000, 290_000)
    assert_prepaid_invariants(app)


def test_full_policy_refuses_every_withdrawal(pp, app):
    gym = pp.shop("irongym", "Iron Gym")
    pp.card_of(pp.api.funded("ann", 500 * YUAN), pp.product(gym, face=100 * YUAN)["id"])
    body = problem(pp.withdraw(gym, 1), 409, "prepaid_escrow_withdrawal_refused")
    assert body["available_fen"] == 0 and "full-escrow" in body["detail"]


def test_a_stricter_policy_tops_escrow_up_and_alerts_what_it_cannot(pp, app):
    """Ratio, withdraw the maximum, spend the settlement on a bonus card, then back to full: escrow takes
    what the settlement has; the rest is a critical alert (and the audit accepts the shortfall only
    while that alert is open). Consumption then closes the gap before anything is released."""
    salon = pp.shop("jade", "Jade Hair Salon", "beauty")
    regulator = pp.regulator()
    plain = pp.product(salon, name="plain", face=1_000 * YUAN)
    bonus = pp.product(salon, name="bonus", face=200 * YUAN, bonus=500 * YUAN)
    pp.set_policy(regulator, salon, "ratio", "scale")
    ann, ben = pp.api.funded("ann", 2_000 * YUAN), pp.api.funded("ben", 2_000 * YUAN)
    first = pp.card_of(ann, plain["id"])
    assert pp.withdraw(salon, 60_000).status_code == 201
    pp.card_of(ben, bonus["id"])  # the salon funds 500 CNY of bonus from its 600 CNY settlement
    assert (pp.escrow(salon), pp.settlement(salon)) == (110_000, 10_000)
    assert pp.alerts(regulator) == []

    r = pp.set_policy(regulator, salon, "full")
    assert r.status_code == 200, r.text
    assert (pp.escrow(salon), pp.settlement(salon)) == (120_000, 0)  # swept what there was
    [alert] = pp.alerts(regulator)
    assert (alert["type"], alert["severity"], alert["evidence"]["shortfall_fen"]) == (
        "escrow_below_required", "critical", 50_000)
    merchant_side = pp.c.get(f"/v1/prepaid/merchants/{salon.id}/alerts", headers=salon.owner.headers).json()
    assert [a["id"] for a in merchant_side] == [alert["id"]]
    assert any("escrow" in n["text"] for n in pp.api.notifications(regulator))
    assert_prepaid_invariants(app)

    for _ in range(3):  # 60,000 consumed: the first 50,000 closes the gap, only then is anything released
        pp.charge(salon, first["id"], 20_000)
    assert (pp.escrow(salon), pp.settlement(salon)) == (110_000, 10_000)
    assert pp.alerts(regulator) == []
    closed = pp.alerts(regulator, open_only=False)
    assert closed[0]["resolved_at"] is not None
    assert_prepaid_invariants(app)


def test_sale_and_top_up_above_the_limit_are_refused_but_alerted_once(pp, app):
    gym = pp.shop("irongym", "Iron Gym")
    regulator = pp.regulator()
    problem(pp.define(gym, face=1_000 * YUAN + 1), 409, "prepaid_card_limit_exceeded")  # anonymous: 1,000 CNY
    product = pp.product(gym, face=900 * YUAN)
    ann = pp.api.funded("ann", 3_000 * YUAN)
    card = pp.card_of(ann, product["id"])

    before = money_state(app)
    body = problem(pp.top_up(ann, card["id"], 100 * YUAN + 1), 409, "prepaid_card_limit_exceeded")
    assert (body["limit_fen"], body["attempted_balance_fen"]) == (100_000, 100_001)
    assert money_state(app) == before  # refused: nothing moved ...
    [alert] = pp.alerts(regulator)     # ... but the attempt is on record
    assert (alert["type"], alert["occurrences"], alert["evidence"]["card_id"]) == ("card_over_limit", 1, card["id"])
    problem(pp.top_up(ann, card["id"], 200 * YUAN), 409, "prepaid_card_limit_exceeded")
    [alert] = pp.alerts(regulator)
    assert alert["occurrences"] == 2  # not duplicated while open
    assert pp.top_up(ann, card["id"], 100 * YUAN).status_code == 201  # exactly the limit is fine

    r = pp.c.post(f"/v1/regulator/prepaid/alerts/{alert['id']}/acknowledge", headers=regulator.headers)
    assert r.status_code == 200 and not r.json()["open"]
    # The regulator lowers the limit: now the sale itself is over it, and a new alert opens.
    assert pp.programme(regulator, anonymous_card_limit_fen=500 * YUAN).status_code == 200
    problem(pp.buy(ann, product["id"]), 409, "prepaid_card_limit_exceeded")
    [fresh] = pp.alerts(regulator)
    assert fresh["id"] != alert["id"] and fresh["evidence"]["operation"] == "sale"
    assert pp.api.balance(ann) == 200_000
    assert_prepaid_invariants(app)


def test_named_cards_need_a_real_name_and_get_the_higher_limit(pp, app):
    gym = pp.shop("irongym", "Iron Gym")
    named = pp.product(gym, face=3_000 * YUAN, named=True)
    ann = pp.api.funded("ann", 5_000 * YUAN)
    problem(pp.buy(ann, named["id"]), 403, "prepaid_real_name_required")
    ben = pp.verified("ben", 5_000 * YUAN)
    card = pp.card_of(ben, named["id"])
    assert card["named"] and card["balance_fen"] == 300_000
    problem(pp.top_up(ben, card["id"], 2_000 * YUAN + 1), 409, "prepaid_card_limit_exceeded")
    assert_prepaid_invariants(app)


def test_complaints_raise_an_alert_at_three_open_in_thirty_days(pp, app, clock):
    salon = pp.shop("jade", "Jade Hair Salon", "beauty")
    regulator = pp.regulator()
    product = pp.product(salon, face=100 * YUAN)
    people = [pp.api.funded(name, 500 * YUAN) for name in ("ann", "ben", "cai", "dai")]
    for person in people:
        pp.card_of(person, product["id"])
    outsider = pp.api.funded("eve", 500 * YUAN)
    problem(pp.complain(outsider, salon), 403, "prepaid_complaint_not_allowed")

    old = pp.complain(people[0], salon, "quality", "Bad cut.")
    assert old.status_code == 201, old.text
    problem(pp.complain(people[0], salon), 409, "prepaid_complaint_already_open")
    clock.advance(days=31)  # the first complaint falls out of the window
    pp.complain(people[1], salon)
    pp.complain(people[2], salon)
    assert pp.alerts(regulator) == []
    third = pp.complain(people[3], salon, "refund_refused", "Will not refund my card.")
    assert third.status_code == 201
    [alert] = pp.alerts(regulator)
    assert (alert["type"], alert["evidence"]["open_complaints"], alert["evidence"]["threshold"]) == ("complaints", 3, 3)
    assert any("complaint" in n["text"] for n in pp.api.notifications(salon.owner))

    # Acknowledging a condition alert records it was seen; it closes when the complaints are dealt with.
    r = pp.c.post(f"/v1/regulator/prepaid/alerts/{alert['id']}/acknowledge", headers=regulator.headers)
    assert r.json()["acknowledged_at"] and r.json()["open"]
    r = pp.c.post(f"/v1/regulator/prepaid/complaints/{third.json()['id']}/resolve",
                  json={"resolution": "Refund arranged."}, headers=regulator.headers)
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    assert pp.alerts(regulator) == []
    mine = pp.c.get("/v1/prepaid/complaints", headers=people[3].headers).json()
    assert [(c["status"], c["resolution"]) for c in mine] == [("resolved", "Refund arranged.")]
    assert len(pp.c.get("/v1/regulator/prepaid/complaints", headers=regulator.headers).json()) == 3


def test_closing_notice_stops_sales_warns_everyone_and_frees_refunds(pp, app, clock):
    gym = pp.shop("irongym", "Iron Gym")
    regulator = pp.regulator()
    product = pp.product(gym, face=200 * YUAN)
    ann, ben = pp.api.funded("ann", 500 * YUAN), pp.api.funded("ben", 500 * YUAN)
    a, b = pp.card_of(ann, product["id"]), pp.card_of(ben, product["id"])
    pp.charge(gym, a["id"], 5_000)
    assert pp.programme(regulator, balance_refunds_allowed=False).status_code == 200
    problem(pp.refund(ann, a["id"]), 409, "prepaid_balance_refund_not_allowed")

    r = pp.notice(gym)
    assert r.status_code == 201, r.text
    assert (r.json()["outstanding_fen"], r.json()["holders_notified"]) == (35_000, 2)
    problem(pp.notice(gym), 409, "prepaid_closing_notice_given")
    [alert] = pp.alerts(regulator)
    assert alert["type"] == "closing_with_balances"
    assert any("closes on" in n["text"] for n in pp.api.notifications(ben))
    problem(pp.buy(ann, product["id"]), 409, "prepaid_merchant_closing")
    problem(pp.top_up(ann, a["id"], 100), 409, "prepaid_merchant_closing")
    assert pp.charge(gym, b["id"], 5_000).status_code == 201  # cards can be used up during the notice
    assert pp.refund(ann, a["id"]).json()["refunded_fen"] == 15_000  # policy says no, closing says yes

    clock.advance(days=30)
    problem(pp.charge(gym, b["id"], 100), 409, "prepaid_merchant_closed")
    assert [r["standing"] for r in pp.coverage(regulator)] == ["closed"]
    assert pp.refund(ben, b["id"]).json()["refunded_fen"] == 15_000
    assert pp.alerts(regulator) == []  # nothing left on its cards: the closing alert resolved itself
    assert_prepaid_invariants(app)


def test_expired_cards_cannot_be_charged_but_can_be_refunded(pp, app, clock):
    gym = pp.shop("irongym", "Iron Gym")
    product = pp.product(gym, face=100 * YUAN, days=30)
    ann = pp.api.funded("ann", 500 * YUAN)
    card = pp.card_of(ann, product["id"])
    clock.advance(days=30)
    assert pp.card(ann, card["id"])["expired"]
    problem(pp.charge(gym, card["id"], 100), 409, "prepaid_card_expired")
    problem(pp.top_up(ann, card["id"], 100), 409, "prepaid_card_expired")
    assert pp.refund(ann, card["id"]).json()["refunded_fen"] == 10_000
    assert_prepaid_invariants(app)


def test_the_regulator_view_and_who_may_use_it(pp, app):
    gym, salon = pp.shop("irongym", "Iron Gym"), pp.shop("jade", "Jade Hair Salon", "beauty")
    regulator = pp.regulator()
    ann = pp.api.funded("ann", 2_000 * YUAN)
    pp.card_of(ann, pp.product(gym, face=300 * YUAN)["id"])
    pp.card_of(ann, pp.product(salon, face=500 * YUAN)["id"])
    pp.set_policy(regulator, salon, "ratio", "group")  # 20 %
    pp.withdraw(salon, 40_000)
    rows = pp.coverage(regulator)
    assert [(r["name"], r["outstanding_fen"], r["escrow_fen"], r["required_fen"], r["coverage_ratio"])
            for r in rows] == [("Jade Hair Salon", 50_000, 10_000, 10_000, 0.2), ("Iron Gym", 30_000, 30_000,
                                                                                    30_000, 1.0)]
    for path in ("/v1/regulator/prepaid/merchants", "/v1/regulator/prepaid/alerts", "/v1/regulator/prepaid/policy"):
        problem(pp.c.get(path, headers=ann.headers), 403, "forbidden")
    problem(pp.default(ann, gym), 403, "forbidden")
    problem(pp.set_policy(gym.owner, gym, "ratio"), 403, "forbidden")
    policy = pp.c.get("/v1/regulator/prepaid/policy", headers=regulator.headers).json()
    assert (policy["anonymous_card_limit_fen"], policy["named_card_limit_fen"], policy["ratio_group_pct"],
            policy["ratio_brand_pct"], policy["ratio_scale_pct"], policy["complaint_threshold"],
            policy["complaint_window_days"], policy["cooling_off_days"]) == (100_000, 500_000, 20, 30, 40, 3, 30, 7)
    assert_prepaid_invariants(app)


def test_default_under_ratio_pays_escrow_then_settlement_then_pro_rata(pp, app):
    """Escrow 12,000 and settlement 8,000 for 60,000 owed: each holder gets a third of the balance, the
    rounding fen going to the largest remainder; the rest is recorded as unrecovered, and said so."""
    salon = pp.shop("jade", "Jade Hair Salon", "beauty")
    regulator = pp.regulator()
    pp.set_policy(regulator, salon, "ratio", "group")  # 20 %
    holders, cards = [], []
    for n, face in enumerate((100, 200, 300)):
        person = pp.api.funded(f"holder{n}", 1_000 * YUAN)
        holders.append(person)
        cards.append(pp.card_of(person, pp.product(salon, name=f"p{n}", face=face * YUAN)["id"]))
    assert pp.withdraw(salon, 48_000).status_code == 201
    pay_out_settlement(app, salon.settlement_account_id, 40_000)
    wallets = [pp.api.balance(p) for p in holders]

    r = pp.default(regulator, salon)
    assert r.status_code == 201, r.text
    assert (r.json()["refunded_fen"], r.json()["unrecovered_fen"]) == (20_000, 40_000)
    assert [pp.api.balance(p) - before for p, before in zip(holders, wallets)] == [3_333, 6_667, 10_000]
    assert [pp.card(p, c["id"])["unrecovered_fen"] for p, c in zip(holders, cards)] == [6_667, 13_333, 20_000]
    assert (pp.escrow(salon), pp.settlement(salon)) == (0, 0)
    assert any("could not be recovered" in n["text"] for n in pp.api.notifications(holders[0]))
    assert_prepaid_invariants(app)


def test_a_ratio_refund_beyond_the_free_escrow_dips_coverage_and_warns(pp, app):
    """The holder is made whole from the rest of escrow when the settlement has been paid out; the
    escrow then covers less than its share of the other cards, and the regulator is warned."""
    salon = pp.shop("jade", "Jade Hair Salon", "beauty")
    regulator = pp.regulator()
    pp.set_policy(regulator, salon, "ratio", "scale")  # 40 %
    product = pp.product(salon, face=500 * YUAN)
    ann, ben = pp.api.funded("ann", 1_000 * YUAN), pp.api.funded("ben", 1_000 * YUAN)
    a, _b = pp.card_of(ann, product["id"]), pp.card_of(ben, product["id"])
    assert pp.withdraw(salon, 60_000).status_code == 201  # escrow 40,000 = 40 % of 100,000
    pay_out_settlement(app, salon.settlement_account_id, 45_000)

    r = pp.refund(ann, a["id"])
    assert r.status_code == 201, r.text
    assert r.json()["refunded_fen"] == 50_000
    # free escrow 20,000 + settlement 15,000 + 15,000 more from escrow: 5,000 left for Ben's 50,000.
    assert (pp.escrow(salon), pp.settlement(salon)) == (5_000, 0)
    [alert] = pp.alerts(regulator)
    assert (alert["type"], alert["evidence"]["required_fen"], alert["evidence"]["escrow_fen"]) == (
        "escrow_below_required", 20_000, 5_000)
    assert_prepaid_invariants(app)
