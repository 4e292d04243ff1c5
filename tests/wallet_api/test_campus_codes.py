"""A payment code's life at the till, on SQLite and PostgreSQL: valid, skewed by a step,
expired, replayed, revoked phone, other campus, suspended card, over the daily limit, bank card
approvals, declines and timeouts, the student's PIN for larger amounts, and the wrong-code
budget of a till. Every refusal leaves the money where it was and the code spent."""

from __future__ import annotations

import pytest

from tests.helpers import (DECLINING_CARD, LOST_ANSWER_CARD, PIN, SILENT_CARD, account_balance,
                           assert_books_balance, count_rows, key)
from tests.wallet_api.campus_world import (CampusWorld, Clock, campus_merchant, campus_world, new_campus,
                                           set_campus_clock)
from wallet_api.campus.models import CampusCharge, CampusCodeUse
from wallet_api.ledger.accounts import SystemAccount
from wallet_api.ledger.models import Transfer
from wallet_api.payments.models import Payment


@pytest.fixture
def campus_clock(monkeypatch) -> Clock:
    return set_campus_clock(monkeypatch)


@pytest.fixture
def world(api, app, campus_clock) -> CampusWorld:
    return campus_world(api, app, campus_clock, funds=20_000)


def settlement(app, merchant: dict) -> int:
    return account_balance(app, f"merchant:{merchant['id']}:settlement")


def money(world: CampusWorld, app) -> tuple[int, int, int]:
    """(student's wallet, canteen's takings, the outside world) — what must not move on a refusal."""
    return (world.api.balance(world.student), settlement(app, world.canteen),
            account_balance(app, SystemAccount.BANK_CLEARING))


def use_bank_card(world: CampusWorld, number: str) -> int:
    card = world.api.link_card(world.student, number)
    r = world.c.put("/v1/campus/me/funding-source", json={"source": "bank_card", "bank_card_id": card},
                    headers=world.student.headers)
    assert r.status_code == 200 and r.json()["funding_source"] == "bank_card", r.text
    return card


def charge_status(world: CampusWorld, charge_id: int) -> dict:
    r = world.c.get(f"/v1/campus/charges/{charge_id}", headers=world.cashier.headers)
    assert r.status_code == 200, r.text
    return r.json()


# ---- valid codes ------------------------------------------------------------------------------

def test_a_valid_code_pays_the_canteen_from_the_wallet(world, app):
    r = world.charge(world.code(), 1_250, memo="lunch")
    assert r.status_code == 201, r.text
    paid = r.json()
    assert paid | {"id": 0, "payment_id": 0, "transfer_id": 0, "created_at": ""} == {
        "id": 0, "status": "completed", "origin": "code", "amount_fen": 1_250, "merchant_id": world.canteen["id"],
        "merchant_name": "第一食堂", "student_number": "202300110042", "student_masked_name": "张*明",
        "funding_source": "wallet", "payment_id": 0, "transfer_id": 0, "confirm_by": None, "failure_code": None,
        "memo": "lunch", "created_at": ""}
    assert money(world, app)[:2] == (20_000 - 1_250, 1_250)
    receipt = world.c.get(f"/v1/payments/{paid['payment_id']}", headers=world.student.headers).json()
    assert (receipt["amount_fen"], receipt["payee"], receipt["transfer_id"]) == (1_250, "第一食堂", paid["transfer_id"])
    assert world.card()["spent_today_fen"] == 1_250
    assert_books_balance(app)


@pytest.mark.parametrize("skew", [-60, 60])
def test_a_phone_clock_one_step_off_is_accepted(world, app, skew):
    r = world.charge(world.code(seconds_from_now=skew), 800)
    assert r.status_code == 201, r.text
    assert money(world, app)[:2] == (20_000 - 800, 800)


@pytest.mark.parametrize(("skew", "problem"), [(-120, "campus_code_expired"), (-600, "campus_code_expired"),
                                               (120, "campus_code_invalid"), (-3600, "campus_code_invalid")])
def test_codes_outside_the_window_are_refused_and_move_nothing(world, app, skew, problem):
    before = money(world, app)
    r = world.charge(world.code(seconds_from_now=skew), 800)
    assert (r.status_code, r.json()["code"]) == (422, problem)
    assert money(world, app) == before
    assert count_rows(app, CampusCharge) == count_rows(app, CampusCodeUse) == 0


def test_a_code_is_single_use_and_a_retry_with_the_same_key_is_answered_once(world, app):
    code, idem = world.code(), key()
    first = world.charge(code, 1_000, idem=idem)
    again = world.charge(code, 1_000, idem=idem)           # the till lost the answer and retried
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    replay = world.charge(code, 1_000)                       # the same code presented again
    assert (replay.status_code, replay.json()["code"]) == (409, "campus_code_used")
    elsewhere = world.charge(code, 1_000, terminal="till-9")
    assert elsewhere.json()["code"] == "campus_code_used"
    assert money(world, app)[:2] == (19_000, 1_000)
    assert count_rows(app, Payment) == 1


def test_the_same_key_for_a_different_charge_is_refused(world):
    idem = key()
    assert world.charge(world.code(), 1_000, idem=idem).status_code == 201
    r = world.charge(world.code(), 2_000, idem=idem)
    assert (r.status_code, r.json()["code"]) == (409, "idempotency_key_reused")


def test_malformed_or_unknown_codes(world, app):
    otp = world.code()[8:]
    for code, status, problem in [("29" + world.code()[2:], 422, "campus_code_invalid"),
                                  ("28" + "999999" + otp, 422, "campus_code_invalid"),
                                  (world.code()[:17], 422, "validation_error"),
                                  ("28abc", 422, "validation_error")]:
        r = world.charge(code, 500)
        assert (r.status_code, r.json()["code"]) == (status, problem), code
    no_key = world.c.post("/v1/campus/charges", headers=world.cashier.headers, json={
        "merchant_id": world.canteen["id"], "terminal_id": "till-1", "code": world.code(), "amount_fen": 500})
    assert (no_key.status_code, no_key.json()["code"]) == (400, "idempotency_key_required")
    assert money(world, app)[:2] == (20_000, 0)


def test_spaces_between_digit_groups_are_ignored(world):
    from app.campus_code import payment_code

    grouped = payment_code(world.phone, world.clock.unix).grouped
    assert world.charge(grouped, 300).status_code == 201


# ---- the phone, the card, the campus -------------------------------------------------------

def test_a_revoked_phone_is_refused_for_ever(world, app):
    device_id = world.card()["devices"][0]["id"]
    assert world.c.delete(f"/v1/campus/me/devices/{device_id}", headers=world.student.headers).status_code == 204
    code = world.code()
    r = world.charge(code, 1_000)
    assert (r.status_code, r.json()["code"]) == (403, "campus_device_revoked")
    assert (r.json()["student_number"], r.json()["student_masked_name"]) == ("202300110042", "张*明")
    assert world.charge(code, 1_000).json()["code"] == "campus_code_used"
    assert world.charge(world.code(seconds_from_now=60), 1_000).json()["code"] == "campus_device_revoked"
    assert money(world, app)[:2] == (20_000, 0)
    new_phone = world.add_phone(PIN)
    assert world.charge(world.code(phone=new_phone), 1_000).status_code == 201


def test_a_code_from_another_campus_is_refused(world, app, api):
    other_campus = new_campus(api, app, world.admin, "Harbin Tech Weihai")
    clerk, shop = campus_merchant(api, world.admin, other_campus["id"], "hitclerk", "HIT Shop", "工大超市",
                                  "campus_shop")
    r = world.charge(world.code(), 1_000, cashier=clerk, merchant_id=shop["id"])
    assert (r.status_code, r.json()["code"]) == (403, "campus_wrong_campus")
    assert settlement(app, shop) == 0 and api.balance(world.student) == 20_000


def test_a_suspended_card_is_refused_until_resumed(world, app):
    r = world.admin_post(f"/students/{world.card_id}/suspend")
    assert r.status_code == 200 and r.json()["status"] == "suspended"
    r = world.charge(world.code(), 1_000)
    assert (r.status_code, r.json()["code"]) == (403, "campus_card_suspended")
    assert world.admin_post(f"/students/{world.card_id}/resume").json()["status"] == "active"
    assert world.charge(world.code(), 1_000).json()["code"] == "campus_code_used"  # that code is spent
    assert world.charge(world.code(seconds_from_now=60), 1_000).status_code == 201
    assert money(world, app)[:2] == (19_000, 1_000)


def test_only_the_shops_own_cashier_on_a_campus_merchant_may_charge(world, api):
    stranger = api.register("stranger", roles=["merchant"])
    r = world.charge(world.code(), 1_000, cashier=stranger)
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    owner, street_shop = api.merchant("streetshop")  # an ordinary merchant, not on any campus
    r = world.charge(world.code(), 1_000, cashier=owner, merchant_id=street_shop["id"])
    assert (r.status_code, r.json()["code"]) == (403, "campus_not_campus_merchant")
    assert world.charge(world.code(), 1_000).status_code == 201  # those refusals did not spend the code


# ---- limits and money ---------------------------------------------------------------------

def test_the_daily_limit_holds_and_resets_the_next_campus_day(world, app):
    r = world.c.put("/v1/campus/me/daily-limit", json={"daily_limit_fen": 3_000}, headers=world.student.headers)
    assert r.status_code == 200 and r.json()["daily_limit_fen"] == 3_000
    assert world.charge(world.code(), 2_000).status_code == 201
    code = world.code(seconds_from_now=60)
    r = world.charge(code, 1_500)
    assert (r.status_code, r.json()["code"]) == (409, "campus_daily_limit_exceeded")
    assert (r.json()["left_today_fen"], r.json()["daily_limit_fen"]) == (1_000, 3_000)
    assert world.charge(code, 1_000).json()["code"] == "campus_code_used"  # spent even though it failed
    assert world.charge(world.code(seconds_from_now=-60), 1_000).status_code == 201  # exactly up to the limit
    world.clock.advance(24 * 3600)
    assert world.card()["spent_today_fen"] == 0
    assert world.charge(world.code(), 1_500).status_code == 201
    assert money(world, app)[:2] == (20_000 - 4_500, 4_500)


def test_too_little_in_the_wallet_fails_whole_and_spends_the_code(world, app):
    code, idem = world.code(), key()
    r = world.charge(code, 25_000, idem=idem)  # above the PIN-free limit too: confirmation comes first
    assert r.status_code == 202
    r = world.confirm(r.json()["id"], PIN)
    assert (r.status_code, r.json()["code"]) == (409, "insufficient_funds")
    assert money(world, app)[:2] == (20_000, 0)
    small = world.code(seconds_from_now=60)
    world.api.p2p(world.student, "canteenclerk", 19_900, pin=PIN)  # leaves 100 fen
    r = world.charge(small, 200)
    assert (r.status_code, r.json()["code"]) == (409, "insufficient_funds")
    assert world.charge(small, 200).json()["code"] == "campus_code_used"
    assert count_rows(app, CampusCharge, CampusCharge.status == "failed") == 2
    assert_books_balance(app)


def test_a_linked_bank_card_is_debited_directly(world, app):
    use_bank_card(world, "6222020000000090001")
    before_world = account_balance(app, SystemAccount.BANK_CLEARING)
    r = world.charge(world.code(), 1_800)
    assert r.status_code == 201 and r.json()["funding_source"] == "bank_card", r.text
    assert money(world, app) == (20_000, 1_800, before_world - 1_800)  # the wallet balance is not touched
    assert_books_balance(app)


def test_a_bank_decline_is_an_answer_and_the_code_stays_used(world, app):
    use_bank_card(world, DECLINING_CARD)
    before = money(world, app)
    code, idem = world.code(), key()
    r = world.charge(code, 1_800, idem=idem)
    assert (r.status_code, r.json()["code"]) == (402, "bank_declined")
    assert r.json()["student_masked_name"] == "张*明"
    again = world.charge(code, 1_800, idem=idem)
    assert (again.status_code, again.json()["code"], again.json()["charge_id"]) == (402, "bank_declined",
                                                                                    r.json()["charge_id"])
    assert world.charge(code, 1_800).json()["code"] == "campus_code_used"
    assert charge_status(world, r.json()["charge_id"])["status"] == "failed"
    assert money(world, app) == before and count_rows(app, Payment) == 0


def test_a_bank_that_never_answers_leaves_nothing_half_done(world, app):
    use_bank_card(world, SILENT_CARD)
    before = money(world, app)
    code, idem = world.code(), key()
    for _attempt in range(2):
        r = world.charge(code, 1_800, idem=idem)
        assert (r.status_code, r.json()["code"], r.headers["Retry-After"]) == (504, "bank_timeout", "2")
    assert charge_status(world, r.json()["charge_id"])["status"] == "unknown"
    assert money(world, app) == before
    assert world.card()["spent_today_fen"] == 1_800  # it may yet be paid: the limit keeps counting it


def test_a_lost_bank_answer_settles_exactly_once_on_retry(world, app):
    use_bank_card(world, LOST_ANSWER_CARD)
    code, idem = world.code(), key()
    first = world.charge(code, 1_800, idem=idem)
    assert (first.status_code, first.json()["code"]) == (504, "bank_timeout")
    assert money(world, app)[1] == 0
    second = world.charge(code, 1_800, idem=idem)
    third = world.charge(code, 1_800, idem=idem)
    assert (second.status_code, third.status_code) == (201, 201)
    assert second.json()["id"] == third.json()["id"] == first.json()["charge_id"]
    assert settlement(app, world.canteen) == 1_800
    assert count_rows(app, Transfer, Transfer.kind == "campus_card_payment") == 1
    assert_books_balance(app)


def test_a_removed_bank_card_is_reported_not_charged(world, app):
    card = use_bank_card(world, "6222020000000090001")
    assert world.c.delete(f"/v1/bank-cards/{card}", headers=world.student.headers).status_code == 204
    r = world.charge(world.code(), 1_000)
    assert (r.status_code, r.json()["code"]) == (409, "campus_bank_card_unavailable")
    assert money(world, app)[:2] == (20_000, 0)


# ---- the student's PIN above the small amount ------------------------------------------------

def test_a_larger_charge_waits_for_the_students_pin(world, app):
    r = world.charge(world.code(), 6_000)
    assert r.status_code == 202, r.text
    pending = r.json()
    assert pending["status"] == "awaiting_confirmation" and pending["confirm_by"] is not None
    assert money(world, app)[:2] == (20_000, 0)  # nothing moves until the student confirms
    mine = world.c.get("/v1/campus/me/charges", params={"status": "awaiting_confirmation"},
                       headers=world.student.headers).json()
    assert [c["id"] for c in mine] == [pending["id"]]
    assert any(n["message_key"] == "notice.campus_confirm" for n in world.api.notifications(world.student))

    wrong = world.confirm(pending["id"], "000000")
    assert (wrong.status_code, wrong.json()["code"]) == (403, "pin_incorrect")
    assert charge_status(world, pending["id"])["status"] == "awaiting_confirmation"

    no_key = world.c.post(f"/v1/campus/charges/{pending['id']}/confirm", json={"pin": PIN},
                          headers=world.student.headers)
    assert (no_key.status_code, no_key.json()["code"]) == (400, "idempotency_key_required")
    idem = key()
    ok = world.confirm(pending["id"], PIN, idem=idem)
    assert ok.status_code == 200 and ok.json()["status"] == "completed", ok.text
    assert world.confirm(pending["id"], PIN, idem=idem).json() == ok.json()          # a retry: answered again
    late = world.confirm(pending["id"], PIN)
    assert (late.status_code, late.json()["code"]) == (409, "campus_charge_not_pending")
    assert charge_status(world, pending["id"])["status"] == "completed"
    assert money(world, app)[:2] == (14_000, 6_000)
    assert_books_balance(app)


def test_the_student_can_decline_a_larger_charge(world, app):
    idem, code = key(), world.code()
    pending = world.charge(code, 6_000, idem=idem).json()
    r = world.c.post(f"/v1/campus/charges/{pending['id']}/decline", headers=world.student.headers)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    retry = world.charge(code, 6_000, idem=idem)
    assert (retry.status_code, retry.json()["code"]) == (409, "campus_charge_cancelled")
    assert world.confirm(pending["id"], PIN).json()["code"] == "campus_charge_not_pending"
    assert money(world, app)[:2] == (20_000, 0)


def test_an_unconfirmed_charge_lapses_after_two_minutes(world, app):
    pending = world.charge(world.code(), 6_000).json()
    world.clock.advance(119)
    assert charge_status(world, pending["id"])["status"] == "awaiting_confirmation"
    world.clock.advance(2)

    def mine(status: str) -> list[int]:
        return [c["id"] for c in world.c.get("/v1/campus/me/charges", params={"status": status},
                                             headers=world.student.headers).json()]
    assert (mine("awaiting_confirmation"), mine("expired")) == ([], [pending["id"]])
    assert charge_status(world, pending["id"])["status"] == "expired"
    r = world.confirm(pending["id"], PIN)
    assert (r.status_code, r.json()["code"]) == (409, "campus_confirmation_expired")
    assert money(world, app)[:2] == (20_000, 0)


def test_a_campus_sets_its_own_small_amount(api, app, campus_clock):
    world = campus_world(api, app, campus_clock, pin_free_limit_fen=10_000)
    assert world.charge(world.code(), 6_000).status_code == 201


def test_a_locked_pin_stops_small_campus_payments_too(world, app):
    for _ in range(5):
        world.api.p2p(world.student, "canteenclerk", 9_000, pin="000000")
    r = world.charge(world.code(), 100)
    assert (r.status_code, r.json()["code"]) == (423, "pin_locked")
    assert money(world, app)[:2] == (20_000, 0)


# ---- guessing ---------------------------------------------------------------------------------

def _guess(world: CampusWorld, terminal: str):
    wrong = world.code()[:8] + f"{(int(world.code()[8:]) + 1) % 2**31:010d}"
    return world.charge(wrong, 100, terminal=terminal)


def test_a_till_gets_five_wrong_codes_then_waits(world, app):
    assert [_guess(world, "till-1").json()["code"] for _ in range(5)] == ["campus_code_invalid"] * 5
    limited = _guess(world, "till-1")
    assert (limited.status_code, limited.json()["code"]) == (429, "code_rate_limited")
    assert limited.headers["Retry-After"] == "12" == str(limited.json()["retry_after_seconds"])
    good = world.code()
    assert world.charge(good, 500, terminal="till-1").status_code == 429  # not even looked at ...
    assert world.charge(good, 500, terminal="till-2").status_code == 201  # ... so still unspent
    world.clock.advance(12)
    assert _guess(world, "till-1").json()["code"] == "campus_code_invalid"
    assert _guess(world, "till-1").status_code == 429


def test_a_merchant_cannot_multiply_its_budget_with_terminal_names(world):
    answers = [_guess(world, f"till-{i // 5}").json()["code"] for i in range(20)]
    assert answers == ["campus_code_invalid"] * 20
    assert _guess(world, "till-new").json()["code"] == "code_rate_limited"
    world.clock.advance(60)  # the merchant bucket refills 10 a minute
    codes_after = [_guess(world, f"later-{i}").json()["code"] for i in range(11)]
    assert codes_after == ["campus_code_invalid"] * 10 + ["code_rate_limited"]


def test_guessing_for_three_minutes_gets_at_most_fifty_tries(world):
    """The brute-force arithmetic of docs/campus.md, measured: 50 tries per merchant per code lifetime."""
    tried = 0
    for _six_seconds in range(30):  # one merchant token refills every 6 s
        for till in range(4):
            if _guess(world, f"till-{till}").status_code == 422:
                tried += 1
        world.clock.advance(6)
    assert 45 <= tried <= 50


def test_a_phone_sealed_under_an_old_server_secret_gets_a_clear_answer_not_a_crash(api, app, campus_clock):
    """ANXIN_SECRET_KEY changed: the stored device key no longer opens; the cashier is told what to do."""
    from sqlalchemy import select, update

    from wallet_api.campus.codes import SecretBox
    from wallet_api.campus.models import CampusDevice

    w = campus_world(api, app, campus_clock)
    code = w.code()
    old_box = SecretBox("a different, earlier server secret of enough length")
    with app.state.db() as s, s.begin():
        for device in s.scalars(select(CampusDevice)):
            s.execute(update(CampusDevice).where(CampusDevice.id == device.id)
                      .values(secret_sealed=old_box.seal(b"\x01" * 20, device.number)))
    r = w.charge(code, 1_000)
    assert r.status_code == 409 and r.json()["code"] == "campus_device_reregister", r.text
    assert "register the phone again" in r.json()["detail"]
