"""Fakes for what cannot exist on this machine, named as such."""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError


class FakeOsKeychain(KeyringBackend):
    """Stands in for an operating-system keychain (macOS Keychain, Windows Credential Manager,
    Secret Service), which a headless test machine does not have: in memory only. `broken` makes
    every write fail, as a locked keychain does."""

    priority = 10

    def __init__(self, broken: bool = False) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.broken = broken

    def get_password(self, service, username):
        return self.entries.get((service, username))

    def set_password(self, service, username, password):
        if self.broken:
            raise KeyringError("the keychain is locked")
        self.entries[(service, username)] = password

    def delete_password(self, service, username):
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("no such entry")
