"""Registration, sign-in, tokens, PIN, real name and preferences, through the HTTP API."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
import sqlalchemy as sa

from wallet_api.auth.models import AuthSession, Preferences, User
from wallet_api.auth.tokens import ALGORITHM, _signing_key
from wallet_api.db import Base
from wallet_api.types import utcnow

from tests.helpers import PASSWORD, PIN

PROBLEM_FIELDS = {"type", "title", "status", "detail", "code", "message_key"}


def assert_problem(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert PROBLEM_FIELDS <= body.keys()
    assert (body["status"], body["code"], body["message_key"]) == (status, code, f"error.{code}")
    assert body["type"].endswith("/" + code) and body["detail"]
    return body


def register(client, username: str, password: str = PASSWORD, **extra):
    return client.post("/v1/auth/register", json={"username": username, "password": password,
                                                  "display_name": "Someone", **extra})


def login(client, username: str, password: str = PASSWORD):
    return client.post("/v1/auth/login", json={"username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def id_check_char(first17: str) -> str:
    """GB 11643 / ISO 7064 MOD 11-2, computed here from the standard's definition."""
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first17))
    return "10X98765432"[total % 11]


def national_id(first17: str = "11010519491231002") -> str:
    return first17 + id_check_char(first17)


def user_row(db, user_id: int) -> User:
    with db() as s:
        return s.get(User, user_id)


# ---- registration ---------------------------------------------------------------------------

def test_register_defaults_to_consumer(client):
    r = register(client, "alice")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["username"] == "alice"
    assert body["roles"] == ["consumer"]
    assert body["pin_set"] is False and body["real_name_verified"] is False


def test_register_as_merchant_is_self_service(client):
    r = register(client, "noodles", roles=["merchant"])
    assert r.status_code == 201, r.text
    assert r.json()["roles"] == ["merchant"]
    r = register(client, "both", roles=["consumer", "merchant"])
    assert sorted(r.json()["roles"]) == ["consumer", "merchant"]


@pytest.mark.parametrize("role", ["regulator", "campus_admin", "coupon_issuer"])
def test_operator_roles_cannot_be_self_assigned(client, role):
    r = register(client, "mallory", roles=["consumer", role])
    body = assert_problem(r, 422, "validation_error")
    assert any("roles" in e["loc"] for e in body["errors"])
    # Nothing was created: the name is still free and the person cannot sign in.
    assert_problem(login(client, "mallory"), 401, "bad_credentials")
    assert register(client, "mallory").status_code == 201


def test_duplicate_username_is_refused(client):
    assert register(client, "alice").status_code == 201
    assert_problem(register(client, "alice"), 409, "username_taken")


def test_username_is_normalised_to_lower_case(client):
    r = register(client, "  Alice.Wang ")
    assert r.status_code == 201, r.text
    assert r.json()["username"] == "alice.wang"
    assert_problem(register(client, "ALICE.WANG"), 409, "username_taken")
    assert login(client, "Alice.WANG").status_code == 200


@pytest.mark.parametrize("password", ["", "short", "1234567"])
def test_short_password_is_refused(client, password):
    body = assert_problem(register(client, "alice", password=password), 422, "validation_error")
    assert [e["loc"] for e in body["errors"]] == [["body", "password"]]
    assert_problem(login(client, "alice", password or "x"), 401, "bad_credentials")


# "\u212aelvin" starts with the KELVIN SIGN, which lower-cases to an ASCII "k": refused, not folded.
@pytest.mark.parametrize("username", ["ab", "has space", "名字", "a" * 41, "\u212aelvin"])
def test_malformed_username_is_refused(client, username):
    assert_problem(register(client, username), 422, "validation_error")


# ---- sign-in ----------------------------------------------------------------------------------

def test_login_returns_a_token_pair(client):
    register(client, "alice")
    r = login(client, "alice")
    assert r.status_code == 200, r.text
    tokens = r.json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 15 * 60
    me = client.get("/v1/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200 and me.json()["username"] == "alice"


def test_wrong_password_and_unknown_user_look_the_same(client):
    register(client, "alice")
    wrong_password = assert_problem(login(client, "alice", "not the password"), 401, "bad_credentials")
    unknown_user = assert_problem(login(client, "nobody"), 401, "bad_credentials")
    assert wrong_password == unknown_user  # same detail, same everything: no username oracle


def test_me_needs_a_bearer_token(client):
    assert_problem(client.get("/v1/me"), 401, "not_authenticated")
    assert_problem(client.get("/v1/me", headers={"Authorization": "Basic YWxpY2U6eA=="}), 401, "not_authenticated")


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."])
def test_garbage_token_is_invalid(client, token):
    assert_problem(client.get("/v1/me", headers=bearer(token)), 401, "token_invalid")


def _claims(api, username: str) -> dict:
    person = api.register(username, pin=None)
    token = person.headers["Authorization"].removeprefix("Bearer ")
    return jwt.decode(token, options={"verify_signature": False})


def test_expired_access_token_is_refused_as_expired(api, client, settings):
    claims = _claims(api, "alice")
    now = utcnow()
    expired = jwt.encode(claims | {"iat": now - timedelta(minutes=20), "exp": now - timedelta(minutes=5)},
                         _signing_key(settings), algorithm=ALGORITHM)
    assert_problem(client.get("/v1/me", headers=bearer(expired)), 401, "token_expired")


def test_token_signed_with_another_key_is_invalid(api, client):
    claims = _claims(api, "alice")
    forged = jwt.encode(claims, b"k" * 32, algorithm=ALGORITHM)
    assert_problem(client.get("/v1/me", headers=bearer(forged)), 401, "token_invalid")


def test_token_of_another_type_is_invalid(api, client, settings):
    claims = _claims(api, "alice")
    other = jwt.encode(claims | {"typ": "refresh"}, _signing_key(settings), algorithm=ALGORITHM)
    assert_problem(client.get("/v1/me", headers=bearer(other)), 401, "token_invalid")


# ---- refresh rotation and sign-out --------------------------------------------------------------

def refresh(client, token: str):
    return client.post("/v1/auth/refresh", json={"refresh_token": token})


def test_refresh_gives_a_new_working_pair(api, client):
    alice = api.register("alice", pin=None)
    r = refresh(client, alice.refresh_token)
    assert r.status_code == 200, r.text
    pair = r.json()
    assert pair["refresh_token"] != alice.refresh_token
    assert client.get("/v1/me", headers=bearer(pair["access_token"])).json()["username"] == "alice"
    assert refresh(client, pair["refresh_token"]).status_code == 200


def test_reusing_a_refresh_token_revokes_the_whole_family(api, client, db):
    alice = api.register("alice", pin=None)
    other_device = api.login("alice")
    pair = refresh(client, alice.refresh_token).json()

    assert_problem(refresh(client, alice.refresh_token), 401, "refresh_token_reused")

    # Everything issued in that sign-in is dead, including what the rotation just handed out...
    assert_problem(client.get("/v1/me", headers=bearer(pair["access_token"])), 401, "token_invalid")
    assert_problem(client.get("/v1/me", headers=alice.headers), 401, "token_invalid")
    assert_problem(refresh(client, pair["refresh_token"]), 401, "token_invalid")
    with db() as s:
        reasons = dict(s.execute(sa.select(AuthSession.id, AuthSession.revoked_reason)).all())
    assert sorted(reasons.values(), key=str) == [None, "refresh_reused"]
    # ...while the same user's other sign-in carries on.
    assert client.get("/v1/me", headers=other_device.headers).status_code == 200
    assert refresh(client, other_device.refresh_token).status_code == 200


def test_unknown_refresh_token_is_invalid(client):
    assert_problem(refresh(client, "x" * 43), 401, "token_invalid")


def test_logout_ends_only_that_sign_in(api, client):
    alice = api.register("alice", pin=None)
    other_device = api.login("alice")
    r = client.post("/v1/auth/logout", headers=alice.headers)
    assert r.status_code == 204 and r.content == b""
    assert_problem(client.get("/v1/me", headers=alice.headers), 401, "token_invalid")
    assert_problem(refresh(client, alice.refresh_token), 401, "token_invalid")
    assert client.get("/v1/me", headers=other_device.headers).json()["username"] == "alice"


def test_logout_needs_a_sign_in(client):
    assert_problem(client.post("/v1/auth/logout"), 401, "not_authenticated")


# ---- payment PIN ------------------------------------------------------------------------------

def set_pin(client, person, pin: str, password: str = PASSWORD):
    return client.put("/v1/me/pin", json={"pin": pin, "password": password}, headers=person.headers)


def test_setting_a_pin(api, client):
    alice = api.register("alice", pin=None)
    assert client.get("/v1/me", headers=alice.headers).json()["pin_set"] is False
    assert set_pin(client, alice, PIN).status_code == 204
    assert client.get("/v1/me", headers=alice.headers).json()["pin_set"] is True


def test_changing_the_pin_needs_the_right_password(api, client, db):
    alice = api.register("alice")
    before = user_row(db, alice.id).pin_hash
    assert_problem(set_pin(client, alice, "135790", password="not the password"), 401, "bad_credentials")
    assert user_row(db, alice.id).pin_hash == before


def test_wrong_password_sets_no_pin(api, client):
    alice = api.register("alice", pin=None)
    assert_problem(set_pin(client, alice, PIN, password="not the password"), 401, "bad_credentials")
    assert client.get("/v1/me", headers=alice.headers).json()["pin_set"] is False


@pytest.mark.parametrize("pin", ["12345", "1234567", "abcdef", "12 456", "１２３４５６", "123456\n", "", 246810])
def test_pin_must_be_exactly_six_ascii_digits(api, client, db, pin):
    alice = api.register("alice")
    before = user_row(db, alice.id).pin_hash
    body = assert_problem(set_pin(client, alice, pin), 422, "validation_error")
    assert [e["loc"] for e in body["errors"]] == [["body", "pin"]]
    assert user_row(db, alice.id).pin_hash == before


# ---- real name ---------------------------------------------------------------------------------

def verify(client, person, number: str, name: str = "王小明"):
    return client.post("/v1/me/real-name", json={"real_name": name, "national_id": number}, headers=person.headers)


def test_check_digit_helper_matches_a_published_example():
    # The worked example of GB 11643-1999 (appendix A).
    assert national_id("11010519491231002") == "11010519491231002X"


def test_real_name_with_a_valid_id_is_verified_without_storing_the_id(api, client, db):
    alice = api.register("alice", pin=None)
    number = national_id("44030419900307123")
    r = verify(client, alice, number)
    assert r.status_code == 200, r.text
    assert r.json()["real_name_verified"] is True
    assert client.get("/v1/me", headers=alice.headers).json()["real_name_verified"] is True

    row = user_row(db, alice.id)
    assert row.real_name == "王小明"
    assert row.national_id_hash and len(row.national_id_hash) == 64
    with db() as s:
        users = s.execute(sa.text("SELECT * FROM users")).all()
    # Neither the full number nor its 17 digits (nor a lower-case form) sits anywhere in the table.
    for user in users:
        for value in user:
            text = str(value).upper()
            assert number[:17] not in text and number[-12:] not in text


def test_national_id_is_in_no_table_at_all(api, client, db):
    alice = api.register("alice", pin=None)
    number = national_id("44030419900307123")
    assert verify(client, alice, number).status_code == 200
    with db() as s:
        for table in Base.metadata.sorted_tables:
            for row in s.execute(sa.select(table)).all():
                assert not any(number[:17] in str(v) for v in row), table.name


def test_lower_case_x_check_digit_is_accepted(api, client):
    alice = api.register("alice", pin=None)
    r = verify(client, alice, national_id("11010519491231002").lower())
    assert r.status_code == 200, r.text
    assert r.json()["real_name_verified"] is True


def _wrong_check_digit(number: str) -> str:
    return number[:17] + next(c for c in "0123456789X" if c != number[17])


@pytest.mark.parametrize("number", [_wrong_check_digit(national_id("44030419900307123")),
                                    "440304900307123",      # old 15-digit form
                                    "44030419900307123Y",
                                    "4403041990030712３4"])
def test_invalid_national_id_changes_nothing(api, client, db, number):
    alice = api.register("alice", pin=None)
    assert_problem(verify(client, alice, number), 422, "invalid_national_id")
    row = user_row(db, alice.id)
    assert (row.real_name_verified, row.real_name, row.national_id_hash) == (False, None, None)
    assert client.get("/v1/me", headers=alice.headers).json()["real_name_verified"] is False


# ---- preferences ---------------------------------------------------------------------------------

# The care-mode preferences (tests/wallet_api/test_care_preferences.py) start in the standard mode.
CARE_DEFAULTS = {"care_mode": False, "font_scale_percent": 100, "high_contrast": False, "voice_enabled": False,
                 "speech_rate_percent": 100}

def test_preferences_default_to_no_marketing_in_english(api, client):
    alice = api.register("alice", pin=None)
    r = client.get("/v1/me/preferences", headers=alice.headers)
    assert r.status_code == 200
    assert r.json() == {"marketing_allowed": False, "language": "en", **CARE_DEFAULTS}


def test_preferences_can_be_patched_field_by_field(api, client, db):
    alice = api.register("alice", pin=None)
    r = client.patch("/v1/me/preferences", json={"marketing_allowed": True}, headers=alice.headers)
    assert r.json() == {"marketing_allowed": True, "language": "en", **CARE_DEFAULTS}
    r = client.patch("/v1/me/preferences", json={"language": "zh-CN"}, headers=alice.headers)
    assert r.json() == {"marketing_allowed": True, "language": "zh-CN", **CARE_DEFAULTS}
    assert client.get("/v1/me/preferences", headers=alice.headers).json() == r.json()
    with db() as s:
        prefs = s.get(Preferences, alice.id)
        assert (prefs.marketing_allowed, prefs.language) == (True, "zh-CN")


@pytest.mark.parametrize("patch", [{"theme": "dark"}, {"language": "fr"}, {"marketing_allowed": "maybe"}])
def test_bad_preference_patch_is_refused_and_changes_nothing(api, client, patch):
    alice = api.register("alice", pin=None)
    assert_problem(client.patch("/v1/me/preferences", json=patch, headers=alice.headers), 422, "validation_error")
    assert client.get("/v1/me/preferences", headers=alice.headers).json() == {"marketing_allowed": False,
                                                                              "language": "en", **CARE_DEFAULTS}


def test_preferences_need_a_sign_in(client):
    assert_problem(client.get("/v1/me/preferences"), 401, "not_authenticated")
