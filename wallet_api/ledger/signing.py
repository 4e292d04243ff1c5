"""The Ed25519 key that signs journal checkpoints. It lives outside the database on purpose:
someone who can rewrite the tables still cannot forge a checkpoint."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from wallet_api.config import create_once


def key_id_of(public_key_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(public_key_hex)).hexdigest()[:16]


@dataclass(frozen=True)
class JournalSigner:
    private_key: Ed25519PrivateKey

    @property
    def public_key_hex(self) -> str:
        raw = self.private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return raw.hex()

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_key_hex)

    def sign(self, message: bytes) -> str:
        return self.private_key.sign(message).hex()


def load_or_create_signer(path: Path) -> JournalSigner:
    if path.exists():
        return _signer_from(path, path.read_bytes())
    pem = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption())
    # Several workers starting at once each make a key: the first one written is the one every worker signs with.
    return _signer_from(path, create_once(path, pem))


def _signer_from(path: Path, pem: bytes) -> JournalSigner:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return JournalSigner(key)


def signature_valid(public_key_hex: str, message: bytes, signature_hex: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex)).verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True
