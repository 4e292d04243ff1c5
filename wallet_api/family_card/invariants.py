"""`anxin audit verify` for family cards, read-only: no card month ever spent more than its cap, and each use
took exactly its amount from the giver's wallet in the payment's transfer.

Why a running sum per use: each use is written under the card's row lock, so use ids follow the order the
cap was checked in. After use u, the month's net spend was at most u.cap_fen; refunds only lower it later,
so the sum over uses up to u (net of refunds so far) must still be at most u.cap_fen."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from wallet_api.audit import invariant
from wallet_api.family_card.models import FamilyCard, FamilyCardUse
from wallet_api.ledger import Account, Posting
from wallet_api.ledger.accounts import wallet_code
from wallet_api.ledger.verify import Finding
from wallet_api.payments.models import Payment


@invariant("family_card_caps")
def check_family_card_caps(session: Session) -> list[Finding]:
    findings = []
    running: dict[tuple[int, str], int] = defaultdict(int)
    rows = session.execute(select(FamilyCardUse, FamilyCard.giver_user_id, Payment.transfer_id)
                           .join(FamilyCard, FamilyCard.id == FamilyCardUse.card_id)
                           .join(Payment, Payment.id == FamilyCardUse.payment_id).order_by(FamilyCardUse.id))
    wallets = dict(session.execute(select(Account.code, Account.id).where(Account.code.like("wallet:%"))).all())
    for use, giver_id, transfer_id in rows:
        month = (use.card_id, use.month)
        running[month] += use.amount_fen - use.refunded_fen
        if running[month] > use.cap_fen:
            findings.append(Finding(f"family card {use.card_id}", f"month {use.month} spent {running[month]} by use "
                                                                  f"{use.id}, above the cap {use.cap_fen}"))
        taken = session.scalar(select(Posting.amount).where(Posting.transfer_id == transfer_id,
                                                            Posting.account_id == wallets.get(wallet_code(giver_id))))
        if taken != -use.amount_fen:
            findings.append(Finding(f"family card use {use.id}", f"the giver's wallet moved {taken}, "
                                                                 f"not -{use.amount_fen}"))
    return findings
