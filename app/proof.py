"""Check a transfer's inclusion proof offline, from the published journal rules alone.

This deliberately re-implements the rules instead of importing the server's ledger code:
a proof is only worth something if someone other than the server can check it.

- canonical(x): JSON, keys sorted, no spaces, UTF-8 (ensure_ascii off).
- transfer hash: sha256 of canonical({ref, kind, memo, details, actor, created_at, postings}),
  postings as a sorted list of [account_id, amount], created_at ISO 8601 UTC with microseconds.
- chain link hash: sha256 of canonical([prev_hash, account_id, account_seq, amount, balance_after, transfer_hash]).
- Merkle tree (RFC 6962): leaf = sha256(0x00 || transfer hash), node = sha256(0x01 || left || right);
  an odd node at the end of a level moves up unchanged.
- checkpoint: Ed25519 over canonical({seq, prev_root, root, count, first, last, created_at});
  key_id = first 16 hex digits of sha256(raw public key).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from wallet_api.schemas import CheckpointOut, MerkleStep, TransferProof


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def iso_utc(moment: datetime) -> str:
    # The server hashes aware UTC times; a zoneless time can only have meant UTC.
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")


def transfer_hash(proof: TransferProof) -> str:
    t = proof.transfer
    return sha256_hex(canonical({
        "ref": t.ref, "kind": t.kind, "memo": t.memo, "details": t.details, "actor": t.actor_user_id,
        "created_at": iso_utc(t.created_at), "postings": sorted([list(p) for p in t.postings]),
    }))


def link_hash(prev_hash: str, account_id: int, account_seq: int, amount: int, balance_after: int,
              transfer_hash_hex: str) -> str:
    return sha256_hex(canonical([prev_hash, account_id, account_seq, amount, balance_after, transfer_hash_hex]))


def merkle_leaf(transfer_hash_hex: str) -> bytes:
    return hashlib.sha256(b"\x00" + bytes.fromhex(transfer_hash_hex)).digest()


def merkle_node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_path(transfer_hash_hex: str, path: list[MerkleStep]) -> str:
    node = merkle_leaf(transfer_hash_hex)
    for step in path:
        sibling = bytes.fromhex(step.hash)
        node = merkle_node(sibling, node) if step.side == "L" else merkle_node(node, sibling)
    return node.hex()


def expected_sides(leaf_index: int, leaf_count: int) -> list[str]:
    """The sides a path from this leaf must take in a tree of this size (odd nodes skip a level)."""
    sides, index, size = [], leaf_index, leaf_count
    while size > 1:
        sibling = index ^ 1
        if sibling < size:
            sides.append("L" if sibling < index else "R")
        index, size = index // 2, (size + 1) // 2
    return sides


def checkpoint_message(cp: CheckpointOut) -> bytes:
    return canonical({
        "seq": cp.seq, "prev_root": cp.prev_root, "root": cp.merkle_root, "count": cp.transfer_count,
        "first": cp.first_transfer_id, "last": cp.last_transfer_id, "created_at": iso_utc(cp.created_at),
    })


def key_id_of(public_key_hex: str) -> str:
    return sha256_hex(bytes.fromhex(public_key_hex))[:16]


# ---- the checks: each returns plain-English problems, empty when fine --------------------------

def _check_transfer(proof: TransferProof) -> list[str]:
    problems = []
    if transfer_hash(proof) != proof.transfer_hash:
        problems.append("transfer content does not match its hash")
    postings = proof.transfer.postings
    if len(postings) < 2:
        problems.append(f"transfer has {len(postings)} posting(s); a transfer needs at least two")
    if sum(amount for _, amount in postings) != 0:
        problems.append(f"transfer postings sum to {sum(amount for _, amount in postings)}, not 0")
    return problems


def _check_chain(proof: TransferProof) -> list[str]:
    problems = []
    for link in proof.chain:
        where = f"chain link for account {link.account_id} (seq {link.account_seq})"
        recomputed = link_hash(link.prev_hash, link.account_id, link.account_seq, link.amount, link.balance_after,
                               proof.transfer_hash)
        if recomputed != link.hash:
            problems.append(f"{where} does not match its hash")
    # Each posting must have exactly its link, else the chain speaks of some other transfer.
    if sorted((link.account_id, link.amount) for link in proof.chain) != sorted(proof.transfer.postings):
        problems.append("chain links do not match the transfer's postings")
    return problems


def _check_merkle(proof: TransferProof) -> list[str]:
    cp = proof.checkpoint
    if not 0 <= proof.leaf_index < cp.transfer_count:
        return [f"leaf index {proof.leaf_index} is outside the checkpoint's {cp.transfer_count} transfers"]
    problems = []
    if [step.side for step in proof.merkle_path] != expected_sides(proof.leaf_index, cp.transfer_count):
        problems.append(f"merkle path does not lead from leaf {proof.leaf_index} of {cp.transfer_count}")
    if proof.leaf_index == 0 and proof.transfer.id != cp.first_transfer_id:
        problems.append("transfer is the checkpoint's first leaf but not its first transfer")
    if proof.leaf_index == cp.transfer_count - 1 and proof.transfer.id != cp.last_transfer_id:
        problems.append("transfer is the checkpoint's last leaf but not its last transfer")
    try:
        root = root_from_path(proof.transfer_hash, proof.merkle_path)
    except ValueError:
        return [*problems, "merkle path or transfer hash is not valid hex"]
    if root != cp.merkle_root:
        problems.append("merkle path does not lead to the checkpoint's root")
    return problems


def _check_signature(proof: TransferProof, trusted: Ed25519PublicKey, trusted_hex: str) -> list[str]:
    problems = []
    if proof.public_key.lower() != trusted_hex:
        problems.append("proof names a public key other than the trusted journal key")
    if proof.checkpoint.key_id != key_id_of(trusted_hex):
        problems.append("checkpoint key_id does not match the trusted journal key")
    try:
        # Always verify under the trusted key, never under the key the proof brings along.
        trusted.verify(bytes.fromhex(proof.checkpoint.signature), checkpoint_message(proof.checkpoint))
    except (InvalidSignature, ValueError):
        problems.append("checkpoint signature does not verify under the trusted journal key")
    return problems


def verify_transfer_proof(proof: TransferProof, trusted_public_key_hex: str) -> list[str]:
    """Every problem found with `proof`, in plain English; an empty list means it checks out.

    Raises ValueError if `trusted_public_key_hex` is not a raw Ed25519 public key in hex: that is
    a mistake of the caller, not a fault of the proof.
    """
    trusted_hex = trusted_public_key_hex.lower()
    trusted = Ed25519PublicKey.from_public_bytes(bytes.fromhex(trusted_hex))
    return [*_check_transfer(proof), *_check_chain(proof), *_check_merkle(proof),
            *_check_signature(proof, trusted, trusted_hex)]
