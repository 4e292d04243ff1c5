"""Hashing of passwords and PINs (argon2id), tokens (SHA-256) and national IDs (keyed HMAC)."""

from __future__ import annotations

import hashlib
import hmac
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from wallet_api.config import Settings
from wallet_api.errors import InvalidNationalId


class Hasher:
    """argon2id with the configured cost (argon2-cffi's default type is argon2id)."""

    def __init__(self, settings: Settings) -> None:
        self._ph = PasswordHasher(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib)

    def hash(self, secret: str) -> str:
        return self._ph.hash(secret)

    def verify(self, stored: str, secret: str) -> bool:
        try:
            return self._ph.verify(stored, secret)
        except (VerificationError, InvalidHashError):
            return False


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"


def normalise_national_id(raw: str) -> str:
    """Validate an 18-character resident ID (GB 11643, ISO 7064 MOD 11-2 check digit)."""
    value = raw.strip().upper()
    if not re.fullmatch(r"[0-9]{17}[0-9X]", value):
        raise InvalidNationalId("A national ID has 17 digits and a final digit or X. Check the number and try again.")
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != value[17]:
        raise InvalidNationalId("This national ID's check digit is wrong. Check the number and try again.")
    return value


def national_id_hash(secret_key: str, national_id: str) -> str:
    return hmac.new(secret_key.encode(), b"national-id:" + national_id.encode(), hashlib.sha256).hexdigest()
