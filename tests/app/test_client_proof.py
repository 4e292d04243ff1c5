"""Offline proof checking, on proofs built here by hand from the published rules.

The builder below states the rules again on its own (hashlib + json), so a mistake in
app.proof cannot hide behind the same mistake in the test.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.proof import verify_transfer_proof
from wallet_api.schemas import TransferProof

GENESIS = "0" * 64
T0 = datetime(2026, 11, 22, 11, 0, 0, 123456, tzinfo=UTC)


def canon(x) -> bytes:
    return json.dumps(x, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def h(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def raw_public(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def make_transfer(tid: int, postings: list[tuple[int, int]], *, memo: str = "", kind: str = "p2p") -> dict:
    content = {"id": tid, "ref": f"ref-{tid}", "kind": kind, "memo": memo, "details": {"note": tid},
               "actor_user_id": 7, "created_at": T0 + timedelta(seconds=tid), "postings": postings}
    content["hash"] = h(canon({
        "ref": content["ref"], "kind": kind, "memo": memo, "details": content["details"], "actor": 7,
        "created_at": content["created_at"].isoformat(timespec="microseconds"),
        "postings": sorted([a, m] for a, m in postings)}))
    return content


def build_journal(key: Ed25519PrivateKey, transfers: list[dict]) -> list[dict]:
    """Chain every account, cut one signed checkpoint over all transfers; return a proof per transfer."""
    heads: dict[int, tuple[str, int, int]] = {}          # account -> (hash, seq, balance)
    chains: dict[int, list[dict]] = {}
    for t in transfers:
        chains[t["id"]] = []
        for account, amount in sorted(t["postings"]):
            prev, seq, balance = heads.get(account, (GENESIS, 0, 0))
            link = {"account_id": account, "account_seq": seq + 1, "amount": amount,
                    "balance_after": balance + amount, "prev_hash": prev}
            link["hash"] = h(canon([prev, account, seq + 1, amount, balance + amount, t["hash"]]))
            heads[account] = (link["hash"], seq + 1, balance + amount)
            chains[t["id"]].append(link)

    # RFC 6962 tree with odd nodes promoted, keeping every level to read the audit paths from.
    levels = [[hashlib.sha256(b"\x00" + bytes.fromhex(t["hash"])).digest() for t in transfers]]
    while len(levels[-1]) > 1:
        lv = levels[-1]
        levels.append([hashlib.sha256(b"\x01" + lv[i] + lv[i + 1]).digest() if i + 1 < len(lv) else lv[i]
                       for i in range(0, len(lv), 2)])
    root = levels[-1][0].hex()

    checkpoint = {"seq": 1, "created_at": T0 + timedelta(minutes=5), "transfer_count": len(transfers),
                  "first_transfer_id": transfers[0]["id"], "last_transfer_id": transfers[-1]["id"],
                  "merkle_root": root, "prev_root": GENESIS,
                  "key_id": h(bytes.fromhex(raw_public(key)))[:16]}
    message = canon({"seq": 1, "prev_root": GENESIS, "root": root, "count": len(transfers),
                     "first": checkpoint["first_transfer_id"], "last": checkpoint["last_transfer_id"],
                     "created_at": checkpoint["created_at"].isoformat(timespec="microseconds")})
    checkpoint["signature"] = key.sign(message).hex()

    proofs = []
    for index, t in enumerate(transfers):
        path, i = [], index
        for lv in levels[:-1]:
            sibling = i ^ 1
            if sibling < len(lv):
                path.append({"side": "L" if sibling < i else "R", "hash": lv[sibling].hex()})
            i //= 2
        content = {k: v for k, v in t.items() if k != "hash"}
        proofs.append({"transfer": content, "transfer_hash": t["hash"], "chain": chains[t["id"]],
                       "leaf_index": index, "merkle_path": path, "checkpoint": checkpoint,
                       "public_key": raw_public(key)})
    return proofs


@pytest.fixture(scope="module")
def journal_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def trusted(journal_key) -> str:
    return raw_public(journal_key)


@pytest.fixture(scope="module")
def proofs(journal_key) -> list[dict]:
    transfers = [make_transfer(1, [(10, -500), (20, 500)]),
                 make_transfer(2, [(20, -120), (30, 120)], memo="奶茶 bubble tea"),
                 make_transfer(3, [(10, -80), (20, 60), (30, 20)], kind="merchant")]
    return build_journal(journal_key, transfers)


def proof_of(raw: dict) -> TransferProof:
    """The proof as a client receives it: serialised to JSON by pydantic, parsed back."""
    return TransferProof.model_validate_json(TransferProof.model_validate(raw).model_dump_json())


def tampered(raw: dict, edit) -> TransferProof:
    """A deep copy of the proof as it came over the wire, with `edit` applied to the JSON."""
    data = json.loads(TransferProof.model_validate(raw).model_dump_json())
    edit(data)
    return TransferProof.model_validate(data)


# ---- valid proofs ---------------------------------------------------------------------------

@pytest.mark.parametrize("index", [0, 1, 2])
def test_genuine_proofs_check_out(proofs, trusted, index):
    # Leaf 2 of 3 is the odd one out: promoted a level, so its path is one step shorter.
    assert verify_transfer_proof(proof_of(proofs[index]), trusted) == []


def test_path_shapes_cover_promotion(proofs):
    assert [[s["side"] for s in p["merkle_path"]] for p in proofs] == [["R", "R"], ["L", "R"], ["L"]]


def test_key_may_be_given_in_upper_case(proofs, trusted):
    assert verify_transfer_proof(proof_of(proofs[0]), trusted.upper()) == []


def test_same_instant_in_another_zone_still_checks_out(proofs, trusted):
    shanghai = timezone(timedelta(hours=8))
    proof = proof_of(proofs[1])
    moved = proof.model_copy(update={"transfer": proof.transfer.model_copy(
        update={"created_at": proof.transfer.created_at.astimezone(shanghai)})})
    assert verify_transfer_proof(moved, trusted) == []


def test_single_transfer_checkpoint(journal_key, trusted):
    (only,) = build_journal(journal_key, [make_transfer(9, [(1, -1), (2, 1)])])
    assert only["merkle_path"] == []
    assert verify_transfer_proof(proof_of(only), trusted) == []


def test_agrees_with_the_servers_own_hashing(proofs, trusted):
    # The offline checker must accept what the server computes, byte for byte.
    from wallet_api.ledger import hashing

    p = proof_of(proofs[1])
    t = p.transfer
    assert hashing.transfer_hash(ref=t.ref, kind=t.kind, memo=t.memo, details=t.details, actor_user_id=t.actor_user_id,
                                 created_at=t.created_at, postings=t.postings) == p.transfer_hash
    leaves = [q["transfer_hash"] for q in proofs]
    assert hashing.merkle_root(leaves) == p.checkpoint.merkle_root
    assert [{"side": s, "hash": x} for s, x in hashing.merkle_path(leaves, 1)] == proofs[1]["merkle_path"]


# ---- tampering: each is reported ------------------------------------------------------------

def test_changed_posting_amount_is_reported(proofs, trusted):
    def edit(d):
        d["transfer"]["postings"] = [[10, -5000], [20, 5000]]      # still balanced, just bigger
    problems = verify_transfer_proof(tampered(proofs[0], edit), trusted)
    assert "transfer content does not match its hash" in problems
    assert "chain links do not match the transfer's postings" in problems


def test_changed_chain_link_amount_is_reported(proofs, trusted):
    def edit(d):
        d["chain"][0]["amount"] = -5000
    problems = verify_transfer_proof(tampered(proofs[0], edit), trusted)
    assert "chain link for account 10 (seq 1) does not match its hash" in problems


def test_changed_balance_after_is_reported(proofs, trusted):
    def edit(d):
        d["chain"][1]["balance_after"] += 100
    assert verify_transfer_proof(tampered(proofs[0], edit), trusted) == [
        "chain link for account 20 (seq 1) does not match its hash"]


def test_unbalanced_transfer_is_reported_even_if_hashed_consistently(journal_key, trusted):
    (proof,) = build_journal(journal_key, [make_transfer(1, [(10, -500), (20, 600)])])
    assert verify_transfer_proof(proof_of(proof), trusted) == ["transfer postings sum to 100, not 0"]


def test_changed_memo_is_reported(proofs, trusted):
    def edit(d):
        d["transfer"]["memo"] = "奶茶 bubble tea x10"
    assert verify_transfer_proof(tampered(proofs[1], edit), trusted) == ["transfer content does not match its hash"]


def test_changed_timestamp_is_reported(proofs, trusted):
    def edit(d):
        d["transfer"]["created_at"] = "2026-11-22T11:00:02.123457Z"   # one microsecond later
    assert verify_transfer_proof(tampered(proofs[1], edit), trusted) == ["transfer content does not match its hash"]


def test_changed_path_step_is_reported(proofs, trusted):
    def edit(d):
        d["merkle_path"][0]["hash"] = "ab" * 32
    assert verify_transfer_proof(tampered(proofs[0], edit), trusted) == [
        "merkle path does not lead to the checkpoint's root"]


def test_flipped_path_side_is_reported(proofs, trusted):
    def edit(d):
        d["merkle_path"][0]["side"] = "L"
    problems = verify_transfer_proof(tampered(proofs[0], edit), trusted)
    assert "merkle path does not lead from leaf 0 of 3" in problems
    assert "merkle path does not lead to the checkpoint's root" in problems


def test_claimed_leaf_index_must_fit_the_path(proofs, trusted):
    def edit(d):
        d["leaf_index"] = 1          # path of leaf 0 presented as leaf 1
    assert "merkle path does not lead from leaf 1 of 3" in verify_transfer_proof(tampered(proofs[0], edit), trusted)


def test_leaf_index_outside_checkpoint_is_reported(proofs, trusted):
    def edit(d):
        d["leaf_index"] = 3
    assert "leaf index 3 is outside the checkpoint's 3 transfers" in verify_transfer_proof(
        tampered(proofs[2], edit), trusted)


def test_first_leaf_must_be_the_checkpoints_first_transfer(proofs, trusted):
    def edit(d):
        d["checkpoint"]["first_transfer_id"] = 2
    problems = verify_transfer_proof(tampered(proofs[0], edit), trusted)
    assert "transfer is the checkpoint's first leaf but not its first transfer" in problems
    assert "checkpoint signature does not verify under the trusted journal key" in problems


def test_signature_from_another_key_is_reported(proofs, trusted):
    forger = Ed25519PrivateKey.generate()
    forged = build_journal(forger, [make_transfer(1, [(10, -500), (20, 500)])])[0]
    problems = verify_transfer_proof(proof_of(forged), trusted)
    assert problems == ["proof names a public key other than the trusted journal key",
                        "checkpoint key_id does not match the trusted journal key",
                        "checkpoint signature does not verify under the trusted journal key"]
    # The forged proof is perfect under the forger's own key: the trusted key is what matters.
    assert verify_transfer_proof(proof_of(forged), raw_public(forger)) == []


def test_signature_swapped_in_under_the_trusted_key_name_is_reported(proofs, trusted):
    forger = Ed25519PrivateKey.generate()

    def edit(d):
        d["checkpoint"]["signature"] = forger.sign(b"anything").hex()
    assert verify_transfer_proof(tampered(proofs[0], edit), trusted) == [
        "checkpoint signature does not verify under the trusted journal key"]


def test_changed_checkpoint_root_is_reported(proofs, trusted):
    def edit(d):
        d["checkpoint"]["merkle_root"] = "cd" * 32
    assert verify_transfer_proof(tampered(proofs[0], edit), trusted) == [
        "merkle path does not lead to the checkpoint's root",
        "checkpoint signature does not verify under the trusted journal key"]


def test_malformed_hex_is_reported_not_raised(proofs, trusted):
    def edit(d):
        d["merkle_path"][0]["hash"] = "not hex"
        d["checkpoint"]["signature"] = "zz"
    problems = verify_transfer_proof(tampered(proofs[0], edit), trusted)
    assert "merkle path or transfer hash is not valid hex" in problems
    assert "checkpoint signature does not verify under the trusted journal key" in problems


def test_unusable_trusted_key_is_the_callers_mistake(proofs):
    with pytest.raises(ValueError):
        verify_transfer_proof(proof_of(proofs[0]), "abcd")
