"""Unit tests of the money core (wallet_api.ledger) on SQLite and PostgreSQL.

post_transfer's rules, the per-account hash chains, the CHECK constraint behind them,
signed checkpoints, and the Merkle helpers the inclusion proofs rely on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from wallet_api.db import transaction
from wallet_api.errors import InsufficientFunds, InvalidAmount, NotFound
from wallet_api.ledger import AccountKind, Leg, open_account, post_transfer
from wallet_api.ledger.checkpoints import cut_checkpoint
from wallet_api.ledger.hashing import (GENESIS_ROOT, checkpoint_message, merkle_path, merkle_root, posting_hash,
                                       root_from_path, transfer_hash)
from wallet_api.ledger.models import GENESIS_HASH, Account, JournalCheckpoint, Posting, Transfer
from wallet_api.ledger.posting import MAX_LEG_FEN, LedgerError
from wallet_api.ledger.signing import signature_valid
from wallet_api.ledger.verify import verify_ledger


# --- helpers -----------------------------------------------------------------

@dataclass(frozen=True)
class Accounts:
    outside: int  # allow_negative, like bank clearing: the source of every test's money
    alice: int
    bob: int
    carol: int


@pytest.fixture
def accounts(db) -> Accounts:
    with transaction(db) as s:
        outside = open_account(s, code="test:outside", kind=AccountKind.BANK_CLEARING, allow_negative=True)
        wallets = [open_account(s, code=f"test:{name}", kind=AccountKind.WALLET) for name in ("alice", "bob", "carol")]
        return Accounts(outside.id, *(w.id for w in wallets))


@pytest.fixture
def signer(app):
    return app.state.signer


def post(db, *legs: Leg, kind: str = "test", memo: str = ""):
    with transaction(db) as s:
        return post_transfer(s, kind=kind, legs=list(legs), memo=memo)


def fund(db, accounts: Accounts, account_id: int, amount: int):
    return post(db, Leg(accounts.outside, -amount), Leg(account_id, amount), kind="top_up")


def balance(db, account_id: int) -> int:
    with db() as s:
        return s.scalar(select(Account.balance).where(Account.id == account_id))


def snapshot(db) -> tuple[dict[int, int], int, int]:
    """Every balance, and how many transfers and postings exist."""
    with db() as s:
        balances = dict(s.execute(select(Account.id, Account.balance)).all())
        transfers = s.scalar(select(func.count()).select_from(Transfer))
        postings = s.scalar(select(func.count()).select_from(Posting))
    return balances, transfers, postings


def refused(db, legs: list[Leg], error: type[Exception]) -> Exception:
    """Attempt the transfer, then COMMIT the session anyway: a refusal must not have written a thing."""
    before = snapshot(db)
    with transaction(db) as s:
        with pytest.raises(error) as caught:
            post_transfer(s, kind="test", legs=legs)
    assert snapshot(db) == before
    return caught.value


def postings_of(db, account_id: int) -> list[Posting]:
    with db() as s:
        return list(s.scalars(select(Posting).where(Posting.account_id == account_id).order_by(Posting.account_seq)))


def cut(db, signer) -> JournalCheckpoint | None:
    with transaction(db) as s:
        return cut_checkpoint(s, signer)


def covered_by(db, checkpoint: JournalCheckpoint) -> list[Transfer]:
    with db() as s:
        return list(s.scalars(select(Transfer).where(Transfer.checkpoint_id == checkpoint.id)
                              .order_by(Transfer.checkpoint_index)))


def verify(db, signer):
    with db() as s:
        return verify_ledger(s, signer.public_key_hex)


# --- post_transfer: what is applied ------------------------------------------

def test_balanced_transfer_moves_money_and_reports_new_balances(db, accounts):
    fund(db, accounts, accounts.alice, 10_000)

    posted = post(db, Leg(accounts.alice, -2_500), Leg(accounts.bob, 2_500), kind="p2p")

    assert posted.balances == {accounts.alice: 7_500, accounts.bob: 2_500}
    assert (balance(db, accounts.alice), balance(db, accounts.bob)) == (7_500, 2_500)
    assert balance(db, accounts.outside) == -10_000
    with db() as s:
        transfer = s.get(Transfer, posted.id)
        assert (transfer.kind, transfer.ref, transfer.hash) == ("p2p", posted.ref, posted.hash)
        assert transfer.checkpoint_id is None
        legs = [tuple(row) for row in s.execute(select(Posting.account_id, Posting.amount)
                                                .where(Posting.transfer_id == posted.id).order_by(Posting.account_id))]
    assert legs == sorted([(accounts.alice, -2_500), (accounts.bob, 2_500)])


def test_a_transfer_may_have_more_than_two_legs(db, accounts):
    fund(db, accounts, accounts.alice, 900)

    posted = post(db, Leg(accounts.alice, -900), Leg(accounts.bob, 300), Leg(accounts.carol, 600))

    assert posted.balances == {accounts.alice: 0, accounts.bob: 300, accounts.carol: 600}


def test_an_account_may_be_spent_down_to_exactly_zero(db, accounts):
    fund(db, accounts, accounts.alice, 1_000)
    post(db, Leg(accounts.alice, -1_000), Leg(accounts.bob, 1_000))
    assert balance(db, accounts.alice) == 0


def test_the_largest_allowed_leg_is_accepted(db, accounts):
    posted = fund(db, accounts, accounts.alice, MAX_LEG_FEN)
    assert posted.balances == {accounts.outside: -MAX_LEG_FEN, accounts.alice: MAX_LEG_FEN}


# --- post_transfer: what is refused, writing nothing -------------------------

INVALID_LEGS = {
    "no legs": lambda a: [],
    "one leg": lambda a: [Leg(a.alice, -100)],
    "unbalanced": lambda a: [Leg(a.alice, -100), Leg(a.bob, 99)],
    "unbalanced three legs": lambda a: [Leg(a.alice, -100), Leg(a.bob, 50), Leg(a.carol, 51)],
    "zero leg": lambda a: [Leg(a.alice, -100), Leg(a.bob, 100), Leg(a.carol, 0)],
    "all zero": lambda a: [Leg(a.alice, 0), Leg(a.bob, 0)],
    "same account twice": lambda a: [Leg(a.alice, -100), Leg(a.alice, 100)],
    "same account twice among others": lambda a: [Leg(a.alice, -100), Leg(a.bob, 50), Leg(a.alice, 50)],
    "float amounts": lambda a: [Leg(a.alice, -100.0), Leg(a.bob, 100.0)],
    "bool amount": lambda a: [Leg(a.alice, -1), Leg(a.bob, True)],
    "decimal amounts": lambda a: [Leg(a.alice, Decimal(-100)), Leg(a.bob, Decimal(100))],
    "string amounts": lambda a: [Leg(a.alice, "-100"), Leg(a.bob, "100")],
    "huge credit": lambda a: [Leg(a.outside, -(MAX_LEG_FEN + 1)), Leg(a.alice, MAX_LEG_FEN + 1)],
    "huge legs near 2**63": lambda a: [Leg(a.outside, -(2**62)), Leg(a.alice, 2**62)],
}


@pytest.mark.parametrize("make_legs", INVALID_LEGS.values(), ids=INVALID_LEGS.keys())
def test_an_invalid_transfer_is_refused_and_writes_nothing(db, accounts, make_legs):
    fund(db, accounts, accounts.alice, 1_000)

    error = refused(db, make_legs(accounts), LedgerError)

    assert isinstance(error, InvalidAmount)  # the API answers 422
    assert error.status == 422


def test_an_overdraft_is_refused_with_the_numbers_and_writes_nothing(db, accounts):
    fund(db, accounts, accounts.alice, 1_000)

    error = refused(db, [Leg(accounts.alice, -1_001), Leg(accounts.bob, 1_001)], InsufficientFunds)

    assert error.extra == {"account_id": accounts.alice, "balance_fen": 1_000, "needed_fen": 1_001}
    assert balance(db, accounts.alice) == 1_000


def test_one_overdrawn_leg_refuses_the_whole_transfer(db, accounts):
    fund(db, accounts, accounts.alice, 1_000)
    fund(db, accounts, accounts.bob, 10)

    refused(db, [Leg(accounts.alice, -500), Leg(accounts.bob, -20), Leg(accounts.carol, 520)], InsufficientFunds)


def test_an_empty_account_cannot_pay_one_fen(db, accounts):
    refused(db, [Leg(accounts.alice, -1), Leg(accounts.bob, 1)], InsufficientFunds)


def test_an_allow_negative_account_may_go_negative(db, accounts):
    posted = post(db, Leg(accounts.outside, -7_000), Leg(accounts.alice, 7_000))
    post(db, Leg(accounts.outside, -3_000), Leg(accounts.bob, 3_000))

    assert posted.balances[accounts.outside] == -7_000
    assert balance(db, accounts.outside) == -10_000


def test_an_unknown_account_is_not_found_and_nothing_is_written(db, accounts):
    fund(db, accounts, accounts.alice, 1_000)
    missing = accounts.carol + 1_000

    error = refused(db, [Leg(accounts.alice, -10), Leg(missing, 10)], NotFound)

    assert str(missing) in str(error)


def test_accounts_in_different_currencies_cannot_share_a_transfer(db, accounts):
    fund(db, accounts, accounts.alice, 1_000)
    with transaction(db) as s:
        s.execute(update(Account).where(Account.id == accounts.bob).values(currency="USD"))

    error = refused(db, [Leg(accounts.alice, -10), Leg(accounts.bob, 10)], LedgerError)

    assert "currency" in str(error)


# --- the database's own guard ------------------------------------------------

def test_the_database_refuses_a_negative_balance_on_a_normal_account(db, accounts):
    fund(db, accounts, accounts.alice, 1_000)

    with pytest.raises(IntegrityError), transaction(db) as s:
        s.execute(text("UPDATE accounts SET balance = -1 WHERE id = :id"), {"id": accounts.alice})

    assert balance(db, accounts.alice) == 1_000


def test_the_database_allows_a_negative_balance_where_the_account_allows_it(db, accounts):
    with transaction(db) as s:
        s.execute(text("UPDATE accounts SET balance = -1 WHERE id = :id"), {"id": accounts.outside})
    assert balance(db, accounts.outside) == -1


def test_the_database_refuses_a_zero_posting(db, accounts):
    posted = fund(db, accounts, accounts.alice, 1_000)

    with pytest.raises(IntegrityError), transaction(db) as s:
        s.execute(text("UPDATE postings SET amount = 0 WHERE transfer_id = :id"), {"id": posted.id})


# --- the per-account hash chain ----------------------------------------------

def test_each_posting_extends_its_accounts_chain(db, accounts):
    first = fund(db, accounts, accounts.alice, 1_000)
    second = post(db, Leg(accounts.alice, -300), Leg(accounts.bob, 300))
    third = post(db, Leg(accounts.bob, -100), Leg(accounts.alice, 100))

    chain = postings_of(db, accounts.alice)

    assert [p.account_seq for p in chain] == [1, 2, 3]
    assert [p.amount for p in chain] == [1_000, -300, 100]
    assert [p.balance_after for p in chain] == [1_000, 700, 800]
    assert [p.transfer_id for p in chain] == [first.id, second.id, third.id]
    assert chain[0].prev_hash == GENESIS_HASH
    assert [p.prev_hash for p in chain[1:]] == [p.hash for p in chain[:-1]]
    transfer_hashes = [first.hash, second.hash, third.hash]
    for p, t_hash in zip(chain, transfer_hashes, strict=True):
        assert p.hash == posting_hash(prev_hash=p.prev_hash, account_id=p.account_id, account_seq=p.account_seq,
                                      amount=p.amount, balance_after=p.balance_after, transfer_hash=t_hash)
    with db() as s:
        alice = s.get(Account, accounts.alice)
    assert (alice.head_seq, alice.head_hash, alice.balance) == (3, chain[-1].hash, 800)


def test_chains_are_per_account(db, accounts):
    fund(db, accounts, accounts.alice, 1_000)
    fund(db, accounts, accounts.alice, 1_000)
    post(db, Leg(accounts.alice, -300), Leg(accounts.bob, 300))

    assert [p.account_seq for p in postings_of(db, accounts.outside)] == [1, 2]
    assert [p.account_seq for p in postings_of(db, accounts.alice)] == [1, 2, 3]
    bob_chain = postings_of(db, accounts.bob)
    assert [(p.account_seq, p.prev_hash, p.balance_after) for p in bob_chain] == [(1, GENESIS_HASH, 300)]


def test_the_transfer_hash_covers_its_content(db, accounts):
    posted = post(db, Leg(accounts.outside, -450), Leg(accounts.alice, 450), kind="top_up", memo="lunch money")

    with db() as s:
        t = s.get(Transfer, posted.id)
    legs = [(accounts.outside, -450), (accounts.alice, 450)]
    assert t.hash == transfer_hash(ref=t.ref, kind="top_up", memo="lunch money", details={}, actor_user_id=None,
                                   created_at=t.created_at, postings=legs)
    assert t.hash != transfer_hash(ref=t.ref, kind="top_up", memo="lunch money", details={}, actor_user_id=None,
                                   created_at=t.created_at, postings=[(accounts.outside, -451), (accounts.alice, 451)])


def test_verify_finds_a_rewritten_posting(db, accounts, signer):
    fund(db, accounts, accounts.alice, 1_000)
    assert verify(db, signer).ok
    with transaction(db) as s:
        s.execute(update(Posting).where(Posting.account_id == accounts.alice).values(amount=2_000))

    report = verify(db, signer)

    assert not report.ok
    problems = " / ".join(str(f) for f in report.findings)
    assert "postings sum to 1000, not 0" in problems
    assert "content does not match its hash" in problems


# --- signed checkpoints --------------------------------------------------------

def test_a_checkpoint_covers_every_unchecked_transfer(db, accounts, signer):
    posted = [fund(db, accounts, accounts.alice, amount) for amount in (100, 200, 300, 400, 500)]

    checkpoint = cut(db, signer)

    assert checkpoint.seq == 1
    assert checkpoint.prev_root == GENESIS_ROOT
    assert checkpoint.transfer_count == 5
    assert (checkpoint.first_transfer_id, checkpoint.last_transfer_id) == (posted[0].id, posted[-1].id)
    covered = covered_by(db, checkpoint)
    assert [t.id for t in covered] == [p.id for p in posted]
    assert [t.checkpoint_index for t in covered] == [0, 1, 2, 3, 4]
    assert checkpoint.merkle_root == merkle_root([p.hash for p in posted])
    assert checkpoint.key_id == signer.key_id
    message = checkpoint_message(seq=1, prev_root=GENESIS_ROOT, merkle_root=checkpoint.merkle_root, transfer_count=5,
                                 first_transfer_id=posted[0].id, last_transfer_id=posted[-1].id,
                                 created_at=checkpoint.created_at)
    assert signature_valid(signer.public_key_hex, message, checkpoint.signature)


def test_nothing_new_means_no_checkpoint(db, accounts, signer):
    assert cut(db, signer) is None
    fund(db, accounts, accounts.alice, 100)
    assert cut(db, signer) is not None
    assert cut(db, signer) is None


def test_the_next_checkpoint_chains_to_the_last_root(db, accounts, signer):
    fund(db, accounts, accounts.alice, 100)
    fund(db, accounts, accounts.alice, 200)
    first = cut(db, signer)
    later = [fund(db, accounts, accounts.bob, amount) for amount in (10, 20, 30)]

    second = cut(db, signer)

    assert second.seq == 2
    assert second.prev_root == first.merkle_root
    assert second.transfer_count == 3
    assert [t.id for t in covered_by(db, second)] == [p.id for p in later]
    assert second.merkle_root == merkle_root([p.hash for p in later])
    assert cut(db, signer) is None
    report = verify(db, signer)
    assert report.ok, report.findings
    assert (report.transfers, report.checkpoints, report.unchecked_transfers) == (5, 2, 0)


def test_a_transfer_committed_after_a_checkpoint_lands_in_the_next_one(db, accounts, signer):
    fund(db, accounts, accounts.alice, 100)
    first = cut(db, signer)
    late = post(db, Leg(accounts.alice, -40), Leg(accounts.carol, 40))

    with db() as s:
        assert s.get(Transfer, late.id).checkpoint_id is None
    second = cut(db, signer)

    assert [t.id for t in covered_by(db, second)] == [late.id]
    assert first.transfer_count == 1
    assert verify(db, signer).ok


def test_a_checkpoint_limit_leaves_the_rest_for_the_next(db, accounts, signer):
    posted = [fund(db, accounts, accounts.alice, amount) for amount in (1, 2, 3, 4, 5)]

    with transaction(db) as s:
        first = cut_checkpoint(s, signer, limit=2)
    second = cut(db, signer)

    assert [t.id for t in covered_by(db, first)] == [p.id for p in posted[:2]]
    assert [t.id for t in covered_by(db, second)] == [p.id for p in posted[2:]]
    assert second.prev_root == first.merkle_root
    assert verify(db, signer).ok


@pytest.mark.postgres_only
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_late_commit_with_a_lower_id_lands_in_the_next_checkpoint(db, accounts, signer):
    """Ids are handed out at insert, visibility comes at commit: the slow transfer must not be lost."""
    fund(db, accounts, accounts.alice, 1_000)
    fund(db, accounts, accounts.bob, 1_000)
    first = cut(db, signer)
    slow = db()
    slow.begin()
    try:
        slow_transfer = post_transfer(slow, kind="test", legs=[Leg(accounts.alice, -10), Leg(accounts.carol, 10)])
        quick = post(db, Leg(accounts.bob, -20), Leg(accounts.outside, 20))
        assert slow_transfer.id < quick.id
        second = cut(db, signer)  # cannot see the uncommitted slow transfer
        slow.commit()
    finally:
        slow.close()

    third = cut(db, signer)

    assert [t.id for t in covered_by(db, second)] == [quick.id]
    assert [t.id for t in covered_by(db, third)] == [slow_transfer.id]
    assert (second.prev_root, third.prev_root) == (first.merkle_root, second.merkle_root)
    report = verify(db, signer)
    assert report.ok, report.findings
    assert report.unchecked_transfers == 0


# --- Merkle helpers ---------------------------------------------------------------

def rfc6962_root(leaf_hashes: list[str]) -> str:
    """An independent RFC 6962 §2.1 Merkle Tree Hash: split at the largest power of two below n."""
    def mth(leaves: list[bytes]) -> bytes:
        if len(leaves) == 1:
            return hashlib.sha256(b"\x00" + leaves[0]).digest()
        k = 1 << ((len(leaves) - 1).bit_length() - 1)
        return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()
    return mth([bytes.fromhex(h) for h in leaf_hashes]).hex()


transfer_hashes = st.lists(st.binary(min_size=32, max_size=32).map(bytes.hex), min_size=1, max_size=40, unique=True)


@hypothesis_settings(max_examples=150, deadline=None)
@given(leaves=transfer_hashes)
def test_every_leafs_audit_path_reproduces_the_root(leaves):
    root = merkle_root(leaves)
    assert root == rfc6962_root(leaves)
    for index, leaf in enumerate(leaves):
        path = merkle_path(leaves, index)
        assert len(path) <= (len(leaves) - 1).bit_length()  # ceil(log2 n)
        assert root_from_path(leaf, path) == root


@hypothesis_settings(max_examples=150, deadline=None)
@given(leaves=transfer_hashes.filter(lambda leaves: len(leaves) >= 2), data=st.data())
def test_a_changed_sibling_or_leaf_does_not_reproduce_the_root(leaves, data):
    root = merkle_root(leaves)
    index = data.draw(st.integers(0, len(leaves) - 1), label="leaf index")
    path = merkle_path(leaves, index)
    step = data.draw(st.integers(0, len(path) - 1), label="path step")
    side, sibling = path[step]
    flipped = f"{int(sibling[:2], 16) ^ 0x01:02x}" + sibling[2:]
    tampered = path[:step] + [(side, flipped)] + path[step + 1:]
    swapped_side = path[:step] + [("R" if side == "L" else "L", sibling)] + path[step + 1:]

    assert root_from_path(leaves[index], tampered) != root
    assert root_from_path(leaves[index], swapped_side) != root
    other = data.draw(st.sampled_from([h for h in leaves if h != leaves[index]]), label="another leaf")
    assert root_from_path(other, path) != root


def test_a_single_leaf_is_its_own_tree_with_an_empty_path():
    leaf = hashlib.sha256(b"only").hexdigest()
    assert merkle_path([leaf], 0) == []
    # Domain separation: the root is the leaf's 0x00-prefixed hash, never the transfer hash itself.
    assert merkle_root([leaf]) == hashlib.sha256(b"\x00" + bytes.fromhex(leaf)).hexdigest() != leaf
    assert root_from_path(leaf, []) == merkle_root([leaf])


def test_an_empty_tree_is_refused():
    with pytest.raises(ValueError):
        merkle_root([])
