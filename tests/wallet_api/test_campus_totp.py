"""The TOTP core on both sides against RFC 6238 / RFC 4226 test vectors, and the 18-digit code
made by the client (app/campus_code.py) as the server (wallet_api/campus/codes.py) reads it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from hypothesis import given
from hypothesis import strategies as st

import app.totp as client_totp
import wallet_api.campus.totp as server_totp
from app.campus_code import DeviceKey, payment_code, seconds_left
from wallet_api.campus import codes, ratelimit

IMPLEMENTATIONS = [pytest.param(client_totp, id="client"), pytest.param(server_totp, id="server")]

# RFC 6238 Appendix B: T0 = 0, X = 30 s, 8 digits; the seeds are ASCII "1234567890" repeated
# to 20 (SHA-1), 32 (SHA-256) and 64 (SHA-512) bytes.
SEEDS = {"SHA1": b"12345678901234567890", "SHA256": b"12345678901234567890123456789012",
         "SHA512": b"1234567890123456789012345678901234567890123456789012345678901234"}
RFC6238 = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]
RFC6238_STEPS = {59: 0x1, 1111111109: 0x23523EC, 1111111111: 0x23523ED, 1234567890: 0x273EF07,
                 2000000000: 0x3F940AA, 20000000000: 0x27BC86AA}
# RFC 4226 Appendix D: HOTP-SHA-1, secret "12345678901234567890", counters 0..9, 6 digits.
RFC4226 = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize(("unix_time", "sha1", "sha256", "sha512"), RFC6238)
def test_rfc6238_vectors(impl, unix_time, sha1, sha256, sha512):
    got = {alg: impl.totp(SEEDS[alg], unix_time, step_seconds=30, digits=8, algorithm=alg) for alg in SEEDS}
    assert got == {"SHA1": sha1, "SHA256": sha256, "SHA512": sha512}
    assert impl.time_step(unix_time, step_seconds=30) == RFC6238_STEPS[unix_time]


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_rfc4226_hotp_vectors(impl):
    assert [impl.hotp(SEEDS["SHA1"], counter, digits=6) for counter in range(10)] == RFC4226


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_a_negative_counter_is_refused(impl):
    with pytest.raises(ValueError):
        impl.hotp(b"k" * 20, -1)


@given(secret=st.binary(min_size=20, max_size=64), unix_time=st.integers(0, 2**40),
       algorithm=st.sampled_from(["SHA1", "SHA256", "SHA512"]), digits=st.integers(6, 10),
       step=st.sampled_from([30, 60]))
def test_client_and_server_compute_the_same_totp(secret, unix_time, algorithm, digits, step):
    kw = {"step_seconds": step, "digits": digits, "algorithm": algorithm}
    assert client_totp.totp(secret, unix_time, **kw) == server_totp.totp(secret, unix_time, **kw)


@given(st.binary(min_size=20, max_size=20))
def test_dynamic_truncation_is_31_bits_so_the_10_digit_part_is_below_2_pow_31(digest):
    assert 0 <= client_totp.dynamic_truncate(digest) == server_totp.dynamic_truncate(digest) < 2**31


def _key(secret: bytes, number: int) -> DeviceKey:
    return DeviceKey(device_id=1, number=number, secret=secret)


@given(secret=st.binary(min_size=32, max_size=32), number=st.sampled_from(codes.DEVICE_NUMBERS),
       now=st.floats(min_value=1e9, max_value=4e9, allow_nan=False))
def test_the_client_code_is_what_the_server_parses(secret, number, now):
    made = payment_code(_key(secret, number), now)
    assert re.fullmatch(r"28[0-9]{16}", made.code)
    parsed = codes.parse(made.code)
    assert parsed is not None and parsed.device_number == number
    assert int(parsed.otp) < 2**31
    assert made.step == codes.current_step(now)
    assert made.grouped.replace(" ", "") == made.code and made.grouped.startswith("28 ")


@given(secret=st.binary(min_size=32, max_size=32), now=st.integers(10**9, 4 * 10**9),
       drift=st.integers(-15, 15))
def test_the_server_accepts_one_step_either_side_and_calls_older_codes_expired(secret, now, drift):
    made = payment_code(_key(secret, 123456), now)
    server_step = made.step + drift
    match = codes.match_step(secret, codes.ALGORITHM, codes.parse(made.code).otp, server_step)
    if -1 <= drift <= 1:
        assert match == codes.StepMatch(made.step, fresh=True)
    elif 2 <= drift <= codes.EXPIRED_LOOKBACK:
        assert match == codes.StepMatch(made.step, fresh=False)
    else:
        assert match is None


def test_malformed_codes_do_not_parse():
    good = "28" + "123456" + "0123456789"
    assert codes.parse(good) == codes.ParsedCode(123456, "0123456789")
    for bad in [good[:-1], good + "0", "29" + good[2:], good[:5] + "x" + good[6:], "２８" + good[2:]]:
        assert codes.parse(bad) is None, bad


def test_the_code_changes_at_the_step_boundary_with_a_countdown():
    key = _key(bytes(range(32)), 100001)
    start = 1_800_000_000 - 1_800_000_000 % 60  # the first second of a step
    first, last = payment_code(key, start), payment_code(key, start + 59.5)
    assert (first.code, first.step) == (last.code, last.step)
    assert (first.seconds_left, last.seconds_left) == (60, 1)
    following = payment_code(key, start + 60)
    assert following.step == first.step + 1 and following.code != first.code
    assert [seconds_left(60, start + s) for s in (0, 0.4, 1, 30, 59)] == [60, 60, 59, 30, 1]


def test_a_sealed_device_secret_opens_only_under_the_same_server_key_and_device():
    secret = codes.new_secret()
    assert len(secret) * 8 >= 160
    box = codes.SecretBox("server secret")
    sealed = box.seal(secret, 123456)
    assert secret.hex() not in sealed and box.open(sealed, 123456) == secret
    with pytest.raises(InvalidTag):
        codes.SecretBox("another server secret").open(sealed, 123456)
    with pytest.raises(InvalidTag):
        box.open(sealed, 654321)  # moved onto another device's row


def test_brute_force_bound_in_the_docs_follows_from_the_limits():
    """docs/campus.md states the guessing arithmetic; keep it true to the code's numbers."""
    lifetime_minutes = (2 * codes.ACCEPT_WINDOW + 1) * codes.STEP_SECONDS / 60        # a code lives 3 minutes
    per_merchant = ratelimit.MERCHANT.capacity + ratelimit.MERCHANT.per_minute * lifetime_minutes
    per_terminal = ratelimit.TERMINAL.capacity + ratelimit.TERMINAL.per_minute * lifetime_minutes
    accepted_values = 2 * codes.ACCEPT_WINDOW + 1
    chance = per_merchant * accepted_values / 2**31
    assert (lifetime_minutes, per_terminal, per_merchant) == (3, 20, 50)
    assert chance < 1e-7
    text = (Path(__file__).resolve().parents[2] / "docs" / "campus.md").read_text(encoding="utf-8")
    assert f"{chance:.1e}".replace("e-0", " × 10^-") in text, f"{chance:.1e}"
