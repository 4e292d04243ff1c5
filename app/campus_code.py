"""The campus payment code, made offline on this phone from its device key and the clock.

A code is 18 digits: the fixed prefix "28", this phone's 6-digit device number, and a 10-digit
RFC 6238 TOTP (HMAC-SHA-256, 60-second steps). It changes every step; the screen shows it with
its QR and the seconds left. No network is needed: only the device key, which lives in the
operating system's keychain (service "anxin") and nowhere else — never in a file of ours, and not
in a file-based keyring unless the person explicitly accepts that risk, exactly like login tokens.
"""

from __future__ import annotations

import base64
import json
import math
import time
from dataclasses import dataclass

import keyring.errors
from keyring.backend import KeyringBackend

from app.qr import qr_png
from app.session import SERVICE, KeyringStatus, keyring_security
from app.totp import hotp, time_step
from wallet_api.schemas.campus import DeviceSecretOut


@dataclass(frozen=True)
class DeviceKey:
    """What this phone needs to make codes: handed over once, at activation."""

    device_id: int
    number: int
    secret: bytes
    algorithm: str = "SHA256"
    digits: int = 10
    step_seconds: int = 60
    prefix: str = "28"
    code_length: int = 18

    @classmethod
    def from_wire(cls, out: DeviceSecretOut) -> DeviceKey:
        return cls(device_id=out.device.id, number=out.device.number, secret=_b32decode(out.secret_b32),
                   algorithm=out.algorithm, digits=out.digits, step_seconds=out.step_seconds, prefix=out.prefix,
                   code_length=out.code_length)

    def to_json(self) -> str:
        return json.dumps({"device_id": self.device_id, "number": self.number,
                           "secret_b32": base64.b32encode(self.secret).decode(), "algorithm": self.algorithm,
                           "digits": self.digits, "step_seconds": self.step_seconds, "prefix": self.prefix,
                           "code_length": self.code_length})

    @classmethod
    def from_json(cls, text: str) -> DeviceKey:
        data = json.loads(text)
        secret = _b32decode(data.pop("secret_b32"))
        return cls(secret=secret, **data)

    def __repr__(self) -> str:  # never print the secret
        return f"DeviceKey(device_id={self.device_id}, number={self.number}, algorithm={self.algorithm!r})"


def _b32decode(text: str) -> bytes:
    """Base32 as authenticator apps write it: padding optional, case ignored."""
    text = text.strip().replace(" ", "").upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))


@dataclass(frozen=True)
class PaymentCode:
    code: str           # the 18 digits the cashier scans or types
    step: int           # the RFC 6238 time step it belongs to
    seconds_left: int   # the countdown: how long until the next code (1..step_seconds)

    @property
    def grouped(self) -> str:
        """Easier to read aloud or type: 28 1234 5612 3456 7890."""
        head, rest = self.code[:2], self.code[2:]
        return " ".join([head] + [rest[i:i + 4] for i in range(0, len(rest), 4)])

    def qr_png(self, *, box_size: int = 8) -> bytes:
        return qr_png(self.code, box_size=box_size)


def payment_code(key: DeviceKey, now: float | None = None) -> PaymentCode:
    """The code for the time `now` (default: this phone's clock). Pure: no network, no storage."""
    now = time.time() if now is None else now
    step = time_step(now, step_seconds=key.step_seconds)
    otp = hotp(key.secret, step, digits=key.digits, algorithm=key.algorithm)
    number_digits = key.code_length - len(key.prefix) - key.digits
    code = f"{key.prefix}{key.number:0{number_digits}d}{otp}"
    return PaymentCode(code=code, step=step, seconds_left=seconds_left(key.step_seconds, now))


def seconds_left(step_seconds: int, now: float) -> int:
    return max(1, math.ceil(step_seconds - (now % step_seconds)))


# ---- the keychain ---------------------------------------------------------------------------

class InsecureDeviceKeyError(RuntimeError):
    """The keychain here is no place for the payment-code key (and the person has not accepted that)."""

    def __init__(self, status: KeyringStatus) -> None:
        how = ("Install an operating-system keychain such as GNOME Keyring or KWallet, then try again."
               if not status.can_store else
               "Install an operating-system keychain such as GNOME Keyring or KWallet; or, accepting that anyone "
               "who can read that file can make your payment codes, allow insecure storage (allow_insecure=True).")
        super().__init__("This phone cannot keep your campus payment code's key safely, so it was not set up. "
                         f"{status.explanation} {how}")
        self.status = status


class DeviceKeyStore:
    """The device key in the OS keychain: service "anxin", one entry per `slot` (e.g. the username)."""

    def __init__(self, slot: str = "default", *, allow_insecure: bool = False,
                 backend: KeyringBackend | None = None) -> None:
        self.entry = f"campus-device:{slot}"
        self.allow_insecure = allow_insecure
        self._backend = backend

    @property
    def backend(self) -> KeyringBackend:
        return self._backend if self._backend is not None else keyring.get_keyring()

    def security(self) -> KeyringStatus:
        return keyring_security(self.backend)

    def check_writable(self) -> None:
        """Raise InsecureDeviceKeyError unless a key saved now would be kept (call before activating)."""
        status = self.security()
        if not status.can_store or not (status.secure or self.allow_insecure):
            raise InsecureDeviceKeyError(status)

    def save(self, key: DeviceKey) -> None:
        self.check_writable()
        try:
            self.backend.set_password(SERVICE, self.entry, key.to_json())
        except keyring.errors.KeyringError as exc:
            raise InsecureDeviceKeyError(self.security()) from exc

    def load(self) -> DeviceKey | None:
        status = self.security()
        if not (status.secure or self.allow_insecure):
            return None
        try:
            stored = self.backend.get_password(SERVICE, self.entry)
            return DeviceKey.from_json(stored) if stored else None
        except (keyring.errors.KeyringError, ValueError, TypeError, KeyError):
            return None

    def clear(self) -> None:
        try:
            self.backend.delete_password(SERVICE, self.entry)
        except keyring.errors.KeyringError:
            pass
