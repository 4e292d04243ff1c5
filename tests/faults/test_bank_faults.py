"""A bank that misbehaves at random during many top-ups, withdrawals and campus bank-card payments,
driven through a real server (uvicorn, real HTTP, concurrent clients) by clients that retry with
their Idempotency-Key until they get an answer.

The bank is a fake (no real bank can exist here), named as one: `ChaosBank` keeps the sandbox's book
but, per call, at random: times out without acting, declines, acts and then loses its answer, or
approves; a later call under the same request key may lose its answer again. Afterwards, every
wallet balance, every bank-side record and the journal must agree: each operation happened exactly
once or not at all, and nothing is left unsettled.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict

import httpx
import pytest
from sqlalchemy import func, select

from tests.helpers import Api, key
from tests.live_server import serve_in_thread
from tests.wallet_api.campus_world import campus_world, set_campus_clock
from wallet_api.campus.models import CampusCharge
from wallet_api.db import transaction
from wallet_api.funding.bank import BankResult, BankTimeoutError, SandboxBank
from wallet_api.funding.models import BankCard, FundingOperation, SandboxBankOperation
from wallet_api.ledger import Account
from wallet_api.ledger.accounts import SystemAccount
from wallet_api.ledger.models import Transfer
from wallet_api.ledger.verify import verify_ledger
from wallet_api.types import utcnow

CLIENTS = 6
OPERATIONS_PER_CLIENT = 12
CAMPUS_CHARGES = 12


class ChaosBank(SandboxBank):
    """The sandbox bank's book, with a random fault on every call (a fake bank, for this test only)."""

    def __init__(self, db, seed: int) -> None:
        super().__init__(db)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.faults: Counter[str] = Counter()
        self.calm = True  # while the test sets its world up


    def _roll(self) -> float:
        with self._lock:
            return self._rng.random()

    def _operate(self, card_token: str, kind: str, amount_fen: int, request_key: str) -> BankResult:
        roll = 1.0 if self.calm else self._roll()
        with transaction(self._db) as session:
            done = session.scalar(select(SandboxBankOperation).where(SandboxBankOperation.request_key == request_key))
            if done is None:
                if roll < 0.2:
                    self.faults["timeout, nothing done"] += 1
                    raise BankTimeoutError("chaos bank: no answer, nothing done")
                outcome = "declined" if roll < 0.35 else "approved"
                done = SandboxBankOperation(request_key=request_key, card_token=card_token, kind=kind,
                                            amount=amount_fen, outcome=outcome, created_at=utcnow())
                session.add(done)
                session.flush()
            result = BankResult(done.outcome, f"sbx-{done.id}")
        if 0.35 <= roll < 0.6:  # it acted (or had acted), and the answer is lost on the way back
            self.faults["acted, answer lost"] += 1
            raise BankTimeoutError("chaos bank: acted, answer lost")
        self.faults[result.outcome] += 1
        return result


def _until_answered(send) -> httpx.Response:
    """Retry with the same key (the caller's `send` reuses it) while the answer is 'try again'."""
    for _attempt in range(200):
        try:
            r = send()
        except httpx.TransportError:
            time.sleep(0.01)
            continue
        if r.status_code in (503, 504):
            assert r.json()["code"] in ("bank_timeout", "service_unavailable"), r.text
            continue
        return r
    raise AssertionError("no final answer after 200 tries")


@pytest.fixture
def campus_clock(monkeypatch):
    return set_campus_clock(monkeypatch)


def test_a_chaotic_bank_moves_every_fen_exactly_once(app, settings, campus_clock):
    bank = app.state.bank = ChaosBank(app.state.db, seed=11)
    answers: dict[str, tuple[str, int, int, int]] = {}  # key -> (kind, user id, amount, final status)
    lock = threading.Lock()
    with serve_in_thread(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        api = Api(http)
        people = [api.register(f"saver{i}", pin=None) for i in range(CLIENTS)]
        cards = {p.id: api.link_card(p) for p in people}
        world = _campus_world(api, app, campus_clock)
        bank.calm = False

        def client(person, seed: int) -> None:
            rng = random.Random(seed)
            with httpx.Client(base_url=base, timeout=30) as mine:
                for _ in range(OPERATIONS_PER_CLIENT):
                    kind = "withdrawals" if rng.random() < 0.3 else "top-ups"
                    amount, idem = rng.randint(1, 50_000), key()
                    body = {"bank_card_id": cards[person.id], "amount_fen": amount}
                    headers = person.headers | {"Idempotency-Key": idem}
                    r = _until_answered(lambda: mine.post(f"/v1/wallet/{kind}", json=body, headers=headers))
                    assert r.status_code in (201, 402, 409), r.text  # done, declined, or not enough money
                    if r.status_code == 201:  # a repeat of an answered request replays it
                        again = mine.post(f"/v1/wallet/{kind}", json=body, headers=headers)
                        assert again.status_code == 201 and again.json()["id"] == r.json()["id"], again.text
                    with lock:
                        answers[idem] = (kind, person.id, amount, r.status_code)

        threads = [threading.Thread(target=client, args=(p, i)) for i, p in enumerate(people)]
        for t in threads:
            t.start()
        campus_answers = _campus_charges(world, campus_clock)  # meanwhile, at the canteen
        for t in threads:
            t.join(timeout=300)
        assert not any(t.is_alive() for t in threads)

    assert bank.faults["timeout, nothing done"] and bank.faults["acted, answer lost"] and bank.faults["declined"]
    _check_funding(app, answers, people)
    _check_campus(app, campus_answers)
    with app.state.db() as s:
        assert s.scalar(select(func.sum(Account.balance))) == 0
        report = verify_ledger(s, app.state.signer.public_key_hex)
    assert report.ok, report.findings[:5]


def _campus_world(api: Api, app, clock):
    """A campus whose student pays the canteen straight from a bank card."""
    world = campus_world(api, app, clock, funds=1_000)
    card = api.link_card(world.student)
    r = world.c.put("/v1/campus/me/funding-source", json={"source": "bank_card", "bank_card_id": card},
                    headers=world.student.headers)
    assert r.status_code == 200, r.text
    return world


def _campus_charges(world, clock) -> dict[int, tuple[int, int]]:
    """Canteen charges, each retried with its key until it has an answer."""
    out = {}
    for i in range(CAMPUS_CHARGES):
        clock.advance(60)  # a fresh code each time (one code per 60-second step)
        code, idem, amount = world.code(), key(), 300 + i
        r = _until_answered(lambda: world.charge(code, amount, idem=idem))
        assert r.status_code in (201, 402), r.text
        charge_id = r.json()["id"] if r.status_code == 201 else r.json()["charge_id"]
        out[charge_id] = (amount, r.status_code)
    return out


def _check_funding(app, answers, people) -> None:
    with app.state.db() as s:
        ops = {op.idempotency_key: op for op in s.scalars(select(FundingOperation))}
        bank_book = {b.request_key: b for b in s.scalars(select(SandboxBankOperation))}
        wallets = dict(s.execute(select(Account.owner_user_id, Account.balance)
                                 .where(Account.code.like("wallet:%"))).all())
        in_flight = s.scalar(select(Account.balance).where(Account.code == SystemAccount.WITHDRAWALS_IN_FLIGHT))
        tokens = dict(s.execute(select(BankCard.id, BankCard.gateway_token)).all())
        transfers = Counter(s.scalars(select(Transfer.kind)))
    expected = defaultdict(int)
    for idem, (kind, user_id, amount, status) in answers.items():
        op = ops.get(idem)
        if status == 409:  # insufficient funds: refused before anything was recorded
            assert op is None
            continue
        bank = bank_book[f"funding:{op.id}"]  # every answered operation reached the bank exactly once
        assert (bank.amount, bank.kind, bank.card_token) == (amount, "debit" if kind == "top-ups" else "credit",
                                                              tokens[op.bank_card_id])
        if status == 201:
            assert op.status == "completed" and bank.outcome == "approved"
            expected[user_id] += amount if kind == "top-ups" else -amount
        else:
            assert op.status == "declined" and bank.outcome == "declined"
    assert not [op for op in ops.values() if op.status not in ("completed", "declined")]  # nothing left hanging
    for p in people:
        assert wallets[p.id] == expected[p.id], p.username
    assert in_flight == 0
    completed = Counter(op.kind for op in ops.values() if op.status == "completed")
    assert transfers["top_up"] == completed["top_up"]
    assert transfers["withdrawal_approved"] == completed["withdrawal"]


def _check_campus(app, campus_answers) -> None:
    with app.state.db() as s:
        charges = {c.id: c for c in s.scalars(select(CampusCharge))}
        bank_book = {b.request_key: b for b in s.scalars(select(SandboxBankOperation))}
        paid = s.scalar(select(func.count()).select_from(Transfer).where(Transfer.kind == "campus_card_payment"))
    assert set(charges) == set(campus_answers)
    for charge_id, (amount, status) in campus_answers.items():
        charge, bank = charges[charge_id], bank_book[f"campus-charge:{charge_id}"]
        assert bank.amount == amount
        assert (charge.status, bank.outcome) == (("completed", "approved") if status == 201 else ("failed", "declined"))
    assert paid == sum(1 for _amount, status in campus_answers.values() if status == 201)
