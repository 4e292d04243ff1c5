"""Opening accounts. Balances change only through `post_transfer`."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from wallet_api.errors import NotFound
from wallet_api.ledger.models import Account
from wallet_api.types import utcnow


class AccountKind(StrEnum):
    WALLET = "wallet"                   # a person's spendable balance
    MERCHANT_SETTLEMENT = "merchant_settlement"
    BANK_CLEARING = "bank_clearing"     # the outside world: goes negative as money comes in
    IN_FLIGHT = "in_flight"             # money on its way out to a bank (two-phase withdrawals)
    HOLD = "hold"                       # payments waiting for a guardian or a transfer delay (two-phase)


class SystemAccount(StrEnum):
    """Accounts that exist once per installation (created by the first migration)."""

    BANK_CLEARING = "system:bank_clearing"
    WITHDRAWALS_IN_FLIGHT = "system:withdrawals_in_flight"
    GUARDIAN_HOLDS = "system:guardian_holds"   # created by migration 0007_family_money


SYSTEM_ACCOUNTS: dict[SystemAccount, tuple[AccountKind, bool]] = {
    SystemAccount.BANK_CLEARING: (AccountKind.BANK_CLEARING, True),
    SystemAccount.WITHDRAWALS_IN_FLIGHT: (AccountKind.IN_FLIGHT, False),
    SystemAccount.GUARDIAN_HOLDS: (AccountKind.HOLD, False),
}


def open_account(session: Session, *, code: str, kind: AccountKind | str, owner_user_id: int | None = None,
                 allow_negative: bool = False) -> Account:
    account = Account(code=code, kind=str(kind), owner_user_id=owner_user_id, currency="CNY",
                      allow_negative=allow_negative, balance=0, created_at=utcnow())
    session.add(account)
    session.flush()
    return account


def account_by_code(session: Session, code: str) -> Account:
    account = session.scalar(select(Account).where(Account.code == code))
    if account is None:
        raise NotFound(f"No account {code!r}.")
    return account


def wallet_code(user_id: int) -> str:
    return f"wallet:{user_id}"


def ensure_system_accounts(session: Session) -> None:
    """Create any missing system account (the first migration makes them; a wiped test database does not)."""
    for code, (kind, allow_negative) in SYSTEM_ACCOUNTS.items():
        if session.scalar(select(Account.id).where(Account.code == code)) is None:
            open_account(session, code=code, kind=kind, allow_negative=allow_negative)
