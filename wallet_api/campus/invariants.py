"""The campus invariant for `anxin audit verify`: every campus charge agrees with the ledger."""

from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from wallet_api.audit import invariant
from wallet_api.campus.models import CampusCharge
from wallet_api.ledger import Posting
from wallet_api.ledger.verify import Finding
from wallet_api.merchants.models import Merchant
from wallet_api.payments.models import Payment


@invariant("campus")
def campus_charges_match_the_ledger(session: Session) -> list[Finding]:
    """A completed charge moved exactly its amount to its merchant, in the transfer its payment
    names; a charge that ended any other way moved nothing."""
    rows = session.execute(
        select(CampusCharge.id, CampusCharge.status, CampusCharge.amount, CampusCharge.transfer_id,
               Payment.amount, Payment.transfer_id, Posting.amount)
        .outerjoin(Payment, Payment.id == CampusCharge.payment_id)
        .outerjoin(Merchant, Merchant.id == CampusCharge.merchant_id)
        .outerjoin(Posting, and_(Posting.transfer_id == CampusCharge.transfer_id,
                                 Posting.account_id == Merchant.settlement_account_id))
        .where(or_(CampusCharge.status == "completed", CampusCharge.transfer_id.is_not(None),
                   CampusCharge.payment_id.is_not(None)))
        .order_by(CampusCharge.id)).all()
    findings = []
    for charge_id, status, amount, transfer_id, paid, payment_transfer_id, credited in rows:
        where = f"campus charge {charge_id}"
        if status != "completed":
            findings.append(Finding(where, f"ended {status} but names a payment or transfer"))
        elif (paid, payment_transfer_id, credited) != (amount, transfer_id, amount):
            findings.append(Finding(where, f"charged {amount} fen but its payment says {paid} and the merchant was "
                                           f"credited {credited} (transfer {transfer_id})"))
    return findings
