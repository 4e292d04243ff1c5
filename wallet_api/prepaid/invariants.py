"""`anxin audit verify` for prepaid cards: the escrow invariant, checked against the ledger, read-only.

For every enrolled merchant:
- its liability memo account is exactly minus the sum of its card balances;
- escrow >= the required share of those balances (exactly equal under the full policy), unless an open
  `escrow_below_required` alert records the shortfall (a stricter policy the settlement could not fund);
- every card account belongs to the card's holder, is not negative, and a closed card holds nothing;
- a defaulted merchant: escrow zero, every card closed at zero, and each card's payout + unrecovered
  part equals what the default transfer took off it, the holders' wallets receiving the payouts.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from wallet_api.audit import invariant
from wallet_api.ledger import Account, Posting
from wallet_api.ledger.accounts import wallet_code
from wallet_api.ledger.verify import Finding
from wallet_api.prepaid.models import AlertType, PrepaidAlert, PrepaidCard, PrepaidMerchant
from wallet_api.prepaid.policy import current_policy, required_escrow


@invariant("prepaid_escrow")
def check_prepaid_escrow(session: Session) -> list[Finding]:
    findings: list[Finding] = []
    policy = current_policy(session)
    balance = dict(session.execute(select(Account.id, Account.balance)
                                   .where(Account.kind.in_(("escrow", "prepaid_liability", "prepaid_card")))).all())
    cards_of: dict[int, list] = defaultdict(list)
    for card, owner in session.execute(select(PrepaidCard, Account.owner_user_id)
                                       .join(Account, Account.id == PrepaidCard.account_id)):
        cards_of[card.merchant_id].append(card)
        where = f"prepaid card {card.id}"
        if owner != card.holder_user_id:
            findings.append(Finding(where, f"its account belongs to user {owner}, "
                                           f"not the holder {card.holder_user_id}"))
        if balance[card.account_id] < 0:
            findings.append(Finding(where, f"negative balance {balance[card.account_id]}"))
        if card.status == "closed" and balance[card.account_id] != 0:
            findings.append(Finding(where, f"closed but still holds {balance[card.account_id]}"))
    short_alerts = set(session.scalars(select(PrepaidAlert.merchant_id).where(
        PrepaidAlert.type == str(AlertType.ESCROW_BELOW_REQUIRED), PrepaidAlert.resolved_at.is_(None))))

    for pm in session.scalars(select(PrepaidMerchant).order_by(PrepaidMerchant.merchant_id)):
        where = f"prepaid merchant {pm.merchant_id}"
        cards = cards_of.get(pm.merchant_id, [])
        outstanding = sum(balance[c.account_id] for c in cards)
        escrow, liability = balance[pm.escrow_account_id], balance[pm.liability_account_id]
        if liability != -outstanding:
            findings.append(Finding(where, f"liability {liability} is not minus its card balances {outstanding}"))
        pct = policy.required_pct(pm.escrow_policy, pm.issuer_type)
        required = required_escrow(outstanding, pct)
        if escrow < required and pm.merchant_id not in short_alerts:
            findings.append(Finding(where, f"escrow {escrow} below the required {pct}% of {outstanding} ({required}) "
                                           "with no open alert"))
        if pm.escrow_policy == "full" and escrow > outstanding:
            findings.append(Finding(where, f"escrow {escrow} above its card balances {outstanding} under full policy"))
        if pm.status == "defaulted":
            findings += _check_default(session, pm, cards, escrow, balance)
    return findings


def _check_default(session: Session, pm: PrepaidMerchant, cards: list, escrow: int,
                   balance: dict[int, int]) -> list[Finding]:
    where = f"defaulted merchant {pm.merchant_id}"
    findings = []
    if escrow != 0:
        findings.append(Finding(where, f"escrow still holds {escrow}"))
    for card in cards:
        if card.status != "closed" or balance[card.account_id] != 0:
            findings.append(Finding(where, f"card {card.id} is {card.status} with balance {balance[card.account_id]}"))
    if pm.default_transfer_id is None:
        return findings
    legs = dict(session.execute(select(Posting.account_id, Posting.amount)
                                .where(Posting.transfer_id == pm.default_transfer_id)).all())
    paid_to: dict[int, int] = defaultdict(int)
    for card in cards:
        if card.closed_reason != "merchant_default":
            continue
        taken = -legs.get(card.account_id, 0)
        if card.refunded_fen + card.unrecovered_fen != taken:
            findings.append(Finding(where, f"card {card.id}: paid {card.refunded_fen} + unrecovered "
                                           f"{card.unrecovered_fen} is not the {taken} taken off it"))
        paid_to[card.holder_user_id] += card.refunded_fen
    wallets = dict(session.execute(select(Account.owner_user_id, Account.id).where(
        Account.code.in_([wallet_code(u) for u in paid_to]))).all())
    for holder, paid in paid_to.items():
        if legs.get(wallets.get(holder), 0) != paid:
            findings.append(Finding(where, f"holder {holder} was owed {paid} but the default paid "
                                           f"{legs.get(wallets.get(holder), 0)}"))
    return findings
