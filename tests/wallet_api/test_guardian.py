"""The safety guardian over the real API (both databases): risky payments wait in the holds account for the
guardian, who approves (paid exactly once) or declines (money back); undecided holds expire; transfers to new
payees wait out a delay and can be revoked before it ends, not after. The clock is moved, never slept on."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.helpers import key
from tests.wallet_api.family_money_world import YUAN, Clock, Family, assert_family_money_invariants, fam, problem  # noqa: F401
from wallet_api.guardian import service
from wallet_api.guardian.rules import PayerHistory, RiskPolicy, assess
from wallet_api.types import utcnow


@pytest.fixture
def clock(app) -> Clock:
    # Starts at the real time: payments carry the ledger's own timestamps, which the rapid-repeat rule counts.
    app.state.clock = Clock(utcnow())
    return app.state.clock


@pytest.fixture
def guarded(api, fam: Family, clock):
    mum = api.funded("nainai", 2_000 * YUAN)
    son = api.funded("jianguo", 100 * YUAN)
    _owner, shop = api.merchant("lotus")
    fam.guard(mum, son)
    return mum, son, shop


def test_a_first_large_payment_waits_for_the_guardian_who_approves_it_once(fam: Family, api, app, guarded):
    mum, son, shop = guarded
    idem = key()
    r = fam.pay(mum, shop["id"], 800 * YUAN, pin="246810", idem=idem)
    assert r.status_code == 202, r.text
    held = r.json()
    assert (held["status"], held["reason"], held["guardian"]) == ("held", "guardian", "Jianguo")
    assert [w["code"] for w in held["reasons"]] == ["new_payee"]
    assert held["reasons"][0]["message_key"] == "guardian.risk.new_payee"
    assert "first payment to 莲花面馆" in held["reasons"][0]["text"] and "Jianguo" in held["explanation"]
    assert (api.balance(mum), fam.holds(), fam.takings(shop)) == (1_200 * YUAN, 800 * YUAN, 0)
    asked = [n for n in api.notifications(son) if n["message_key"] == "notice.guardian_approval_needed"]
    assert [(n["category"], n["params"]["amount_fen"]) for n in asked] == [("security", 800 * YUAN)]
    assert any(n["message_key"] == "notice.payment_held" for n in api.notifications(mum))
    assert fam.pay(mum, shop["id"], 800 * YUAN, pin="246810", idem=idem).json()["id"] == held["id"]  # a retry
    assert fam.holds() == 800 * YUAN

    problem(fam.decide(mum, held["id"], "approve"), 404, "pending_payment_not_found")  # not hers to approve
    [waiting] = fam.pending(son, "guardian", open_only=True)
    assert waiting["id"] == held["id"]
    decision = key()
    r = fam.decide(son, held["id"], "approve", idem=decision)
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    again = fam.decide(son, held["id"], "approve", idem=decision)
    assert again.json() == r.json() and again.headers["Idempotent-Replayed"] == "true"
    problem(fam.decide(son, held["id"], "approve"), 409, "pending_payment_closed")
    problem(fam.decide(son, held["id"], "decline"), 409, "pending_payment_closed")
    assert (api.balance(mum), fam.holds(), fam.takings(shop)) == (1_200 * YUAN, 0, 800 * YUAN)
    receipt = fam.c.get(f"/v1/payments/{r.json()['payment_id']}", headers=mum.headers).json()
    assert (receipt["amount_fen"], receipt["payer"]) == (800 * YUAN, "Nainai")
    assert any(n["message_key"] == "notice.payment_approved" for n in api.notifications(mum))
    # Paid once before: the same shop is no longer new.
    assert fam.pay(mum, shop["id"], 600 * YUAN, pin="246810").status_code == 201
    assert_family_money_invariants(app)


def test_an_unusual_amount_waits_and_a_declined_payment_comes_back(fam: Family, api, app, guarded, clock):
    mum, son, shop = guarded
    for _ in range(3):  # her usual: 30 CNY, an hour apart (small payments never wait)
        assert fam.pay(mum, shop["id"], 30 * YUAN).status_code == 201
        clock.advance(hours=1)
    held = fam.pay(mum, shop["id"], 200 * YUAN + 1, pin="246810")
    assert held.status_code == 202 and [w["code"] for w in held.json()["reasons"]] == ["unusual_amount"]
    assert "much more than you usually pay (about 30.00 CNY)" in held.json()["reasons"][0]["text"]
    r = fam.decide(son, held.json()["id"], "decline")
    assert r.status_code == 200 and r.json()["status"] == "declined"
    assert (api.balance(mum), fam.holds(), fam.takings(shop)) == (1_910 * YUAN, 0, 90 * YUAN)
    assert any(n["message_key"] == "notice.payment_declined" for n in api.notifications(mum))
    problem(fam.decide(son, held.json()["id"], "approve"), 409, "pending_payment_closed")
    assert_family_money_invariants(app)


def test_an_undecided_hold_expires_back_to_the_payer(fam: Family, api, app, guarded, clock, settings):
    mum, son, shop = guarded
    held = fam.pay(mum, shop["id"], 800 * YUAN, pin="246810").json()
    clock.advance(hours=settings.guardian_hold_hours, seconds=-1)
    assert fam.pending(mum)[0]["status"] == "held"
    clock.advance(seconds=1)
    assert fam.pending(mum)[0]["status"] == "expired"  # settled lazily on read
    assert (api.balance(mum), fam.holds()) == (2_000 * YUAN, 0)
    problem(fam.decide(son, held["id"], "approve"), 409, "pending_payment_closed")
    assert {n["message_key"] for n in api.notifications(son)} >= {"notice.payment_expired"}
    assert_family_money_invariants(app)


def test_the_periodic_sweep_expires_and_settles_without_anyone_reading(fam: Family, api, app, guarded, clock):
    mum, son, shop = guarded
    fam.pay(mum, shop["id"], 800 * YUAN, pin="246810")
    stranger = api.register("xiaohong")
    delayed = api.p2p(mum, stranger.username, 50 * YUAN)
    assert delayed.status_code == 202 and delayed.json()["status"] == "delayed"
    assert service.sweep(app.state.db, clock()) == 0
    clock.advance(days=2)
    assert service.sweep(app.state.db, clock()) == 2
    assert (api.balance(mum), api.balance(stranger), fam.holds()) == (1_950 * YUAN, 50 * YUAN, 0)
    assert service.sweep(app.state.db, clock()) == 0
    assert_family_money_invariants(app)


def test_the_servers_periodic_task_settles_by_the_apps_clock(fam: Family, api, app, guarded, clock):
    from wallet_api.main import _settle_waiting_payments  # what the lifespan task runs every sweep interval
    mum, _son, _shop = guarded
    stranger = api.register("xiaohong")
    assert api.p2p(mum, stranger.username, 50 * YUAN).json()["status"] == "delayed"
    _settle_waiting_payments(app)
    assert api.balance(stranger) == 0
    clock.advance(hours=3)
    _settle_waiting_payments(app)
    assert (api.balance(stranger), fam.holds()) == (50 * YUAN, 0)


def test_a_transfer_to_a_new_payee_can_be_revoked_in_time_and_not_after(fam: Family, api, app, guarded, clock,
                                                                      settings):
    mum, son, _shop = guarded
    stranger = api.register("caller")
    r = api.p2p(mum, stranger.username, 100 * YUAN, pin="246810")
    assert r.status_code == 202, r.text
    first = r.json()
    assert (first["status"], first["reason"], first["reasons"][0]["code"]) == ("delayed", "delay", "new_payee_delay")
    assert first["due_at"].startswith((clock() + timedelta(minutes=settings.guardian_transfer_delay_minutes))
                                      .isoformat()[:16])
    assert (api.balance(mum), api.balance(stranger), fam.holds()) == (1_900 * YUAN, 0, 100 * YUAN)
    clock.advance(minutes=settings.guardian_transfer_delay_minutes - 1)
    problem(fam.decide(stranger, first["id"], "revoke"), 404, "pending_payment_not_found")
    r = fam.decide(mum, first["id"], "revoke")
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    assert (api.balance(mum), api.balance(stranger), fam.holds()) == (2_000 * YUAN, 0, 0)

    second = api.p2p(mum, stranger.username, 100 * YUAN, pin="246810").json()
    clock.advance(minutes=settings.guardian_transfer_delay_minutes)
    problem(fam.decide(mum, second["id"], "revoke"), 409, "pending_payment_too_late")
    assert fam.pending(mum)[0]["status"] == "settled"
    assert (api.balance(mum), api.balance(stranger), fam.holds()) == (1_900 * YUAN, 100 * YUAN, 0)
    problem(fam.decide(mum, second["id"], "revoke"), 409, "pending_payment_too_late")
    # Paid once now: the next transfer to the same person goes straight through.
    assert api.p2p(mum, stranger.username, 10 * YUAN).status_code == 201
    # Her guardian is someone she already trusts: money to him is neither delayed nor held as a new payee.
    assert api.p2p(mum, son.username, 600 * YUAN, pin="246810").status_code == 201
    assert_family_money_invariants(app)


def test_rapid_repeats_wait_and_nobody_without_a_guardian_is_screened(fam: Family, api, app, guarded, settings):
    mum, son, shop = guarded
    for _ in range(settings.guardian_rapid_count):
        assert fam.pay(mum, shop["id"], 5 * YUAN).status_code == 201
    r = fam.pay(mum, shop["id"], 5 * YUAN)
    assert r.status_code == 202 and [w["code"] for w in r.json()["reasons"]] == ["rapid_repeats"]
    assert "3 payments in the last 10 minutes" in r.json()["reasons"][0]["text"]
    # Her son has no guardian: nothing he pays waits.
    assert fam.pay(son, shop["id"], 90 * YUAN, pin="246810").status_code == 201
    assert api.p2p(son, "nainai", 1).status_code == 201


def test_naming_a_guardian_needs_their_consent(fam: Family, api, app):
    elder, relative = api.funded("elder", 3_000 * YUAN), api.register("relative")
    _owner, shop = api.merchant("lotus")
    r = fam.c.post("/v1/guardian/invitations", json={"guardian_username": "relative"}, headers=elder.headers)
    assert r.status_code == 201 and r.json()["status"] == "invited"
    invitation = r.json()
    assert any(n["message_key"] == "notice.guardian_invited" for n in api.notifications(relative))
    assert fam.pay(elder, shop["id"], 800 * YUAN, pin="246810").status_code == 201  # not yet a guardian
    problem(fam.c.post("/v1/guardian/invitations", json={"guardian_username": "relative"}, headers=elder.headers),
            409, "guardian_already_named")
    problem(fam.c.post(f"/v1/guardian/{invitation['id']}/accept", headers=elder.headers), 404,
            "guardianship_not_found")
    assert fam.c.post(f"/v1/guardian/{invitation['id']}/accept", headers=relative.headers).json()["status"] == "active"
    overview = fam.c.get("/v1/guardian", headers=elder.headers).json()
    assert overview["my_guardian"]["guardian_username"] == "relative"
    assert [g["elder_username"] for g in fam.c.get("/v1/guardian", headers=relative.headers).json()["i_guard"]] == [
        "elder"]
    _o2, other_shop = api.merchant("jade", name="Jade Hair")
    assert fam.pay(elder, other_shop["id"], 800 * YUAN, pin="246810").status_code == 202
    r = fam.c.post(f"/v1/guardian/{invitation['id']}/end", headers=elder.headers)
    assert r.json()["status"] == "ended"
    _o3, third = api.merchant("sun", name="Sunshine")
    assert fam.pay(elder, third["id"], 500 * YUAN + 1, pin="246810").status_code == 201
    problem(fam.c.post("/v1/guardian/invitations", json={"guardian_username": "elder"}, headers=elder.headers),
            422, "self_payment")


@pytest.mark.parametrize(("amount", "history", "expected"), [
    (50_000, PayerHistory(False), []),                                    # at the threshold: fine
    (50_001, PayerHistory(False), ["new_payee"]),
    (50_001, PayerHistory(True), []),
    (20_001, PayerHistory(True, [4_000, 1_000, 2_000]), ["unusual_amount"]),  # > 5 x median 2000 and > 200 CNY
    (10_001, PayerHistory(True, [1_000, 1_000, 1_000]), []),              # > 5 x usual but below 200 CNY
    (20_001, PayerHistory(True, [1_000, 1_000]), []),                     # too little history to judge
    (100, PayerHistory(True, [], sent_in_window=3), ["rapid_repeats"]),
    (60_000, PayerHistory(False, [100] * 5, sent_in_window=5), ["new_payee", "unusual_amount", "rapid_repeats"]),
])
def test_risk_rules(amount, history, expected):
    assert [r.code for r in assess(amount, history, RiskPolicy())] == expected
