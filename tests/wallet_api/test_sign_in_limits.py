"""Failed sign-ins are limited per username and per client address: 429 `sign_in_rate_limited`
with Retry-After, before the password is checked; the buckets refill with time; successes are free."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

import wallet_api.auth.ratelimit as ratelimit
from wallet_api.types import utcnow

from tests.helpers import PASSWORD
from tests.wallet_api.test_auth_api import assert_problem, login, register


class Clock:
    def __init__(self) -> None:
        self.at = utcnow()

    def __call__(self):
        return self.at


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(ratelimit, "utcnow", c)
    return c


def from_address(app, host: str) -> TestClient:
    return TestClient(app, client=(host, 40000))


def test_five_wrong_passwords_pause_that_username_even_for_the_right_one(client, clock):
    register(client, "alice")
    for _ in range(ratelimit.USERNAME.capacity):
        assert_problem(login(client, "alice", "wrong password"), 401, "bad_credentials")
    r = login(client, "alice")  # the right password, but guessing has to stop
    body = assert_problem(r, 429, "sign_in_rate_limited")
    assert int(r.headers["Retry-After"]) == body["retry_after_seconds"] == 60
    assert body["message_key"] == "error.sign_in_rate_limited"


def test_the_username_bucket_holds_across_client_addresses(app, client, clock):
    register(client, "alice")
    for i in range(ratelimit.USERNAME.capacity):
        with from_address(app, f"198.51.100.{i}") as c:
            assert_problem(login(c, "alice", "wrong password"), 401, "bad_credentials")
    with from_address(app, "203.0.113.7") as c:
        assert_problem(login(c, "alice"), 429, "sign_in_rate_limited")


def test_another_user_signs_in_while_one_is_paused(client, clock):
    register(client, "alice")
    register(client, "bob")
    for _ in range(ratelimit.USERNAME.capacity):
        login(client, "alice", "wrong password")
    assert login(client, "bob").status_code == 200


def test_the_bucket_refills_with_time(client, clock):
    register(client, "alice")
    for _ in range(ratelimit.USERNAME.capacity):
        login(client, "alice", "wrong password")
    clock.at += timedelta(seconds=59)
    assert_problem(login(client, "alice"), 429, "sign_in_rate_limited")
    clock.at += timedelta(seconds=1)  # one token back after a minute
    assert login(client, "alice").status_code == 200


def test_one_client_trying_many_usernames_is_paused_but_others_are_not(app, client, clock):
    register(client, "alice")
    with from_address(app, "192.0.2.66") as guesser:
        for i in range(ratelimit.CLIENT.capacity):
            assert_problem(login(guesser, f"victim{i:03d}", "guess"), 401, "bad_credentials")
        r = login(guesser, "alice")
        assert_problem(r, 429, "sign_in_rate_limited")
        assert int(r.headers["Retry-After"]) == 6  # a client refills 10 a minute
    with from_address(app, "192.0.2.67") as neighbour:
        assert login(neighbour, "alice").status_code == 200


def test_successful_sign_ins_are_not_limited(client, clock):
    register(client, "alice")
    for _ in range(ratelimit.CLIENT.capacity + 5):
        assert login(client, "alice").status_code == 200


def test_a_refused_attempt_does_not_count_or_check_the_password(client, clock, monkeypatch):
    register(client, "alice")
    for _ in range(ratelimit.USERNAME.capacity):
        login(client, "alice", "wrong password")
    checked = []
    monkeypatch.setattr("wallet_api.auth.service.Hasher.verify", lambda *a: checked.append(a) or False)
    for _ in range(3):
        assert_problem(login(client, "alice", PASSWORD), 429, "sign_in_rate_limited")
    assert checked == []
    clock.at += timedelta(seconds=60)
    monkeypatch.undo()
    monkeypatch.setattr(ratelimit, "utcnow", clock)
    assert login(client, "alice").status_code == 200  # the refused attempts took no tokens
