"""`anxin audit verify` against hand-edited databases: every single edit is caught and named."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from app.cli import main as anxin
from wallet_api.db import make_engine, make_session_factory, snapshot, transaction
from wallet_api.ledger import Leg, post_transfer
from wallet_api.ledger.checkpoints import cut_checkpoint
from wallet_api.ledger.hashing import posting_hash, transfer_hash
from wallet_api.ledger.models import GENESIS_HASH, Account, Posting, Transfer


@pytest.fixture
def busy_ledger(api, app):
    """Top-ups, payments, a refund and a transfer; a checkpoint; then two more payments after it."""
    elder = api.funded("nainai", 50_000)
    son = api.funded("jianguo", 20_000)
    owner, shop = api.merchant()
    receipts = [api.pay(elder, shop["id"], amount).json() for amount in (1_800, 2_500, 990)]
    api.c.post(f"/v1/payments/{receipts[0]['id']}/refunds", json={"amount_fen": 800},
               headers=owner.headers | {"Idempotency-Key": "refund-0001"})
    api.p2p(son, "nainai", 5_000)
    with transaction(app.state.db) as s:
        assert cut_checkpoint(s, app.state.signer) is not None
    api.pay(elder, shop["id"], 1_200)
    api.pay(son, shop["id"], 3_300)
    return app


def verify(settings, capsys) -> tuple[int, str]:
    code = anxin(["audit", "verify", "--database-url", settings.sqlalchemy_url, "--data-dir", str(settings.data_dir)])
    out = capsys.readouterr()
    return code, out.out + out.err


def sql(app, statement: str, **params) -> None:
    with transaction(app.state.db) as s:
        s.execute(text(statement), params)


def first_checkpointed_posting(app, account_kind: str = "wallet") -> Posting:
    with app.state.db() as s:
        return s.scalar(select(Posting).join(Account, Account.id == Posting.account_id)
                        .join(Transfer, Transfer.id == Posting.transfer_id)
                        .where(Account.kind == account_kind, Transfer.checkpoint_id.is_not(None), Posting.amount < 0)
                        .order_by(Posting.id).limit(1))


def test_untouched_ledger_verifies(busy_ledger, settings, capsys):
    code, output = verify(settings, capsys)
    assert code == 0, output
    assert "OK: every chain, balance and checkpoint verifies" in output
    assert "1 signed checkpoints" in output and "2 transfers not yet under a checkpoint" in output


# Each edit, and the entry the report must name (the first finding may be another symptom of it).
@pytest.mark.parametrize("edit, named", [
    ("UPDATE postings SET amount = amount - 1 WHERE id = :posting", "transfer {transfer}: postings sum to"),
    ("UPDATE postings SET amount = amount - 1 WHERE id = :posting", "posting {posting} "),
    ("UPDATE postings SET account_id = (SELECT id FROM accounts WHERE code = 'system:withdrawals_in_flight') WHERE id = :posting",
     "transfer {transfer}: content does not match its hash"),
    ("UPDATE postings SET hash = :fake WHERE id = :posting", "posting {posting} "),
    ("UPDATE postings SET balance_after = balance_after + 100 WHERE id = :posting", "posting {posting} "),
    ("UPDATE accounts SET balance = balance + 100 WHERE id = :account", "account {account}: balance"),
    ("UPDATE accounts SET head_hash = :fake WHERE id = :account", "account {account}: chain head"),
    ("UPDATE transfers SET memo = 'nothing to see' WHERE id = :transfer", "transfer {transfer}: content"),
    ("UPDATE transfers SET hash = :fake WHERE id = :transfer", "transfer {transfer}: content"),
    ("UPDATE transfers SET kind = 'refund' WHERE id = :transfer", "transfer {transfer}: content"),
    ("UPDATE journal_checkpoints SET merkle_root = :fake", "checkpoint 1: transfers it covers"),
    ("UPDATE journal_checkpoints SET signature = :fake_sig", "checkpoint 1: signature does not verify"),
    ("DELETE FROM postings WHERE id = :posting", "transfer {transfer}: postings sum to"),
])
def test_any_single_edit_is_caught_and_named(busy_ledger, settings, capsys, edit, named):
    posting = first_checkpointed_posting(busy_ledger)
    ids = {"posting": posting.id, "account": posting.account_id, "transfer": posting.transfer_id}
    sql(busy_ledger, edit, **ids, fake="f" * 64, fake_sig="ab" * 64)
    code, output = verify(settings, capsys)
    assert code == 1, output
    assert "FAILED: first bad entry: " in output
    assert named.format(**ids) in output, output


def test_an_edit_after_the_last_checkpoint_is_caught_by_the_chain(busy_ledger, settings, capsys):
    with busy_ledger.state.db() as s:
        late = s.scalar(select(Posting).join(Transfer, Transfer.id == Posting.transfer_id)
                        .where(Transfer.checkpoint_id.is_(None), Posting.amount > 0).limit(1))
    sql(busy_ledger, "UPDATE postings SET amount = amount + 5000 WHERE id = :p", p=late.id)
    code, output = verify(settings, capsys)
    assert code == 1 and "first bad entry: transfer" in output


def reseal_everything(app) -> None:
    """What an attacker with full database access but without the signing key can do: after
    changing an amount, recompute every hash, chain and balance so all of it is consistent."""
    with transaction(app.state.db) as s:
        transfers = {t.id: t for t in s.scalars(select(Transfer))}
        postings = list(s.scalars(select(Posting).order_by(Posting.account_id, Posting.account_seq)))
        by_transfer: dict[int, list[Posting]] = {}
        for p in postings:
            by_transfer.setdefault(p.transfer_id, []).append(p)
        for t in transfers.values():
            t.hash = transfer_hash(ref=t.ref, kind=t.kind, memo=t.memo, details=t.details,
                                   actor_user_id=t.actor_user_id, created_at=t.created_at,
                                   postings=[(p.account_id, p.amount) for p in by_transfer[t.id]])
        heads: dict[int, tuple[int, str, int]] = {}
        for p in postings:
            seq, prev, running = heads.get(p.account_id, (0, GENESIS_HASH, 0))
            running += p.amount
            p.prev_hash, p.balance_after = prev, running
            p.hash = posting_hash(prev_hash=prev, account_id=p.account_id, account_seq=p.account_seq,
                                  amount=p.amount, balance_after=running, transfer_hash=transfers[p.transfer_id].hash)
            heads[p.account_id] = (p.account_seq, p.hash, running)
        for account in s.scalars(select(Account)):
            seq, head, balance = heads.get(account.id, (0, GENESIS_HASH, 0))
            account.head_seq, account.head_hash, account.balance = seq, head, balance


def test_a_fully_resealed_forgery_is_caught_by_the_signed_checkpoint(busy_ledger, settings, capsys):
    """Take 10 CNY off a payment on both legs, then make every hash and balance agree again."""
    posting = first_checkpointed_posting(busy_ledger)
    sql(busy_ledger, "UPDATE postings SET amount = amount + 1000 WHERE transfer_id = :t AND amount < 0",
        t=posting.transfer_id)
    sql(busy_ledger, "UPDATE postings SET amount = amount - 1000 WHERE transfer_id = :t AND amount > 0",
        t=posting.transfer_id)
    reseal_everything(busy_ledger)
    code, output = verify(settings, capsys)
    assert code == 1, output
    assert "first bad entry: checkpoint 1: transfers it covers no longer give its Merkle root" in output
    assert output.count("also:") == 0  # everything else was made consistent: only the signature tells


def test_a_wrong_trusted_key_fails_every_checkpoint(busy_ledger, settings, capsys):
    code = anxin(["audit", "verify", "--database-url", settings.sqlalchemy_url, "--public-key", "11" * 32])
    output = capsys.readouterr()
    assert code == 1
    assert "signature does not verify under the trusted journal key" in output.err


def test_verify_streams_in_small_batches_and_still_names_the_edit(busy_ledger, settings, capsys, monkeypatch):
    """Fetches smaller than one transfer's or one account's rows: a group that straddles two fetches (and, on
    PostgreSQL, two round trips of the server-side cursor) is still checked whole."""
    monkeypatch.setattr("wallet_api.ledger.verify.BATCH", 3)
    code, output = verify(settings, capsys)
    assert code == 0, output
    posting = first_checkpointed_posting(busy_ledger)
    sql(busy_ledger, "UPDATE postings SET balance_after = balance_after + 100 WHERE id = :p", p=posting.id)
    code, output = verify(settings, capsys)
    assert code == 1 and f"first bad entry: posting {posting.id} " in output, output


def test_the_audit_reads_one_snapshot_and_holds_no_payment_back(busy_ledger, settings):
    """`anxin audit verify` reads through `snapshot`: a payment committing meanwhile neither waits for it (on
    SQLite it took BEGIN IMMEDIATE's write lock before, so the payment waited out the whole audit) nor shows up
    in its later passes (on PostgreSQL each statement of READ COMMITTED saw a newer state)."""
    count = select(func.count()).select_from(Transfer)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with snapshot(make_session_factory(engine)) as reader:
            before = reader.scalar(count)
            with transaction(busy_ledger.state.db) as writer:  # its own connection; it must not wait
                payer, payee = writer.scalars(select(Account.id).where(Account.kind == "wallet")
                                              .order_by(Account.id).limit(2)).all()
                post_transfer(writer, kind="payment", legs=[Leg(payer, -100), Leg(payee, 100)])
            assert reader.scalar(count) == before
    finally:
        engine.dispose()
    with busy_ledger.state.db() as s:
        assert s.scalar(count) == before + 1
