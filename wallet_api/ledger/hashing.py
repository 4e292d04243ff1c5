"""The journal's hash rules. docs/journal.md states them so anyone can re-implement them.

- canonical(x): JSON, keys sorted, no spaces, UTF-8, ensure_ascii off.
- transfer hash  = SHA-256(canonical({ref, kind, memo, details, actor, created_at, postings}))
  with postings = [[account_id, amount], ...] sorted by account_id, created_at in ISO 8601 UTC.
- posting hash   = SHA-256(canonical([prev_hash, account_id, account_seq, amount,
                   balance_after, transfer_hash]))  — a chain per account.
- Merkle tree (RFC 6962): leaf = SHA-256(0x00 || bytes(transfer_hash)),
  node = SHA-256(0x01 || left || right); an odd node is promoted unchanged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any


GENESIS_ROOT = "0" * 64

# One encoder for every call: json.dumps with these options builds a new JSONEncoder each time, which
# cost as much as the encoding itself in `anxin audit verify` (profiled: tests/bench/bench_scaling.py).
_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def canonical(value: Any) -> bytes:
    return _encode(value).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def transfer_hash(*, ref: str, kind: str, memo: str, details: dict[str, Any], actor_user_id: int | None,
                  created_at: datetime, postings: Sequence[tuple[int, int]]) -> str:
    content = {
        "ref": ref, "kind": kind, "memo": memo, "details": details, "actor": actor_user_id,
        "created_at": created_at.isoformat(timespec="microseconds"),
        "postings": sorted([list(p) for p in postings]),
    }
    return sha256_hex(canonical(content))


def posting_hash(*, prev_hash: str, account_id: int, account_seq: int, amount: int, balance_after: int,
                 transfer_hash: str) -> str:
    if (type(prev_hash) is str and type(transfer_hash) is str and prev_hash.isalnum() and transfer_hash.isalnum()
            and type(account_id) is type(account_seq) is type(amount) is type(balance_after) is int):
        # The same bytes as canonical([...]) when both strings need no JSON escaping and the numbers are
        # plain ints (always, for hashes this module made), without the encoder's per-call work.
        text = f'["{prev_hash}",{account_id},{account_seq},{amount},{balance_after},"{transfer_hash}"]'
        return hashlib.sha256(text.encode()).hexdigest()
    return sha256_hex(canonical([prev_hash, account_id, account_seq, amount, balance_after, transfer_hash]))


def _leaf(h: str) -> bytes:
    return hashlib.sha256(b"\x00" + bytes.fromhex(h)).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(leaf_hashes: Sequence[str]) -> str:
    if not leaf_hashes:
        raise ValueError("a Merkle tree needs at least one leaf")
    level = [_leaf(h) for h in leaf_hashes]
    while len(level) > 1:
        level = [_node(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]
    return level[0].hex()


def merkle_path(leaf_hashes: Sequence[str], index: int) -> list[tuple[str, str]]:
    """Audit path for leaf `index`: (side, sibling hex) pairs from the leaf up; side is 'L' or 'R'."""
    level = [_leaf(h) for h in leaf_hashes]
    path: list[tuple[str, str]] = []
    while len(level) > 1:
        sibling = index ^ 1
        if sibling < len(level):
            path.append(("L" if sibling < index else "R", level[sibling].hex()))
        level = [_node(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]
        index //= 2
    return path


def root_from_path(leaf_hash: str, path: Sequence[tuple[str, str]]) -> str:
    node = _leaf(leaf_hash)
    for side, sibling in path:
        node = _node(bytes.fromhex(sibling), node) if side == "L" else _node(node, bytes.fromhex(sibling))
    return node.hex()


def checkpoint_message(*, seq: int, prev_root: str, merkle_root: str, transfer_count: int,
                       first_transfer_id: int, last_transfer_id: int, created_at: datetime) -> bytes:
    """The exact bytes the server signs for a checkpoint."""
    return canonical({
        "seq": seq, "prev_root": prev_root, "root": merkle_root, "count": transfer_count,
        "first": first_transfer_id, "last": last_transfer_id,
        "created_at": created_at.isoformat(timespec="microseconds"),
    })
