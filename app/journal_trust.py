"""Trust on first use for the journal's public key.

A proof is only as good as the key it is checked against. The client remembers the key the
server published the first time (a public key, so a plain file is fine) and refuses proofs
under any other key afterwards: a server that swapped its key to re-sign a rewritten history
is caught.
"""

from __future__ import annotations

import json
from pathlib import Path

import platformdirs

from app.proof import verify_transfer_proof
from wallet_api.schemas import TransferProof


class JournalKeyChanged(Exception):
    def __init__(self, server: str, pinned: str, offered: str) -> None:
        super().__init__(f"The wallet at {server} now signs its journal with a different key than before. "
                         "Its records can no longer be checked against what you saw earlier; contact support.")
        self.pinned, self.offered = pinned, offered


def default_pin_file() -> Path:
    return Path(platformdirs.user_config_dir("anxin", appauthor=False)) / "journal-keys.json"


class PinnedJournalKeys:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_pin_file()

    def _read(self) -> dict[str, str]:
        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def trusted_key(self, server: str, offered_key_hex: str) -> str:
        """The key to check proofs with: the pinned one, pinning `offered_key_hex` on first use."""
        pins = self._read()
        pinned = pins.get(server)
        if pinned is None:
            pins[server] = offered_key_hex
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(pins, indent=2, sort_keys=True))
            return offered_key_hex
        if pinned != offered_key_hex:
            raise JournalKeyChanged(server, pinned, offered_key_hex)
        return pinned

    def check(self, server: str, proof: TransferProof, published_key_hex: str) -> list[str]:
        """Problems with this proof under the pinned key (empty: it is in the signed journal)."""
        return verify_transfer_proof(proof, self.trusted_key(server, published_key_hex))
