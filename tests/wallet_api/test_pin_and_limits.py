"""The payment PIN: which payments need it, counting wrong attempts, the lock and its end."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from wallet_api.auth.models import User
from wallet_api.types import utcnow

from tests.helpers import PASSWORD, PIN

WRONG = "135790"
ABOVE = 5_001  # one fen above the default PIN-free limit
PROBLEM_FIELDS = {"type", "title", "status", "detail", "code", "message_key"}


def assert_problem(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert PROBLEM_FIELDS <= body.keys()
    assert (body["status"], body["code"], body["message_key"]) == (status, code, f"error.{code}")
    return body


@pytest.fixture
def people(api):
    """alice (PIN set, 1,000 CNY), bob (a person to pay) and a shop."""
    alice = api.funded("alice", 100_000)
    bob = api.register("bob")
    owner, shop = api.merchant()
    return alice, bob, owner, shop


def pay(api, kind: str, payer, people, amount: int, pin: str | None = None):
    _, bob, _, shop = people
    if kind == "merchant":
        return api.pay(payer, shop["id"], amount, pin=pin)
    return api.p2p(payer, bob.username, amount, pin=pin)


def ledger_state(api, db, person) -> tuple:
    """What a refused payment must not change: balances everywhere, the person's history, the journal."""
    history = api.c.get("/v1/wallet/history", headers=person.headers).json()["items"]
    with db() as s:
        balances = s.execute(sa.text("SELECT id, balance FROM accounts ORDER BY id")).all()
        counts = [s.scalar(sa.text(f"SELECT COUNT(*) FROM {t}")) for t in ("transfers", "postings", "payments")]
    return [h["posting_id"] for h in history], balances, counts


def pin_state(db, user_id: int) -> tuple[int, datetime | None]:
    with db() as s:
        user = s.get(User, user_id)
        return user.pin_failed_attempts, user.pin_locked_until


def lock(api, alice, people) -> dict:
    for _ in range(4):
        assert pay(api, "merchant", alice, people, ABOVE, pin=WRONG).status_code == 403
    return assert_problem(pay(api, "merchant", alice, people, ABOVE, pin=WRONG), 423, "pin_locked")


# ---- which payments need the PIN -------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["merchant", "p2p"])
def test_payment_at_the_limit_needs_no_pin(api, people, settings, kind):
    alice = people[0]
    assert settings.pin_free_limit_fen == 5_000
    r = pay(api, kind, alice, people, 5_000)
    assert r.status_code == 201, r.text
    assert api.balance(alice) == 95_000


@pytest.mark.parametrize("kind", ["merchant", "p2p"])
def test_payment_above_the_limit_without_pin_is_refused(api, db, people, kind):
    alice = people[0]
    before = ledger_state(api, db, alice)
    assert_problem(pay(api, kind, alice, people, ABOVE), 403, "pin_required")
    assert ledger_state(api, db, alice) == before
    assert pin_state(db, alice.id) == (0, None)  # asking for the PIN is not a failed attempt


@pytest.mark.parametrize("kind", ["merchant", "p2p"])
def test_payment_above_the_limit_with_the_right_pin_goes_through(api, people, kind):
    alice = people[0]
    r = pay(api, kind, alice, people, 20_000, pin=PIN)
    assert r.status_code == 201, r.text
    assert api.balance(alice) == 80_000


def test_the_limit_comes_from_settings(api, app, people):
    app.state.settings.pin_free_limit_fen = 100
    alice = people[0]
    assert_problem(pay(api, "p2p", alice, people, 101), 403, "pin_required")
    assert pay(api, "p2p", alice, people, 100).status_code == 201


@pytest.mark.parametrize("kind", ["merchant", "p2p"])
def test_user_without_a_pin_cannot_pay_above_the_limit(api, db, people, kind):
    carol = api.funded("carol", 100_000, pin=None)
    before = ledger_state(api, db, carol)
    assert_problem(pay(api, kind, carol, people, ABOVE), 403, "pin_not_set")
    assert_problem(pay(api, kind, carol, people, ABOVE, pin=PIN), 403, "pin_not_set")
    assert ledger_state(api, db, carol) == before
    assert pay(api, kind, carol, people, 5_000).status_code == 201  # small ones still work


# ---- wrong attempts and the lock ---------------------------------------------------------------------

def test_wrong_pins_count_down_and_move_no_money(api, db, people):
    alice = people[0]
    before = ledger_state(api, db, alice)
    left = [assert_problem(pay(api, "merchant", alice, people, ABOVE, pin=WRONG), 403, "pin_incorrect")
            ["attempts_left"] for _ in range(4)]
    assert left == [4, 3, 2, 1]
    assert ledger_state(api, db, alice) == before


def test_merchant_and_p2p_share_one_attempt_counter(api, people):
    alice = people[0]
    assert assert_problem(pay(api, "merchant", alice, people, ABOVE, pin=WRONG), 403,
                          "pin_incorrect")["attempts_left"] == 4
    assert assert_problem(pay(api, "p2p", alice, people, ABOVE, pin=WRONG), 403, "pin_incorrect")["attempts_left"] == 3


def test_fifth_wrong_pin_locks_payments(api, db, people, settings):
    alice = people[0]
    before = ledger_state(api, db, alice)
    started = utcnow()
    *_, r = [pay(api, "merchant", alice, people, ABOVE, pin=WRONG) for _ in range(5)]
    body = assert_problem(r, 423, "pin_locked")

    until = datetime.fromisoformat(body["locked_until"])
    lock_for = timedelta(minutes=settings.pin_lock_minutes)
    assert started + lock_for <= until <= utcnow() + lock_for
    assert f"{until:%H:%M} UTC" in body["detail"]  # the words say when it unlocks
    assert lock_for.total_seconds() - 60 <= int(r.headers["Retry-After"]) <= lock_for.total_seconds()
    assert pin_state(db, alice.id)[1] == until
    assert ledger_state(api, db, alice) == before


def test_while_locked_even_the_right_pin_is_refused(api, db, people):
    alice = people[0]
    locked = lock(api, alice, people)
    before = ledger_state(api, db, alice)
    for kind in ("merchant", "p2p"):
        body = assert_problem(pay(api, kind, alice, people, ABOVE, pin=PIN), 423, "pin_locked")
        assert body["locked_until"] == locked["locked_until"]
    r = pay(api, "merchant", alice, people, ABOVE)
    assert_problem(r, 423, "pin_locked")
    assert 1 <= int(r.headers["Retry-After"]) <= 15 * 60
    assert ledger_state(api, db, alice) == before
    assert api.balance(alice) == 100_000


def test_after_the_lock_ends_the_right_pin_works_and_resets_the_count(api, db, people):
    alice = people[0]
    lock(api, alice, people)
    with db() as s, s.begin():
        s.execute(sa.update(User).where(User.id == alice.id)
                  .values(pin_locked_until=utcnow() - timedelta(seconds=1)))

    r = pay(api, "merchant", alice, people, ABOVE, pin=PIN)
    assert r.status_code == 201, r.text
    assert api.balance(alice) == 100_000 - ABOVE
    assert pin_state(db, alice.id) == (0, None)
    body = assert_problem(pay(api, "merchant", alice, people, ABOVE, pin=WRONG), 403, "pin_incorrect")
    assert body["attempts_left"] == 4  # a fresh count, not one wrong attempt from another lock


def test_right_pin_after_two_wrong_ones_resets_the_count(api, db, people):
    alice = people[0]
    for _ in range(2):
        assert_problem(pay(api, "merchant", alice, people, ABOVE, pin=WRONG), 403, "pin_incorrect")
    assert pin_state(db, alice.id) == (2, None)
    assert pay(api, "merchant", alice, people, ABOVE, pin=PIN).status_code == 201
    assert pin_state(db, alice.id) == (0, None)
    assert assert_problem(pay(api, "p2p", alice, people, ABOVE, pin=WRONG), 403,
                          "pin_incorrect")["attempts_left"] == 4


def test_setting_a_new_pin_clears_the_lock(api, db, people):
    alice = people[0]
    lock(api, alice, people)
    r = api.c.put("/v1/me/pin", json={"pin": "975310", "password": PASSWORD}, headers=alice.headers)
    assert r.status_code == 204
    assert pin_state(db, alice.id) == (0, None)
    assert pay(api, "p2p", alice, people, ABOVE, pin="975310").status_code == 201
    assert_problem(pay(api, "p2p", alice, people, ABOVE, pin=PIN), 403, "pin_incorrect")


def test_a_retry_of_a_pin_payment_replays_without_asking_for_the_pin_again(api):
    """The answer was lost after the payment happened; the retry carries no PIN and must not pay twice."""
    from tests.helpers import PIN
    payer = api.funded("retrier", 50_000)
    _owner, shop = api.merchant()
    first = api.pay(payer, shop["id"], 20_000, pin=PIN, idem="lost-answer-0001")
    again = api.pay(payer, shop["id"], 20_000, idem="lost-answer-0001")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again.headers["Idempotent-Replayed"] == "true"
    assert api.balance(payer) == 30_000


def test_a_pin_lock_stops_small_payments_too(api, settings):
    from tests.helpers import key
    payer = api.funded("guessed", 50_000)
    _owner, shop = api.merchant()
    for _ in range(settings.pin_max_attempts):
        api.pay(payer, shop["id"], settings.pin_free_limit_fen + 1, pin="000000")
    small = api.pay(payer, shop["id"], 100, idem=key())
    assert small.status_code == 423 and small.json()["code"] == "pin_locked"
    assert api.balance(payer) == 50_000


def test_401_says_how_to_authenticate(client):
    r = client.get("/v1/me")
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
