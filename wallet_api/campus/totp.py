"""RFC 4226 HOTP and RFC 6238 TOTP, as published: the server's copy, used to verify codes.

The client (`app/totp.py`) has its own copy of the same algorithm — the client may not import
server code — and both are tested against the RFC 6238 test vectors.
"""

from __future__ import annotations

import hashlib
import hmac

ALGORITHMS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}


def dynamic_truncate(digest: bytes) -> int:
    """RFC 4226 §5.3: 31 bits taken at the offset named by the last nibble."""
    offset = digest[-1] & 0x0F
    return int.from_bytes(digest[offset:offset + 4], "big") & 0x7FFFFFFF


def hotp(secret: bytes, counter: int, *, digits: int = 6, algorithm: str = "SHA1") -> str:
    if counter < 0:
        raise ValueError("the counter is not negative")
    digest = hmac.new(secret, counter.to_bytes(8, "big"), ALGORITHMS[algorithm]).digest()
    return str(dynamic_truncate(digest) % 10**digits).zfill(digits)


def time_step(unix_time: float, *, step_seconds: int = 30, t0: int = 0) -> int:
    """RFC 6238 §4.2: T = floor((Current Unix time - T0) / X)."""
    return int((unix_time - t0) // step_seconds)


def totp(secret: bytes, unix_time: float, *, step_seconds: int = 30, digits: int = 8, algorithm: str = "SHA1",
         t0: int = 0) -> str:
    return hotp(secret, time_step(unix_time, step_seconds=step_seconds, t0=t0), digits=digits, algorithm=algorithm)
