"""The campus payment code: its format, the device secrets behind it, and verification.

An 18-digit code = "28" (fixed prefix: a campus code) + 6-digit device number (assigned by
the server at activation) + 10-digit TOTP (RFC 6238, HMAC-SHA-256, 60-second steps, dynamic
truncation to 31 bits, so the TOTP part is always below 2^31 = 2,147,483,648).
The server accepts the steps t-1, t and t+1; older steps up to ten minutes back are reported as
"expired" so the cashier knows to ask for a fresh code rather than suspect a fake one.
"""

from __future__ import annotations

import base64
import hmac
import os
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from wallet_api.campus.totp import hotp, time_step

PREFIX = "28"
CODE_LENGTH = 18
DEVICE_DIGITS = 6
TOTP_DIGITS = CODE_LENGTH - len(PREFIX) - DEVICE_DIGITS  # 10
STEP_SECONDS = 60
ALGORITHM = "SHA256"
SECRET_BYTES = 32            # 256 bits: the HMAC-SHA-256 block of key material, well above RFC 6238's 128
ACCEPT_WINDOW = 1            # steps either side of the server's own (clock skew)
EXPIRED_LOOKBACK = 10        # older steps still recognised, to answer "expired" instead of "invalid"
DEVICE_NUMBERS = range(100_000, 1_000_000)


@dataclass(frozen=True)
class ParsedCode:
    device_number: int
    otp: str


def parse(code: str) -> ParsedCode | None:
    """The device number and TOTP of a well-formed campus code, or None."""
    if len(code) != CODE_LENGTH or not code.isascii() or not code.isdigit() or not code.startswith(PREFIX):
        return None
    device = code[len(PREFIX):len(PREFIX) + DEVICE_DIGITS]
    return ParsedCode(int(device), code[len(PREFIX) + DEVICE_DIGITS:])


def format_code(device_number: int, otp: str) -> str:
    return f"{PREFIX}{device_number:0{DEVICE_DIGITS}d}{otp}"


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def new_device_number() -> int:
    return secrets.choice(DEVICE_NUMBERS)


def current_step(unix_time: float) -> int:
    return time_step(unix_time, step_seconds=STEP_SECONDS)


@dataclass(frozen=True)
class StepMatch:
    step: int
    fresh: bool  # within the accepted window (else: a genuine but expired code)


def match_step(secret: bytes, algorithm: str, otp: str, now_step: int) -> StepMatch | None:
    """Which time step this TOTP belongs to, looking at the accepted window first."""
    window = [now_step + d for d in range(ACCEPT_WINDOW, -ACCEPT_WINDOW - 1, -1)]
    older = [now_step - d for d in range(ACCEPT_WINDOW + 1, EXPIRED_LOOKBACK + 1)]
    for step in window + older:
        if step >= 0 and hmac.compare_digest(hotp(secret, step, digits=TOTP_DIGITS, algorithm=algorithm), otp):
            return StepMatch(step, fresh=step in window)
    return None


class SecretBox:
    """Seals device secrets at rest (AES-256-GCM) under a key derived from the server secret.

    The server must keep the secrets themselves to verify codes; a copy of the database alone,
    without ANXIN_SECRET_KEY, yields none of them. The device number is the associated data, so a
    sealed secret cannot be moved onto another device's row.
    """

    def __init__(self, server_secret: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"anxin/campus/device-secret/v1").derive(server_secret.encode())
        self._aead = AESGCM(key)

    def seal(self, secret: bytes, device_number: int) -> str:
        nonce = os.urandom(12)
        sealed = nonce + self._aead.encrypt(nonce, secret, str(device_number).encode())
        return base64.b64encode(sealed).decode()

    def open(self, sealed: str, device_number: int) -> bytes:
        raw = base64.b64decode(sealed)
        return self._aead.decrypt(raw[:12], raw[12:], str(device_number).encode())
