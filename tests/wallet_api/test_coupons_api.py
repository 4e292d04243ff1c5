"""City coupons through the HTTP API, on SQLite and PostgreSQL: campaigns and their money, claims
and their limits, paying with a coupon (one balanced transfer), refunds, expiry and recycling,
promotion that respects the marketing opt-out, and the issuer's statistics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from wallet_api.audit import full_audit
from wallet_api.coupons.models import Coupon, CouponCampaign
from wallet_api.ledger import Posting
from wallet_api.notifications.models import Notification
from wallet_api.payments.models import Payment

from tests.helpers import PIN, Person, assert_books_balance, count_rows, key
from tests.wallet_api.coupons_support import (campaign_body, campaign_view, claim, claimed, create, expire_coupons,
                                              fund, funded_campaign, make_due, make_issuer, resident,
                                              settlement_balance, subsidy_balance, verify, when)


@dataclass
class Town:
    city: Person
    alice: Person          # real-name verified, 1,000 CNY
    lotus_owner: Person
    lotus: dict[str, Any]  # a dining shop in weihai-huancui
    campaign: dict[str, Any]


@pytest.fixture
def town(api, db) -> Town:
    city = make_issuer(api, db)
    alice = resident(api, "alice", 1, top_up=100_000)
    owner, lotus = api.merchant("lotus")
    return Town(city, alice, owner, lotus, funded_campaign(api, city))


def audit_ok(app) -> None:
    assert_books_balance(app)
    with app.state.db() as s:
        report = full_audit(s, app.state.signer.public_key_hex)
    assert "coupons" in report.invariants_checked
    assert report.ok, [str(f) for f in report.findings]


def coupon_status(db, coupon_id: int) -> str:
    with db() as s:
        return s.get(Coupon, coupon_id).status


def test_claim_pay_with_coupon_and_refund_in_full(api, app, db, town):
    view = campaign_view(api, town.alice, town.campaign["id"])
    assert (view["open"], view["released"], view["available"], view["claimed"]) == (True, 10, 10, 0)

    coupon = claimed(api, town.alice, town.campaign["id"])
    assert coupon["status"] == "claimed" and coupon["value_fen"] == 3_000 and coupon["threshold_fen"] == 10_000
    view = campaign_view(api, town.alice, town.campaign["id"])
    assert (view["claimed"], view["available"], view["progress_percent"]) == (1, 9, 10)

    best = api.c.get("/v1/coupons/best", params={"merchant_id": town.lotus["id"], "amount_fen": 12_000},
                     headers=town.alice.headers).json()
    assert best["coupon"]["id"] == coupon["id"]
    assert (best["subsidy_fen"], best["you_pay_fen"], best["applicable"]) == (3_000, 9_000, 1)

    r = api.pay(town.alice, town.lotus["id"], 12_000, pin=PIN, coupon_id=coupon["id"])
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert (receipt["amount_fen"], receipt["subsidy_fen"], receipt["coupon_id"]) == (12_000, 3_000, coupon["id"])
    assert api.balance(town.alice) == 100_000 - 9_000
    assert settlement_balance(db, town.lotus["id"]) == 12_000
    assert subsidy_balance(db, town.campaign["id"]) == 30_000 - 3_000
    with db() as s:  # ONE transfer: resident -(X-Y), subsidy -Y, merchant +X
        legs = sorted(s.scalars(select(Posting.amount).where(Posting.transfer_id == receipt["transfer_id"])))
    assert legs == [-9_000, -3_000, 12_000]
    assert coupon_status(db, coupon["id"]) == "redeemed"

    again = api.pay(town.alice, town.lotus["id"], 12_000, pin=PIN, coupon_id=coupon["id"])
    assert again.status_code == 409 and again.json()["code"] == "coupon_already_used"
    assert api.balance(town.alice) == 91_000

    subsidy = api.c.get(f"/v1/coupons/merchants/{town.lotus['id']}/subsidy", headers=town.lotus_owner.headers)
    assert subsidy.json()["subsidy_received_fen"] == 3_000 and subsidy.json()["coupon_payments"] == 1
    assert api.c.get(f"/v1/coupons/merchants/{town.lotus['id']}/subsidy",
                     headers=town.alice.headers).status_code == 403

    r = api.refund(town.lotus_owner, receipt["id"], 12_000)
    assert r.status_code == 201, r.text
    with db() as s:  # the refund is one transfer too, reversing both legs
        legs = sorted(s.scalars(select(Posting.amount).where(Posting.transfer_id == r.json()["transfer_id"])))
    assert legs == [-12_000, 3_000, 9_000]
    assert api.balance(town.alice) == 100_000
    assert subsidy_balance(db, town.campaign["id"]) == 30_000
    assert settlement_balance(db, town.lotus["id"]) == 0
    assert coupon_status(db, coupon["id"]) == "claimed"  # still valid: given back
    assert "refunded you 90.00 CNY" in api.notifications(town.alice)[0]["text"]
    assert api.c.get("/v1/coupons/mine", headers=town.alice.headers).json()[0]["status"] == "claimed"
    audit_ok(app)


def test_partial_refunds_reverse_both_legs_in_proportion(api, app, db, town):
    coupon = claimed(api, town.alice, town.campaign["id"])
    payment = api.pay(town.alice, town.lotus["id"], 12_000, pin=PIN, coupon_id=coupon["id"]).json()

    assert api.refund(town.lotus_owner, payment["id"], 5_000).status_code == 201
    # 5,000 of 12,000 refunded: the city gets 5000 x 3000 / 12000 = 1,250 back, alice 3,750.
    assert subsidy_balance(db, town.campaign["id"]) == 27_000 + 1_250
    assert api.balance(town.alice) == 91_000 + 3_750
    assert coupon_status(db, coupon["id"]) == "redeemed"  # she kept part of the order
    audit_ok(app)

    assert api.refund(town.lotus_owner, payment["id"], 7_000).status_code == 201
    assert subsidy_balance(db, town.campaign["id"]) == 30_000
    assert api.balance(town.alice) == 100_000
    assert coupon_status(db, coupon["id"]) == "claimed"
    audit_ok(app)


def test_a_coupon_that_does_not_fit_is_refused_and_nothing_moves(api, app, db, town):
    coupon = claimed(api, town.alice, town.campaign["id"])
    _gym_owner, gym = api.merchant("gym", name="Iron Gym", category="fitness", local_name=None)
    far_owner = api.register("far")
    far = api.c.post("/v1/merchants", json={"name": "Qingdao Noodles", "category": "dining", "region": "qingdao",
                                            "city": "Qingdao"}, headers=far_owner.headers).json()
    bob = resident(api, "bob", 2, top_up=50_000)
    cases = [
        (town.alice, gym["id"], 12_000, "coupon_not_applicable"),     # wrong industry
        (town.alice, far["id"], 12_000, "coupon_not_applicable"),     # wrong region
        (town.alice, town.lotus["id"], 9_999, "coupon_threshold_not_met"),
        (bob, town.lotus["id"], 12_000, "coupon_not_found"),          # not his coupon
    ]
    for payer, merchant_id, amount, code in cases:
        before = (api.balance(payer), subsidy_balance(db, town.campaign["id"]), count_rows(app, Payment))
        r = api.pay(payer, merchant_id, amount, pin=PIN, coupon_id=coupon["id"])
        assert (r.status_code, r.json()["code"]) == ({"coupon_not_found": 404, "coupon_threshold_not_met": 422,
                                                      "coupon_not_applicable": 422}[code], code), r.text
        assert (api.balance(payer), subsidy_balance(db, town.campaign["id"]), count_rows(app, Payment)) == before

    proposal = api.c.get("/v1/coupons/best", params={"merchant_id": gym["id"], "amount_fen": 12_000},
                         headers=town.alice.headers).json()
    assert proposal["coupon"] is None and proposal["you_pay_fen"] == 12_000

    # Declining the proposal: pay without the coupon; it stays for another day.
    assert api.pay(town.alice, town.lotus["id"], 12_000, pin=PIN).status_code == 201
    assert api.balance(town.alice) == 88_000 and coupon_status(db, coupon["id"]) == "claimed"

    expire_coupons(db, coupon["id"])
    r = api.pay(town.alice, town.lotus["id"], 12_000, pin=PIN, coupon_id=coupon["id"])
    assert r.json()["code"] == "coupon_expired"
    assert api.balance(town.alice) == 88_000
    audit_ok(app)


def test_a_no_threshold_coupon_still_leaves_the_resident_something_to_pay(api, db, town):
    c = funded_campaign(api, town.city, name="No threshold", shape="no_threshold", threshold_fen=0, value_fen=1_000,
                        subsidy_budget_fen=10_000)
    coupon = claimed(api, town.alice, c["id"])
    r = api.pay(town.alice, town.lotus["id"], 1_000, coupon_id=coupon["id"])
    assert r.json()["code"] == "coupon_threshold_not_met"
    r = api.pay(town.alice, town.lotus["id"], 1_001, coupon_id=coupon["id"])
    assert r.status_code == 201 and api.balance(town.alice) == 100_000 - 1


def test_claims_need_a_real_name_and_respect_the_cap_across_accounts(api, db, town):
    cid = town.campaign["id"]
    stranger = api.register("stranger")
    r = claim(api, stranger, cid)
    assert (r.status_code, r.json()["code"]) == (403, "real_name_required")

    idem = key()
    first = claim(api, town.alice, cid, idem)
    retry = claim(api, town.alice, cid, idem)  # a retried claim returns the same coupon
    assert first.status_code == retry.status_code == 201
    assert first.json()["id"] == retry.json()["id"] and retry.headers["Idempotent-Replayed"] == "true"

    alt = api.register("alice2")   # the same natural person, a second account
    verify(api, alt, 1)
    assert claim(api, alt, cid).status_code == 201
    r = claim(api, alt, cid)
    assert (r.status_code, r.json()["code"], r.json()["cap"]) == (409, "coupon_cap_reached", 2)
    assert claim(api, town.alice, cid).json()["code"] == "coupon_cap_reached"
    mine = api.c.get("/v1/coupons/mine", headers=town.alice.headers).json()
    assert len(mine) == 1 and all(c["expires_at"] > c["claimed_at"] for c in mine)
    assert campaign_view(api, town.alice, cid)["claimed"] == 2


def test_a_batch_runs_out_and_the_next_one_opens_at_its_time(api, db, town):
    c = funded_campaign(api, town.city, name="Two batches", total_quantity=4, subsidy_budget_fen=12_000,
                        per_person_cap=1, batches=[{"release_at": when(minutes=-1), "quantity": 2},
                                                   {"release_at": when(days=1), "quantity": 2}])
    people = [resident(api, f"resident{i}", 10 + i) for i in range(4)]
    assert [claim(api, p, c["id"]).status_code for p in people[:2]] == [201, 201]
    r = claim(api, people[2], c["id"])
    assert (r.status_code, r.json()["code"]) == (409, "coupons_sold_out") and r.json()["next_release_at"]
    assert campaign_view(api, people[2], c["id"])["open"] is False

    make_due(db, c["id"], 2)   # a day later
    assert campaign_view(api, people[2], c["id"])["open"] is True
    assert [claim(api, p, c["id"]).status_code for p in people[2:]] == [201, 201]
    view = campaign_view(api, people[0], c["id"])
    assert (view["released"], view["claimed"], view["available"]) == (4, 4, 0)
    assert claim(api, town.alice, c["id"]).json()["code"] == "coupons_sold_out"


def test_a_subsidy_budget_that_runs_out_stops_claims_and_never_overdraws(api, app, db, town):
    c = create(api, town.city, name="Small budget", per_person_cap=5)
    r = fund(api, town.city, c["id"], 9_000)  # pays for 3 of the 10 coupons
    assert r.status_code == 201 and r.json()["released_now"] == 3
    codes = [claim(api, town.alice, c["id"]).status_code for _ in range(3)]
    r = claim(api, town.alice, c["id"])
    assert codes == [201] * 3 and (r.status_code, r.json()["code"]) == (409, "coupon_budget_exhausted")

    r = fund(api, town.city, c["id"], 30_000)
    assert (r.status_code, r.json()["code"], r.json()["fundable_fen"]) == (409, "subsidy_budget_exceeded", 21_000)
    idem = key()
    r = fund(api, town.city, c["id"], 3_000, idem)
    assert r.status_code == 201 and r.json()["released_now"] == 1 and r.json()["funded_fen"] == 12_000
    assert fund(api, town.city, c["id"], 3_000, idem).json() == r.json()  # a retry funds once
    assert claim(api, town.alice, c["id"]).status_code == 201

    coupons = api.c.get("/v1/coupons/mine", headers=town.alice.headers).json()
    for coupon in [x for x in coupons if x["campaign_id"] == c["id"]]:
        assert api.pay(town.alice, town.lotus["id"], 10_001, pin=PIN, coupon_id=coupon["id"]).status_code == 201
    assert subsidy_balance(db, c["id"]) == 0  # every yuan spent, none overdrawn
    audit_ok(app)


def test_expired_coupons_return_to_the_pool_when_the_campaign_says_so(api, app, db, town):
    bob = resident(api, "bob", 2)
    recycling = town.campaign
    keeping = funded_campaign(api, town.city, name="No recycling", recycle_expired=False)
    mine = [claimed(api, town.alice, recycling["id"]), claimed(api, bob, recycling["id"]),
            claimed(api, town.alice, keeping["id"])]
    expire_coupons(db, *(c["id"] for c in mine))
    assert {c["status"] for c in api.c.get("/v1/coupons/mine", headers=town.alice.headers).json()} == {"expired"}
    assert api.c.get("/v1/coupons/mine", params={"status": "claimed"}, headers=town.alice.headers).json() == []

    for campaign, expired, recycled in ((recycling, 2, 2), (keeping, 1, 0)):
        r = api.c.post(f"/v1/coupons/campaigns/{campaign['id']}/sweep", headers=town.city.headers)
        assert r.json() == {"expired": expired, "recycled": recycled}
    assert campaign_view(api, bob, recycling["id"])["available"] == 10   # both back in the pool
    assert campaign_view(api, bob, keeping["id"])["available"] == 9      # gone for good
    stats = api.c.get("/v1/coupons/stats", headers=town.city.headers).json()
    by_id = {s["campaign_id"]: s for s in stats["campaigns"]}
    assert (by_id[recycling["id"]]["expired"], by_id[recycling["id"]]["recycled"]) == (2, 2)
    assert (by_id[keeping["id"]]["expired"], by_id[keeping["id"]]["recycled"]) == (1, 0)
    audit_ok(app)


def test_a_refund_after_expiry_returns_the_money_but_not_the_coupon(api, app, db, town):
    coupon = claimed(api, town.alice, town.campaign["id"])
    payment = api.pay(town.alice, town.lotus["id"], 10_000, pin=PIN, coupon_id=coupon["id"]).json()
    expire_coupons(db, coupon["id"])
    assert api.refund(town.lotus_owner, payment["id"], 10_000).status_code == 201
    assert api.balance(town.alice) == 100_000 and subsidy_balance(db, town.campaign["id"]) == 30_000
    assert coupon_status(db, coupon["id"]) == "expired"
    assert campaign_view(api, town.alice, town.campaign["id"])["available"] == 10  # recycled into the pool
    audit_ok(app)


def test_promotion_is_never_pushed_to_residents_who_turned_marketing_off(api, db, town):
    keen = resident(api, "keen", 3)
    assert api.c.patch("/v1/me/preferences", json={"marketing_allowed": True}, headers=keen.headers).status_code == 200
    r = api.c.post(f"/v1/coupons/campaigns/{town.campaign['id']}/announce", headers=town.city.headers)
    assert r.status_code == 200
    assert r.json()["delivered"] == 1 and r.json()["suppressed"] >= 2  # alice and the shop owner opted out
    with db() as s:
        pushed = set(s.scalars(select(Notification.user_id).where(Notification.category == "marketing")))
    assert pushed == {keen.id}
    # alice was told nothing, but the coupon screen works for her and she can claim deliberately.
    listed = api.c.get("/v1/coupons/campaigns", headers=town.alice.headers).json()
    assert [c["id"] for c in listed] == [town.campaign["id"]]
    assert claim(api, town.alice, town.campaign["id"]).status_code == 201
    assert api.c.post(f"/v1/coupons/campaigns/{town.campaign['id']}/announce",
                      headers=town.alice.headers).status_code == 403


def test_residents_browse_by_industry_with_the_progress_of_the_issue(api, town):
    fitness = funded_campaign(api, town.city, name="Gyms", categories=["fitness"])
    claimed(api, town.alice, fitness["id"])
    listed = api.c.get("/v1/coupons/campaigns", params={"category": "fitness"}, headers=town.alice.headers).json()
    assert [(c["id"], c["claimed"], c["total_quantity"], c["progress_percent"]) for c in listed] == \
        [(fitness["id"], 1, 10, 10)]
    dining = api.c.get("/v1/coupons/campaigns", params={"category": "dining"}, headers=town.alice.headers).json()
    assert [c["id"] for c in dining] == [town.campaign["id"]]
    assert api.c.get("/v1/coupons/campaigns", params={"category": "nonsense"},
                     headers=town.alice.headers).status_code == 422


def test_issuer_statistics_per_campaign_and_industry(api, app, db, town):
    _owner, market = api.merchant("market", name="Sunshine Market", category="supermarket", local_name=None)
    bob = resident(api, "bob", 2, top_up=100_000)
    for person in (town.alice, bob):
        for coupon in (claimed(api, person, town.campaign["id"]), claimed(api, person, town.campaign["id"])):
            shop, amount = (town.lotus, 12_000) if person is town.alice else (market, 15_000)
            assert api.pay(person, shop["id"], amount, pin=PIN, coupon_id=coupon["id"]).status_code == 201
    stats = api.c.get("/v1/coupons/stats", headers=town.city.headers).json()
    (line,) = stats["campaigns"]
    assert (line["released"], line["claimed"], line["redeemed"], line["expired"]) == (10, 4, 4, 0)
    assert (line["subsidy_paid_fen"], line["spending_driven_fen"]) == (12_000, 54_000)
    assert line["driven_per_yuan"] == 4.5 and line["subsidy_balance_fen"] == 18_000
    industries = {i["category"]: i for i in stats["by_industry"]}
    assert (industries["dining"]["spending_driven_fen"], industries["dining"]["driven_per_yuan"]) == (24_000, 4.0)
    assert (industries["supermarket"]["spending_driven_fen"], industries["supermarket"]["driven_per_yuan"]) == \
        (30_000, 5.0)
    assert stats["total"]["subsidy_paid_fen"] == 12_000

    other = make_issuer(api, db, "othercity")
    assert api.c.get("/v1/coupons/stats", params={"campaign_id": town.campaign["id"]},
                     headers=other.headers).status_code == 403
    assert fund(api, other, town.campaign["id"], 100).status_code == 403
    assert api.c.get("/v1/coupons/stats", headers=town.alice.headers).status_code == 403
    audit_ok(app)


@pytest.mark.parametrize(("change", "field"), [
    ({"threshold_fen": 3_000}, "threshold_fen"),                       # spend X save Y needs X > Y
    ({"shape": "no_threshold"}, "threshold_fen"),                      # ... and no threshold means 0
    ({"total_quantity": 11}, "batches"),                               # batches must add up
    ({"subsidy_budget_fen": 2_999}, "subsidy_budget_fen"),             # must pay for one coupon
    ({"value_fen": 12.5}, "value_fen"),
    ({"categories": []}, "categories"),
    ({"batches": [{"release_at": "2026-01-01T00:00:00", "quantity": 10}]}, "release_at"),  # no time zone
])
def test_bad_campaigns_are_refused_and_nothing_is_written(api, app, db, change, field):
    city = make_issuer(api, db)
    r = api.c.post("/v1/coupons/campaigns", json=campaign_body(**change), headers=city.headers)
    assert r.status_code == 422, r.text
    assert field in r.text
    assert count_rows(app, CouponCampaign) == 0


def test_only_issuers_create_and_funding_needs_a_key_and_whole_fen(api, app, db, town):
    r = api.c.post("/v1/coupons/campaigns", json=campaign_body(), headers=town.alice.headers)
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    r = api.c.post(f"/v1/coupons/campaigns/{town.campaign['id']}/funding", json={"amount_fen": 100},
                   headers=town.city.headers)
    assert (r.status_code, r.json()["code"]) == (400, "idempotency_key_required")
    assert fund(api, town.city, town.campaign["id"], "100").json()["code"] == "invalid_amount"
    assert claim(api, town.alice, 999).json()["code"] == "coupon_campaign_not_found"
    with db() as s:
        assert s.scalar(select(func.count()).select_from(CouponCampaign)) == 1
