"""`anxin audit verify` for the guardian: the holds account holds exactly the open waiting payments, and every
closed one left the hold once (paid on, or paid back), read-only."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wallet_api.audit import invariant
from wallet_api.guardian.models import OPEN_STATUSES, PendingPayment
from wallet_api.ledger import SystemAccount, account_by_code
from wallet_api.ledger.verify import Finding

PAID_ON = ("approved", "settled")


@invariant("guardian_holds")
def check_guardian_holds(session: Session) -> list[Finding]:
    findings = []
    held = account_by_code(session, SystemAccount.GUARDIAN_HOLDS).balance
    open_sum = int(session.scalar(select(func.coalesce(func.sum(PendingPayment.amount_fen), 0))
                                  .where(PendingPayment.status.in_(OPEN_STATUSES))))
    if held != open_sum:
        findings.append(Finding(SystemAccount.GUARDIAN_HOLDS, f"holds {held} but the open waiting payments "
                                                              f"sum to {open_sum}"))
    for row in session.scalars(select(PendingPayment).where(PendingPayment.status.not_in(OPEN_STATUSES))):
        paid_on, paid_back = row.payment_id is not None, row.release_transfer_id is not None
        if paid_on == paid_back or paid_on != (row.status in PAID_ON):
            findings.append(Finding(f"pending payment {row.id}", f"is {row.status} with payment {row.payment_id} "
                                                                 f"and release transfer {row.release_transfer_id}"))
    return findings
