"""How the wallet reaches banks. `BankGateway` is the interface; `SandboxBank` is the only
implementation here, because no real bank can exist on this machine. It is a fake, named as one.

The sandbox decides by the card number's last four digits (see docs/sandbox-bank.md):
  ...0002  always declines
  ...0003  never answers (every call times out; nothing happens at the bank)
  ...0004  does the operation, then times out on the first call; a retry with the same
           request key gets the stored answer — the ambiguous case every wallet must survive
  anything else (Luhn-valid) approves.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from wallet_api.db import transaction
from wallet_api.funding.models import SandboxBankOperation
from wallet_api.types import utcnow


class BankTimeoutError(Exception):
    """The bank did not answer. Whether it acted is unknown until the same request is retried."""


class CardRejected(ValueError):
    """The card number is not one the bank will link."""


@dataclass(frozen=True)
class LinkedCard:
    token: str
    bank_name: str
    last4: str


@dataclass(frozen=True)
class BankResult:
    outcome: Literal["approved", "declined"]
    reference: str


class BankGateway(Protocol):
    def link_card(self, card_number: str, holder_name: str) -> LinkedCard: ...

    def debit(self, card_token: str, amount_fen: int, request_key: str) -> BankResult:
        """Take money from the card. Idempotent per request_key. May raise BankTimeoutError."""

    def credit(self, card_token: str, amount_fen: int, request_key: str) -> BankResult:
        """Pay money to the card. Idempotent per request_key. May raise BankTimeoutError."""


def luhn_valid(number: str) -> bool:
    digits = [int(d) for d in reversed(number)]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
    return total % 10 == 0


_BEHAVIOUR = {"0002": "decline", "0003": "silent", "0004": "slowok"}


class SandboxBank:
    """A deterministic fake bank keeping its own book in table sandbox_bank_operations."""

    bank_name = "Sandbox Bank (test only)"

    def __init__(self, db: sessionmaker[Session]) -> None:
        self._db = db

    def link_card(self, card_number: str, holder_name: str) -> LinkedCard:
        if not card_number.isdigit() or not 16 <= len(card_number) <= 19 or not luhn_valid(card_number):
            raise CardRejected("This card number is not valid. Check the 16–19 digits on the card.")
        behaviour = _BEHAVIOUR.get(card_number[-4:], "approve")
        digest = hashlib.sha256(card_number.encode()).hexdigest()[:24]
        return LinkedCard(token=f"sbx_{behaviour}_{digest}", bank_name=self.bank_name, last4=card_number[-4:])

    def debit(self, card_token: str, amount_fen: int, request_key: str) -> BankResult:
        return self._operate(card_token, "debit", amount_fen, request_key)

    def credit(self, card_token: str, amount_fen: int, request_key: str) -> BankResult:
        return self._operate(card_token, "credit", amount_fen, request_key)

    def _operate(self, card_token: str, kind: str, amount_fen: int, request_key: str) -> BankResult:
        behaviour = card_token.split("_")[1]
        with transaction(self._db) as session:
            done = session.scalar(select(SandboxBankOperation).where(SandboxBankOperation.request_key == request_key))
            if done is not None:
                return BankResult(done.outcome, f"sbx-{done.id}")
            if behaviour == "silent":
                raise BankTimeoutError("sandbox: card ...0003 never answers")
            outcome = "declined" if behaviour == "decline" else "approved"
            op = SandboxBankOperation(request_key=request_key, card_token=card_token, kind=kind, amount=amount_fen,
                                      outcome=outcome, created_at=utcnow())
            session.add(op)
            session.flush()
            result = BankResult(outcome, f"sbx-{op.id}")
        if behaviour == "slowok":
            raise BankTimeoutError("sandbox: card ...0004 acted but the answer was lost")
        return result
