"""A stateful property test of the whole money path, on SQLite and on PostgreSQL.

Hypothesis plays random sequences of top-ups and withdrawals (through the sandbox bank, with
declining, silent and answer-losing cards, and retries under the same Idempotency-Key),
merchant payments, P2P transfers, refunds, deliberate failures and checkpoints, against a
real database. A plain-Python model predicts every balance. After every step:

- every account's balance equals the model's (so a refused operation changed nothing);
- the journal holds exactly the transfers the model expects;
- all balances sum to 0: money is neither created nor destroyed;
- no account that may not go negative is negative;
- every few steps, and at the end, `verify_ledger` recomputes the whole journal and finds nothing.

Each example starts from an empty database: a copy of the migrated SQLite template, or the
session's PostgreSQL schema wiped. Budget: about 10 s on SQLite and 25 s on PostgreSQL; the
knobs are max_examples and stateful_step_count at the bottom of the file.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.fresh_db import Backend
from tests.helpers import DECLINING_CARD, GOOD_CARD, LOST_ANSWER_CARD, PASSWORD, SILENT_CARD
from wallet_api import schemas
from wallet_api.auth.models import User
from wallet_api.auth.secrets import Hasher
from wallet_api.auth.service import create_user
from wallet_api.db import transaction
from wallet_api.errors import (
    BankDeclined,
    BankTimeout,
    Forbidden,
    IdempotencyMismatch,
    InsufficientFunds,
    InvalidAmount,
    NotFound,
    PayeeNotFound,
    RefundExceedsPayment,
    SelfPayment,
)
from wallet_api.funding import service as funding
from wallet_api.funding.bank import SandboxBank
from wallet_api.ledger import Account, SystemAccount, Transfer, account_by_code
from wallet_api.ledger.accounts import wallet_code
from wallet_api.ledger.checkpoints import cut_checkpoint
from wallet_api.ledger.signing import JournalSigner, load_or_create_signer
from wallet_api.ledger.verify import verify_ledger
from wallet_api.merchants.models import Merchant
from wallet_api.merchants.service import create_merchant
from wallet_api.payments import service as payments
from wallet_api.payments.models import Payment

CUSTOMERS = ("ann", "ben", "cai")
SHOP_OWNERS = {"lotus": "lotus_owner", "tea": "tea_owner"}  # shop -> the user who owns it
PEOPLE = CUSTOMERS + tuple(SHOP_OWNERS.values())
# The sandbox bank's behaviour by card (tests/helpers.py, docs/sandbox-bank.md).
CARDS = {"approve": GOOD_CARD, "decline": DECLINING_CARD, "silent": SILENT_CARD, "lost_answer": LOST_ANSWER_CARD}

VERIFY_EVERY = 5  # steps between full verify_ledger runs (and once more at the end)

customers = st.sampled_from(CUSTOMERS)
shops = st.sampled_from(sorted(SHOP_OWNERS))
card_behaviours = st.sampled_from(sorted(CARDS))
amounts = st.integers(min_value=1, max_value=20_000)
non_positive_amounts = st.integers(min_value=-5_000, max_value=0)


# --- the model ------------------------------------------------------------------------

@dataclass
class FundingOp:
    """One top-up or withdrawal request, identified by its Idempotency-Key."""

    who: str
    card: str          # a key of CARDS
    kind: str          # top_up | withdrawal
    amount: int
    key: str
    status: str | None = None  # as the server should have it: None (never recorded), unknown, completed, declined


@dataclass(frozen=True)
class MerchantPayment:
    id: int
    payer: str
    shop: str
    amount: int


@dataclass
class Model:
    balances: dict[int, int]  # every account id -> expected balance
    transfers: int = 0        # journal entries expected
    checkpointed: int = 0     # of which covered by a checkpoint
    refunded: dict[int, int] = field(default_factory=dict)  # merchant payment id -> refunded so far

    def refundable(self, payment: MerchantPayment) -> int:
        return payment.amount - self.refunded[payment.id]

    def move(self, source: int, target: int, amount: int) -> None:
        """One journal entry moving `amount` from one account to another."""
        self.balances[source] -= amount
        self.balances[target] += amount
        self.transfers += 1


# --- the machine ------------------------------------------------------------------------

class WalletMachine(RuleBasedStateMachine):
    backend: ClassVar[Backend]
    hasher: ClassVar[Hasher]
    signer: ClassVar[JournalSigner]

    funding_ops = Bundle("funding_ops")
    merchant_payments = Bundle("merchant_payments")
    p2p_payment_ids = Bundle("p2p_payment_ids")

    def __init__(self) -> None:
        super().__init__()
        self.db, self._release = self.backend.fresh()
        self.bank = SandboxBank(self.db)
        self.steps = 0
        self._open_the_world()

    def teardown(self) -> None:
        try:
            self.cut_a_checkpoint()  # so that the final verification covers every transfer by a signed root
            self.assert_ledger_verifies()
        finally:
            self._release()

    def _open_the_world(self) -> None:
        """Customers with one card of each sandbox behaviour, and two shops with their owners."""
        with transaction(self.db) as s:
            users = {name: create_user(s, self.hasher, username=name, password=PASSWORD, display_name=name.title())
                     for name in PEOPLE}
            self.user_id = {name: user.id for name, user in users.items()}
            self.wallet = {name: s.scalar(select(Account.id).where(Account.code == wallet_code(user.id)))
                           for name, user in users.items()}
            merchants = {shop: create_merchant(s, self.user_id[owner], schemas.MerchantIn(
                name=f"{shop.title()} Shop", category="dining", region="weihai-huancui", city="Weihai"))
                for shop, owner in SHOP_OWNERS.items()}
            self.merchant_id = {shop: m.id for shop, m in merchants.items()}
            self.settlement = {shop: m.settlement_account_id for shop, m in merchants.items()}
            self.clearing = account_by_code(s, SystemAccount.BANK_CLEARING).id
            self.in_flight = account_by_code(s, SystemAccount.WITHDRAWALS_IN_FLIGHT).id
            balances = dict(s.execute(select(Account.id, Account.balance)).all())
        self.users = users  # detached but loaded: the funding service reads only id and display_name
        self.card_id = self._link_cards()
        assert set(balances.values()) == {0}
        self.model = Model(balances=balances)

    def _link_cards(self) -> dict[tuple[str, str], int]:
        with transaction(self.db) as s:
            return {(name, card): funding.link_card(s, self.bank, self.users[name], schemas.BankCardIn(
                        card_number=number, holder_name=name)).id
                    for name in CUSTOMERS for card, number in CARDS.items()}

    # --- small helpers ---

    def balance(self, account_id: int) -> int:
        return self.model.balances[account_id]

    def run(self, action: Callable[[Session], Any]) -> Any:
        with transaction(self.db) as s:
            return action(s)

    def refused(self, error: type[Exception], action: Callable[[Session], Any]) -> None:
        """The action must fail with `error`; the invariants then check that nothing changed."""
        with pytest.raises(error):
            self.run(action)

    def user(self, s: Session, name: str) -> User:
        return s.get(User, self.user_id[name])

    def merchant(self, s: Session, shop: str) -> Merchant:
        return s.get(Merchant, self.merchant_id[shop])

    # --- top-ups and withdrawals through the sandbox bank ---

    @initialize(starting=st.fixed_dictionaries({who: st.integers(0, 60_000) for who in CUSTOMERS}))
    def top_up_starting_balances(self, starting: dict[str, int]) -> None:
        """Some money to begin with, so that payments and withdrawals do not nearly all bounce."""
        for who, amount in starting.items():
            if amount:
                self._attempt(FundingOp(who, "approve", "top_up", amount, key=f"start-{uuid.uuid4().hex}"))

    @rule(target=funding_ops, who=customers, card=card_behaviours, amount=amounts)
    def top_up(self, who: str, card: str, amount: int) -> FundingOp:
        return self._start(FundingOp(who, card, "top_up", amount, key=f"top-up-{uuid.uuid4().hex}"))

    @rule(target=funding_ops, who=customers, card=card_behaviours, amount=amounts)
    def withdraw(self, who: str, card: str, amount: int) -> FundingOp:
        return self._start(FundingOp(who, card, "withdrawal", amount, key=f"withdrawal-{uuid.uuid4().hex}"))

    @rule(op=funding_ops)
    def retry_funding_with_the_same_key(self, op: FundingOp) -> None:
        self._attempt(op)

    @rule(op=funding_ops, extra=st.integers(1, 500))
    def reuse_a_funding_key_for_another_amount(self, op: FundingOp, extra: int) -> None:
        if op.status is None:
            return  # never recorded (it was refused): the key is still free, nothing to mismatch
        data = schemas.FundingIn(bank_card_id=self.card_id[op.who, op.card], amount_fen=op.amount + extra)
        call = funding.top_up if op.kind == "top_up" else funding.withdraw
        with pytest.raises(IdempotencyMismatch):
            call(self.db, self.bank, self.users[op.who], data, op.key)

    def _start(self, op: FundingOp) -> FundingOp:
        self._attempt(op)
        return op

    def _attempt(self, op: FundingOp) -> None:
        replay = op.status == "completed"
        expected_error = self._predict_funding(op)
        data = schemas.FundingIn(bank_card_id=self.card_id[op.who, op.card], amount_fen=op.amount)
        call = funding.top_up if op.kind == "top_up" else funding.withdraw
        if expected_error is not None:
            with pytest.raises(expected_error):
                call(self.db, self.bank, self.users[op.who], data, op.key)
            return
        answer, replayed = call(self.db, self.bank, self.users[op.who], data, op.key)
        assert replayed == replay
        assert (answer.status, answer.kind, answer.amount_fen) == ("completed", op.kind, op.amount)
        assert answer.balance_fen == self.balance(self.wallet[op.who])

    def _predict_funding(self, op: FundingOp) -> type[Exception] | None:
        """Apply to the model what this attempt should do; return the error it should raise, if any."""
        if op.status == "completed":
            return None  # a replay: the stored answer, nothing moves
        if op.status == "declined":
            return BankDeclined
        wallet, first_attempt = self.wallet[op.who], op.status is None
        if op.kind == "withdrawal" and first_attempt:
            if op.amount > self.balance(wallet):
                return InsufficientFunds  # refused before anything is recorded
            self.model.move(wallet, self.in_flight, op.amount)  # the hold
        bank_answers = op.card in ("approve", "decline") or (op.card == "lost_answer" and not first_attempt)
        if not bank_answers:
            op.status = "unknown"
            return BankTimeout
        if op.card == "decline":
            if op.kind == "withdrawal":
                self.model.move(self.in_flight, wallet, op.amount)  # the hold goes back
            op.status = "declined"
            return BankDeclined
        if op.kind == "top_up":
            self.model.move(self.clearing, wallet, op.amount)
        else:
            self.model.move(self.in_flight, self.clearing, op.amount)
        op.status = "completed"
        return None

    # --- merchant payments and refunds ---

    @rule(target=merchant_payments, who=customers, shop=shops, amount=amounts)
    def pay_a_merchant(self, who: str, shop: str, amount: int):
        def pay(s: Session) -> Payment:
            return payments.pay_merchant(s, self.user(s, who), self.merchant(s, shop), amount)
        wallet = self.wallet[who]
        if amount > self.balance(wallet):
            self.refused(InsufficientFunds, pay)
            return multiple()
        payment = self.run(pay)
        self.model.move(wallet, self.settlement[shop], amount)
        self.model.refunded[payment.id] = 0
        assert (payment.kind, payment.amount, payment.refunded_amount) == ("merchant", amount, 0)
        return MerchantPayment(payment.id, who, shop, amount)

    @rule(who=customers, shop=shops, extra=st.integers(1, 5_000))
    def overspend_at_a_merchant(self, who: str, shop: str, extra: int) -> None:
        amount = self.balance(self.wallet[who]) + extra
        self.refused(InsufficientFunds,
                     lambda s: payments.pay_merchant(s, self.user(s, who), self.merchant(s, shop), amount))

    @rule(shop=shops, amount=amounts)
    def pay_your_own_shop(self, shop: str, amount: int) -> None:
        owner = SHOP_OWNERS[shop]
        self.refused(SelfPayment,
                     lambda s: payments.pay_merchant(s, self.user(s, owner), self.merchant(s, shop), amount))

    @rule(payment=merchant_payments, data=st.data())
    def refund_part_or_all(self, payment: MerchantPayment, data: st.DataObject) -> None:
        refundable = self.model.refundable(payment)
        if refundable == 0:
            self._refund(payment, 1)  # nothing left: even one fen is too much
            return
        self._refund(payment, data.draw(st.just(refundable) | st.integers(1, refundable), label="refund amount"))

    @rule(payment=merchant_payments, extra=st.integers(1, 5_000))
    def refund_too_much(self, payment: MerchantPayment, extra: int) -> None:
        self._refund(payment, self.model.refundable(payment) + extra)

    def _refund(self, payment: MerchantPayment, amount: int) -> None:
        refundable = self.model.refundable(payment)
        owner, settlement = SHOP_OWNERS[payment.shop], self.settlement[payment.shop]

        def give_back(s: Session):
            return payments.refund(s, self.user(s, owner), payment.id, amount, reason="property test")
        if amount > refundable:
            self.refused(RefundExceedsPayment, give_back)
            return
        if amount > self.balance(settlement):  # cannot happen while settlements only take payments and refunds
            self.refused(InsufficientFunds, give_back)
            return
        row = self.run(give_back)
        self.model.move(settlement, self.wallet[payment.payer], amount)
        self.model.refunded[payment.id] += amount
        assert (row.payment_id, row.amount) == (payment.id, amount)

    @rule(payment=merchant_payments, stranger=st.sampled_from(PEOPLE), amount=amounts)
    def refund_by_someone_else(self, payment: MerchantPayment, stranger: str, amount: int) -> None:
        if stranger == SHOP_OWNERS[payment.shop]:
            stranger = payment.payer  # the customer cannot refund themself either
        self.refused(Forbidden, lambda s: payments.refund(s, self.user(s, stranger), payment.id, amount))

    @rule(payment_id=p2p_payment_ids, owner=st.sampled_from(sorted(SHOP_OWNERS.values())))
    def refund_a_p2p_payment(self, payment_id: int, owner: str) -> None:
        self.refused(NotFound, lambda s: payments.refund(s, self.user(s, owner), payment_id, 1))

    # --- P2P ---

    @rule(target=p2p_payment_ids, payer=customers, payee=st.sampled_from(PEOPLE + ("nobody",)), amount=amounts)
    def pay_a_person(self, payer: str, payee: str, amount: int):
        def send(s: Session) -> Payment:
            return payments.pay_person(s, self.user(s, payer), payee, amount)
        if payee == "nobody":
            self.refused(PayeeNotFound, send)
        elif payee == payer:
            self.refused(SelfPayment, send)
        elif amount > self.balance(self.wallet[payer]):
            self.refused(InsufficientFunds, send)
        else:
            payment = self.run(send)
            self.model.move(self.wallet[payer], self.wallet[payee], amount)
            assert (payment.kind, payment.amount, payment.payee_user_id) == ("p2p", amount, self.user_id[payee])
            return payment.id
        return multiple()

    @rule(payer=customers, payee=st.sampled_from(PEOPLE), extra=st.integers(1, 5_000))
    def overspend_to_a_person(self, payer: str, payee: str, extra: int) -> None:
        amount = self.balance(self.wallet[payer]) + extra
        error = SelfPayment if payer == payee else InsufficientFunds
        self.refused(error, lambda s: payments.pay_person(s, self.user(s, payer), payee, amount))

    # --- amounts that are not money at all ---

    @rule(who=customers, shop=shops, amount=non_positive_amounts)
    def pay_a_merchant_a_non_positive_amount(self, who: str, shop: str, amount: int) -> None:
        self.refused(InvalidAmount,
                     lambda s: payments.pay_merchant(s, self.user(s, who), self.merchant(s, shop), amount))

    @rule(payer=customers, payee=customers, amount=non_positive_amounts)
    def pay_a_person_a_non_positive_amount(self, payer: str, payee: str, amount: int) -> None:
        self.refused(InvalidAmount, lambda s: payments.pay_person(s, self.user(s, payer), payee, amount))

    @rule(payment=merchant_payments, amount=non_positive_amounts)
    def refund_a_non_positive_amount(self, payment: MerchantPayment, amount: int) -> None:
        owner = SHOP_OWNERS[payment.shop]
        self.refused(InvalidAmount, lambda s: payments.refund(s, self.user(s, owner), payment.id, amount))

    # --- checkpoints ---

    @rule()
    def cut_a_checkpoint(self) -> None:
        expected_count = self.model.transfers - self.model.checkpointed
        checkpoint = self.run(lambda s: cut_checkpoint(s, self.signer))
        if expected_count == 0:
            assert checkpoint is None
            return
        assert checkpoint is not None and checkpoint.transfer_count == expected_count
        self.model.checkpointed = self.model.transfers

    # --- invariants ---

    @invariant()
    def the_books_agree_with_the_model(self) -> None:
        with self.db() as s:  # one read of everything the checks need: they run after every step
            accounts = s.execute(select(Account.id, Account.code, Account.balance, Account.allow_negative)).all()
            transfers = s.scalar(select(func.count()).select_from(Transfer))
            refunded = dict(s.execute(select(Payment.id, Payment.refunded_amount)
                                      .where(Payment.kind == "merchant")).all())
        balances = {a.id: a.balance for a in accounts}

        # Every balance is what the model predicts; a refused operation therefore changed none.
        assert balances == self.model.balances
        # Money is neither created nor destroyed.
        assert sum(balances.values()) == 0
        # Only accounts built for it (bank clearing) are ever below zero.
        assert [(a.code, a.balance) for a in accounts if a.balance < 0 and not a.allow_negative] == []
        # The journal holds exactly the entries the model expects, and refunds are counted on their payment.
        assert transfers == self.model.transfers
        assert refunded == self.model.refunded

    @invariant()
    def the_ledger_verifies_every_few_steps(self) -> None:
        self.steps += 1
        if self.steps % VERIFY_EVERY == 0:
            self.assert_ledger_verifies()

    def assert_ledger_verifies(self) -> None:
        with self.db() as s:
            report = verify_ledger(s, self.signer.public_key_hex)
        assert report.ok, [str(f) for f in report.findings]
        assert report.transfers == self.model.transfers
        assert report.unchecked_transfers == self.model.transfers - self.model.checkpointed


def test_random_money_operations_keep_the_ledger_whole(database_url, settings, sqlite_template, tmp_path):
    class Machine(WalletMachine):
        backend = Backend(database_url, sqlite_template, tmp_path)
        hasher = Hasher(settings)
        signer = load_or_create_signer(tmp_path / "journal-signing-key.pem")

    run_state_machine_as_test(Machine, settings=hypothesis_settings(
        max_examples=25, stateful_step_count=30, deadline=None,
        suppress_health_check=[HealthCheck.too_slow]))
