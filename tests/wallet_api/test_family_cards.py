"""Family cards over the real API (both databases): consent, paying shops from the giver's wallet within a
monthly cap counted in Asia/Shanghai months, the automatic fallback, pausing, limits, refunds to the giver,
coupons, and no person-to-person transfers."""

from __future__ import annotations

import pytest

from tests.helpers import key
from tests.wallet_api.family_money_world import (YUAN, Family, assert_family_money_invariants, clock, fam,  # noqa: F401
                                           problem)


@pytest.fixture
def people(api):
    son = api.funded("jianguo", 5_000 * YUAN)
    mum = api.funded("nainai", 100 * YUAN)
    owner, shop = api.merchant("lotus")
    return son, mum, owner, shop


def test_a_card_pays_the_shop_from_the_givers_wallet_and_tells_the_giver(fam: Family, api, app, people, clock):
    son, mum, owner, shop = people
    card = fam.card(son, mum, cap=500 * YUAN)
    assert (card["status"], card["left_this_month_fen"], card["month"]) == ("active", 500 * YUAN, "2026-11")

    r = fam.pay(mum, shop["id"], 120 * YUAN, funding=f"family_card:{card['id']}", pin="246810")
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert (receipt["family_card_id"], receipt["amount_fen"], receipt["payer"]) == (card["id"], 120 * YUAN, "Nainai")
    assert api.balance(son) == 4_880 * YUAN and api.balance(mum) == 100 * YUAN and fam.takings(shop) == 120 * YUAN
    [used] = [n for n in api.notifications(son) if n["message_key"] == "notice.family_card_used"]
    assert (used["category"], used["params"]["amount_fen"], used["params"]["holder"]) == ("transactional",
                                                                                        120 * YUAN, "Nainai")
    held = fam.cards(mum)["held"][0]
    assert (held["spent_this_month_fen"], held["left_this_month_fen"]) == (120 * YUAN, 380 * YUAN)
    [use] = fam.c.get(f"/v1/family-cards/{card['id']}/uses", headers=son.headers).json()
    assert (use["payment_id"], use["amount_fen"], use["payee"]) == (receipt["id"], 120 * YUAN, "莲花面馆")
    # It is in the giver's history, and its receipt opens for him too (not for anyone else).
    [line] = [i for i in api.history(son)["items"] if i["kind"] == "payment"]
    assert (line["amount_fen"], line["payment_id"], line["counterparty"]) == (-120 * YUAN, receipt["id"], "莲花面馆")
    assert fam.c.get(f"/v1/payments/{receipt['id']}", headers=son.headers).json()["family_card_id"] == card["id"]
    stranger = api.register("stranger")
    assert fam.c.get(f"/v1/payments/{receipt['id']}", headers=stranger.headers).status_code == 404
    assert_family_money_invariants(app)


def test_the_cap_holds_within_a_shanghai_month_and_renews_at_its_midnight(fam: Family, api, app, people, clock):
    son, mum, _owner, shop = people
    card = fam.card(son, mum, cap=50 * YUAN)
    funding = f"family_card:{card['id']}"
    assert fam.pay(mum, shop["id"], 30 * YUAN, funding).status_code == 201
    over = problem(fam.pay(mum, shop["id"], 21 * YUAN, funding), 409, "family_card_cap_reached")
    assert over["left_fen"] == 20 * YUAN
    assert fam.pay(mum, shop["id"], 20 * YUAN, funding).status_code == 201
    problem(fam.pay(mum, shop["id"], 1, funding), 409, "family_card_cap_reached")

    clock.advance(minutes=29)  # 23:59 in Shanghai (15:59 UTC): still November
    problem(fam.pay(mum, shop["id"], 1, funding), 409, "family_card_cap_reached")
    clock.advance(minutes=1)   # midnight in Shanghai, 16:00 UTC on 30 November: December
    assert fam.cards(mum)["held"][0]["month"] == "2026-12"
    assert fam.pay(mum, shop["id"], 50 * YUAN, funding).status_code == 201
    assert api.balance(son) == 4_900 * YUAN
    assert_family_money_invariants(app)


def test_without_a_choice_the_card_pays_only_when_the_wallet_is_short(fam: Family, api, app, people, clock):
    son, mum, owner, shop = people
    card = fam.card(son, mum, cap=300 * YUAN)
    r = fam.pay(mum, shop["id"], 40 * YUAN)
    assert r.status_code == 201 and r.json()["family_card_id"] is None   # enough in her wallet
    assert api.balance(mum) == 60 * YUAN
    r = fam.pay(mum, shop["id"], 80 * YUAN, pin="246810")
    assert r.status_code == 201 and r.json()["family_card_id"] == card["id"]  # short: the card steps in
    assert (api.balance(mum), api.balance(son)) == (60 * YUAN, 4_920 * YUAN)
    problem(fam.pay(mum, shop["id"], 80 * YUAN, "wallet", pin="246810"), 409, "insufficient_funds")
    problem(fam.pay(mum, shop["id"], 250 * YUAN, pin="246810"), 409, "insufficient_funds")  # no card has room
    assert fam.takings(shop) == 120 * YUAN
    assert_family_money_invariants(app)


def test_a_paused_card_pays_nothing_until_resumed(fam: Family, api, app, people, clock):
    son, mum, _owner, shop = people
    card = fam.card(son, mum)
    r = fam.pause(son, card["id"])
    assert r.status_code == 200 and r.json()["status"] == "paused"
    assert any(n["message_key"] == "notice.family_card_paused" for n in api.notifications(mum))
    problem(fam.pay(mum, shop["id"], 10 * YUAN, f"family_card:{card['id']}"), 409, "family_card_paused")
    problem(fam.pay(mum, shop["id"], 200 * YUAN, pin="246810"), 409, "insufficient_funds")  # no fallback to it
    problem(fam.pause(mum, card["id"]), 404, "family_card_not_found")  # only the giver pauses
    assert fam.pause(son, card["id"], False).json()["status"] == "active"
    assert fam.pay(mum, shop["id"], 10 * YUAN, f"family_card:{card['id']}").status_code == 201
    assert api.balance(son) == 4_990 * YUAN


def test_refunds_go_back_to_the_giver_and_give_the_month_its_room_back(fam: Family, api, app, people, clock):
    son, mum, owner, shop = people
    card = fam.card(son, mum, cap=100 * YUAN)
    paid = fam.pay(mum, shop["id"], 100 * YUAN, f"family_card:{card['id']}", pin="246810").json()
    assert api.refund(owner, paid["id"], 30 * YUAN).status_code == 201
    assert (api.balance(son), api.balance(mum), fam.takings(shop)) == (4_930 * YUAN, 100 * YUAN, 70 * YUAN)
    assert fam.cards(son)["given"][0]["left_this_month_fen"] == 30 * YUAN
    assert [n["params"]["amount_fen"] for n in api.notifications(son)
            if n["message_key"] == "notice.family_card_refund"] == [30 * YUAN]
    assert any(n["message_key"] == "notice.family_card_refund_to_giver" for n in api.notifications(mum))
    assert not any(n["message_key"] == "notice.refund_received" for n in api.notifications(mum))
    assert api.refund(owner, paid["id"], 70 * YUAN).status_code == 201
    assert api.balance(son) == 5_000 * YUAN
    problem(api.refund(owner, paid["id"], 1), 409, "refund_exceeds_payment")
    assert_family_money_invariants(app)


def test_family_cards_never_pay_people(fam: Family, api, app, people, clock):
    son, mum, _owner, _shop = people
    card = fam.card(son, mum)
    r = fam.c.post("/v1/payments/p2p", json={"to_username": "jianguo", "amount_fen": 100,
                                             "funding": f"family_card:{card['id']}"},
                   headers=mum.headers | {"Idempotency-Key": key()})
    problem(r, 422, "family_card_not_for_transfers")
    assert (api.balance(son), api.balance(mum)) == (5_000 * YUAN, 100 * YUAN)


def test_consent_limits_and_bad_offers(fam: Family, api, app, people, clock, settings):
    son, mum, _owner, shop = people
    offer = fam.offer(son, mum, 100 * YUAN).json()
    assert offer["status"] == "offered"
    assert any(n["message_key"] == "notice.family_card_offered" for n in api.notifications(mum))
    problem(fam.pay(mum, shop["id"], 10, f"family_card:{offer['id']}"), 409, "family_card_closed")  # not accepted
    problem(fam.c.post(f"/v1/family-cards/{offer['id']}/accept", headers=son.headers), 404, "family_card_not_found")
    problem(fam.offer(son, mum, 100 * YUAN), 409, "family_card_exists")
    assert fam.c.post(f"/v1/family-cards/{offer['id']}/decline", headers=mum.headers).json()["status"] == "declined"
    problem(fam.c.post(f"/v1/family-cards/{offer['id']}/accept", headers=mum.headers), 409, "family_card_not_offered")

    refused = problem(fam.offer(son, mum, settings.family_card_max_cap_fen + 1), 422, "family_card_cap_out_of_range")
    # The range is in the refusal, and said before anyone types a cap (the app's screen shows it).
    assert (refused["min_fen"], refused["max_fen"]) == (settings.family_card_min_cap_fen,
                                                        settings.family_card_max_cap_fen)
    listed = fam.c.get("/v1/family-cards", headers=son.headers).json()
    assert (listed["cap_min_fen"], listed["cap_max_fen"]) == (settings.family_card_min_cap_fen,
                                                              settings.family_card_max_cap_fen)
    problem(fam.offer(son, son, 100), 422, "self_payment")
    assert fam.offer(son, mum, 0).status_code == 422

    # A giver gives at most 4 (offered, active or paused); a holder holds at most 3.
    others = [api.register(f"kin{n}") for n in range(5)]
    for person in others[:4]:
        assert fam.offer(son, person, 100).status_code == 201
    problem(fam.offer(son, others[4], 100), 409, "family_card_give_limit")
    givers = [api.funded(f"giver{n}", 100) for n in range(4)]
    for giver in givers[:3]:
        fam.card(giver, mum, cap=100)
    late = fam.offer(givers[3], mum, 100)
    problem(late, 409, "family_card_hold_limit")
    closed = fam.cards(mum)["held"][0]
    assert fam.c.post(f"/v1/family-cards/{closed['id']}/close", headers=mum.headers).json()["status"] == "closed"
    assert fam.offer(givers[3], mum, 100).status_code == 201


def test_a_coupon_and_a_family_card_together(fam: Family, api, app, db, people):
    from tests.wallet_api.coupons_support import claimed, funded_campaign, make_issuer, verify
    son, mum, owner, shop = people
    verify(api, mum, 1)
    issuer = make_issuer(api, db)
    campaign = funded_campaign(api, issuer)
    coupon = claimed(api, mum, campaign["id"])
    card = fam.card(son, mum, cap=200 * YUAN)
    r = fam.pay(mum, shop["id"], 150 * YUAN, f"family_card:{card['id']}", pin="246810", coupon_id=coupon["id"])
    assert r.status_code == 201, r.text
    assert (r.json()["subsidy_fen"], r.json()["family_card_id"]) == (30 * YUAN, card["id"])
    assert (api.balance(son), api.balance(mum), fam.takings(shop)) == (4_880 * YUAN, 100 * YUAN, 150 * YUAN)
    assert fam.cards(son)["given"][0]["spent_this_month_fen"] == 120 * YUAN  # X - Y counts against the cap
    assert api.refund(owner, r.json()["id"], 150 * YUAN).status_code == 201
    assert (api.balance(son), api.balance(mum)) == (5_000 * YUAN, 100 * YUAN)  # the giver's share back to the giver
    assert_family_money_invariants(app)
