"""Token storage: memory only, or the OS keychain; never a file pretending to be a keychain."""

from __future__ import annotations

import base64

import keyring.core
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyrings.alt.file import PlaintextKeyring

from app.session import (
    SERVICE,
    InsecureKeyringError,
    KeyringTokenStore,
    MemoryTokenStore,
    TokenStore,
    keyring_security,
)
from tests.fakes import FakeOsKeychain


def chain_of(*backends: KeyringBackend) -> chainer.ChainerBackend:
    """A ChainerBackend over exactly these backends, not over whatever this machine has installed."""
    return type("TestChain", (chainer.ChainerBackend,), {"backends": list(backends)})()


@pytest.fixture
def plaintext(tmp_path) -> PlaintextKeyring:
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring_pass.cfg")
    return backend


# ---- detection ------------------------------------------------------------------------------

def test_fail_backend_is_insecure_and_cannot_store():
    status = keyring_security(fail.Keyring())
    assert not status.secure and not status.can_store
    assert status.backend_name == "keyring.backends.fail.Keyring"
    assert "no keychain was found" in status.explanation


def test_null_backend_is_insecure():
    status = keyring_security(null.Keyring())
    assert not status.secure and not status.can_store


def test_plaintext_file_backend_is_insecure(plaintext):
    status = keyring_security(plaintext)
    assert not status.secure and status.can_store
    assert status.backend_name == "keyrings.alt.file.PlaintextKeyring"
    assert "file on disk" in status.explanation


def test_os_keychain_is_secure():
    status = keyring_security(FakeOsKeychain())
    assert status.secure
    assert status.backend_name.endswith("FakeOsKeychain")


def test_chain_of_only_insecure_backends_is_insecure(plaintext):
    assert not keyring_security(chain_of(plaintext, fail.Keyring())).secure
    assert not keyring_security(chain_of()).secure


def test_chain_is_judged_by_the_backend_that_receives_writes(plaintext):
    assert keyring_security(chain_of(FakeOsKeychain(), plaintext)).secure
    # Writes would land in the plain file first, whatever else is in the chain.
    assert not keyring_security(chain_of(plaintext, FakeOsKeychain())).secure


def test_default_backend_is_keyrings_choice(monkeypatch):
    monkeypatch.setattr(keyring.core, "_keyring_backend", fail.Keyring())
    assert not keyring_security().secure
    monkeypatch.setattr(keyring.core, "_keyring_backend", FakeOsKeychain())
    assert keyring_security().secure


# ---- storing ---------------------------------------------------------------------------------

def test_secure_keychain_saves_loads_and_clears():
    keychain = FakeOsKeychain()
    store = KeyringTokenStore("alice", backend=keychain)
    assert store.load() is None
    store.save("access-1", "refresh-token-1")
    assert list(keychain.entries) == [(SERVICE, "alice")]
    assert store.load() == ("access-1", "refresh-token-1")
    assert KeyringTokenStore("bob", backend=keychain).load() is None
    store.clear()
    assert store.load() is None
    store.clear()   # clearing twice is fine


def test_default_store_uses_keyrings_choice(monkeypatch):
    keychain = FakeOsKeychain()
    monkeypatch.setattr(keyring.core, "_keyring_backend", keychain)
    store = KeyringTokenStore()
    store.save("a", "r")
    assert keychain.entries[(SERVICE, "default")]
    assert store.load() == ("a", "r")


def test_insecure_backend_refuses_to_save_and_writes_nothing(plaintext, tmp_path):
    store = KeyringTokenStore(backend=plaintext)
    with pytest.raises(InsecureKeyringError) as caught:
        store.save("access-1", "refresh-token-1")
    message = str(caught.value)
    assert "will not be remembered" in message
    assert "allow_insecure=True" in message
    assert caught.value.status.backend_name == "keyrings.alt.file.PlaintextKeyring"
    assert not (tmp_path / "keyring_pass.cfg").exists()
    assert store.load() is None


def test_insecure_backend_is_not_even_read_without_opt_in(plaintext):
    plaintext.set_password(SERVICE, "default", '["access-old", "refresh-token-old"]')
    assert KeyringTokenStore(backend=plaintext).load() is None
    assert KeyringTokenStore(backend=plaintext, allow_insecure=True).load() == ("access-old", "refresh-token-old")


def test_opt_in_stores_in_the_insecure_backend(plaintext, tmp_path):
    store = KeyringTokenStore(backend=plaintext, allow_insecure=True)
    store.save("access-1", "refresh-token-1")
    # Exactly why it is insecure: the file holds the tokens, merely base64-encoded.
    encoded = (tmp_path / "keyring_pass.cfg").read_text().split("=", 1)[1].strip()
    assert b"refresh-token-1" in base64.b64decode(encoded)
    assert store.load() == ("access-1", "refresh-token-1")
    store.clear()
    assert store.load() is None


def test_clear_removes_an_old_opted_in_login_even_without_opt_in(plaintext):
    KeyringTokenStore(backend=plaintext, allow_insecure=True).save("a", "r")
    KeyringTokenStore(backend=plaintext).clear()
    assert plaintext.get_password(SERVICE, "default") is None


def test_no_keychain_at_all_refuses_even_with_opt_in():
    store = KeyringTokenStore(backend=fail.Keyring(), allow_insecure=True)
    with pytest.raises(InsecureKeyringError) as caught:
        store.save("a", "r")
    assert "allow_insecure" not in str(caught.value)     # opting in would not help here
    assert store.load() is None
    store.clear()


def test_garbage_in_the_keychain_loads_as_signed_out():
    keychain = FakeOsKeychain()
    keychain.set_password(SERVICE, "default", "not json")
    assert KeyringTokenStore(backend=keychain).load() is None
    keychain.set_password(SERVICE, "default", '{"access": "a"}')
    assert KeyringTokenStore(backend=keychain).load() is None


def test_memory_store_forgets_on_clear_and_is_per_instance():
    store = MemoryTokenStore()
    store.save("a", "r")
    assert store.load() == ("a", "r")
    assert MemoryTokenStore().load() is None
    store.clear()
    assert store.load() is None


def test_both_stores_satisfy_the_protocol():
    assert isinstance(MemoryTokenStore(), TokenStore)
    assert isinstance(KeyringTokenStore(backend=FakeOsKeychain()), TokenStore)
