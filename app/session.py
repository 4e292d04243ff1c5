"""Where the client keeps its access and refresh tokens.

Tokens are as good as a password for as long as they live, so they go only into the
operating system's keychain (via `keyring`) or into memory. We never write a file ourselves;
keyring backends that are just files on disk (keyrings.alt) count as insecure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import keyring
import keyring.errors
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

SERVICE = "anxin"

TokenPair = tuple[str, str]  # (access token, refresh token)


@runtime_checkable
class TokenStore(Protocol):
    def load(self) -> TokenPair | None: ...

    def save(self, access: str, refresh: str) -> None: ...

    def clear(self) -> None: ...


class MemoryTokenStore:
    """Tokens for this process only: nothing survives a restart."""

    def __init__(self) -> None:
        self._pair: TokenPair | None = None

    def load(self) -> TokenPair | None:
        return self._pair

    def save(self, access: str, refresh: str) -> None:
        self._pair = (access, refresh)

    def clear(self) -> None:
        self._pair = None


@dataclass(frozen=True)
class KeyringStatus:
    secure: bool
    backend_name: str
    explanation: str
    can_store: bool = True  # False: nothing is kept even if the user opts in to insecure storage


def _name(backend: KeyringBackend) -> str:
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


def _insecure_reason(backend: KeyringBackend) -> str | None:
    """Why this backend is no place for tokens, or None if it is an OS keychain."""
    if isinstance(backend, fail.Keyring):
        return "no keychain was found on this computer"
    if isinstance(backend, null.Keyring):
        return "the keychain is switched off"
    if type(backend).__module__.startswith("keyrings.alt"):
        return ("it keeps secrets in a file on disk rather than in the operating system's keychain, "
                "where other programs and backups can read them")
    if isinstance(backend, chainer.ChainerBackend):
        # The chainer writes to the first backend that accepts the write: judge that one.
        backends = list(backend.backends)
        if not backends:
            return "no keychain was found on this computer"
        return _insecure_reason(backends[0])
    return None


def _stores_nothing(backend: KeyringBackend) -> bool:
    if isinstance(backend, chainer.ChainerBackend):
        backends = list(backend.backends)
        return not backends or _stores_nothing(backends[0])
    return isinstance(backend, (fail.Keyring, null.Keyring))


def keyring_security(backend: KeyringBackend | None = None) -> KeyringStatus:
    """Say whether `backend` (default: keyring's choice) is safe for login tokens, and why."""
    backend = backend if backend is not None else keyring.get_keyring()
    name = _name(backend)
    reason = _insecure_reason(backend)
    if reason is None:
        return KeyringStatus(True, name, f"{name} is the operating system's keychain.")
    return KeyringStatus(False, name, f"{name} is not safe for your login: {reason}.",
                         can_store=not _stores_nothing(backend))


class InsecureKeyringError(RuntimeError):
    def __init__(self, status: KeyringStatus) -> None:
        how = ("To have it remembered, install an operating-system keychain such as GNOME Keyring or KWallet."
               if not status.can_store else
               "To have it remembered anyway, accepting that risk, allow insecure token storage "
               "(allow_insecure=True); installing an operating-system keychain such as GNOME Keyring "
               "or KWallet fixes this properly.")
        super().__init__(
            "Your login will not be remembered on this computer. " + status.explanation + " "
            "You stay signed in until you close the app, then you will need to sign in again. " + how)
        self.status = status


class KeyringTokenStore:
    """Tokens in the OS keychain under service `anxin`, one entry per `username_slot`."""

    def __init__(self, username_slot: str = "default", *, allow_insecure: bool = False,
                 backend: KeyringBackend | None = None) -> None:
        self.username_slot = username_slot
        self.allow_insecure = allow_insecure
        self._backend = backend

    @property
    def backend(self) -> KeyringBackend:
        return self._backend if self._backend is not None else keyring.get_keyring()

    def security(self) -> KeyringStatus:
        return keyring_security(self.backend)

    def _usable(self) -> bool:
        return self.allow_insecure or self.security().secure

    def load(self) -> TokenPair | None:
        if not self._usable():
            return None
        try:
            stored = self.backend.get_password(SERVICE, self.username_slot)
            pair = json.loads(stored) if stored else None
        except (keyring.errors.KeyringError, ValueError):
            return None
        if isinstance(pair, list) and len(pair) == 2 and all(isinstance(t, str) for t in pair):
            return pair[0], pair[1]
        return None

    def save(self, access: str, refresh: str) -> None:
        status = self.security()
        if not status.can_store or not (status.secure or self.allow_insecure):
            raise InsecureKeyringError(status)
        try:
            # One entry for both tokens, so a crash can never leave a mismatched pair.
            self.backend.set_password(SERVICE, self.username_slot, json.dumps([access, refresh]))
        except keyring.errors.KeyringError as exc:
            raise InsecureKeyringError(status) from exc

    def clear(self) -> None:
        # Always try, even on a backend we would not write to: it may hold an old opted-in login.
        try:
            self.backend.delete_password(SERVICE, self.username_slot)
        except keyring.errors.KeyringError:
            pass
