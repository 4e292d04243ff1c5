"""Automatic warnings to the merchant and the regulator, raised by rules evaluated as money moves.

Two sorts of alert:
- events (a sale or top-up above the per-card limit): each repeat while the alert is open counts as
  one more occurrence; it closes when the regulator acknowledges it;
- conditions (escrow below the required share, too many complaints, closing with card balances):
  re-evaluated after every operation that could change them; they close by themselves when the
  condition clears, and acknowledging one only records that the regulator has seen it.

An alert is never duplicated while open: `open_key` is unique (see models.PrepaidAlert), and a
concurrent insert that loses the race counts its occurrence on the winner instead.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wallet_api.auth.models import UserRole
from wallet_api.merchants.models import Merchant
from wallet_api.notifications.service import notify
from wallet_api.payments.service import yuan
from wallet_api.prepaid.models import AlertType, PrepaidAlert, PrepaidComplaint, PrepaidMerchant
from wallet_api.prepaid.policy import PolicyValues, required_escrow
from wallet_api.schemas import NotificationCategory as Cat

EVENT_TYPES = {AlertType.CARD_OVER_LIMIT}
SEVERITY = {
    AlertType.CARD_OVER_LIMIT: "warning",
    AlertType.ESCROW_BELOW_REQUIRED: "critical",
    AlertType.COMPLAINTS: "warning",
    AlertType.CLOSING_WITH_BALANCES: "warning",
}
SUMMARY = {
    AlertType.CARD_OVER_LIMIT: "tried to sell or top up a card above the per-card limit",
    AlertType.ESCROW_BELOW_REQUIRED: "holds less in escrow than the required share of its card balances",
    AlertType.COMPLAINTS: "has received several complaints from card holders",
    AlertType.CLOSING_WITH_BALANCES: "gave notice of closing while its cards still hold balances",
}


def _open_key(merchant_id: int, alert_type: AlertType) -> str:
    return f"{merchant_id}:{alert_type}"


def _open_alert(session: Session, merchant_id: int, alert_type: AlertType) -> PrepaidAlert | None:
    return session.scalars(select(PrepaidAlert).where(PrepaidAlert.open_key == _open_key(merchant_id, alert_type))
                           .with_for_update().execution_options(populate_existing=True)).first()


def raise_alert(session: Session, merchant_id: int, alert_type: AlertType, evidence: dict[str, Any],
                now: datetime) -> PrepaidAlert:
    """Open an alert, or update the one already open (a repeated event counts one more occurrence)."""
    alert = _open_alert(session, merchant_id, alert_type)
    if alert is None:
        alert = PrepaidAlert(merchant_id=merchant_id, type=str(alert_type), severity=SEVERITY[alert_type],
                             evidence=evidence, occurrences=1, open_key=_open_key(merchant_id, alert_type),
                             created_at=now, last_seen_at=now)
        try:
            with session.begin_nested():
                session.add(alert)
                session.flush()
        except IntegrityError:  # a concurrent evaluation opened it first (the savepoint dropped our row)
            alert = _open_alert(session, merchant_id, alert_type)
            return _seen_again(alert, alert_type, evidence, now)
        _tell_parties(session, alert)
        return alert
    return _seen_again(alert, alert_type, evidence, now)


def _seen_again(alert: PrepaidAlert, alert_type: AlertType, evidence: dict[str, Any], now: datetime) -> PrepaidAlert:
    if alert_type in EVENT_TYPES:
        alert.occurrences += 1
    alert.evidence, alert.last_seen_at = evidence, now
    return alert


def resolve_alert(session: Session, merchant_id: int, alert_type: AlertType, now: datetime) -> None:
    alert = _open_alert(session, merchant_id, alert_type)
    if alert is not None:
        alert.resolved_at, alert.open_key = now, None


def acknowledge(session: Session, alert: PrepaidAlert, regulator_id: int, now: datetime) -> PrepaidAlert:
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = now, regulator_id
    if alert.type in EVENT_TYPES and alert.resolved_at is None:
        alert.resolved_at, alert.open_key = now, None
    return alert


def _tell_parties(session: Session, alert: PrepaidAlert) -> None:
    merchant = session.get(Merchant, alert.merchant_id)
    text = f"Prepaid-card warning: {merchant.name} {SUMMARY[AlertType(alert.type)]}."
    regulators = session.scalars(select(UserRole.user_id).where(UserRole.role == "regulator"))
    for user_id in sorted({merchant.owner_user_id, *regulators}):
        notify(session, user_id, Cat.SECURITY, "notice.prepaid_alert", text, alert_id=alert.id,
               alert_type=alert.type, merchant=merchant.name, severity=alert.severity)


# ---- the rules ----------------------------------------------------------------------------------

def evaluate_money_rules(session: Session, pm: PrepaidMerchant, *, escrow: int, outstanding: int,
                         policy: PolicyValues, now: datetime) -> None:
    """Coverage and closing rules, run in the transaction that just moved the merchant's money."""
    pct = policy.required_pct(pm.escrow_policy, pm.issuer_type)
    required = required_escrow(outstanding, pct)
    # One read on the hot path: which of this merchant's alerts are open (usually none).
    open_types = set(session.scalars(select(PrepaidAlert.type).where(PrepaidAlert.merchant_id == pm.merchant_id,
                                                                     PrepaidAlert.open_key.is_not(None))))
    if escrow < required:
        raise_alert(session, pm.merchant_id, AlertType.ESCROW_BELOW_REQUIRED, {
            "escrow_fen": escrow, "outstanding_fen": outstanding, "required_fen": required,
            "required_pct": pct, "escrow_policy": pm.escrow_policy, "shortfall_fen": required - escrow}, now)
    elif AlertType.ESCROW_BELOW_REQUIRED in open_types:
        resolve_alert(session, pm.merchant_id, AlertType.ESCROW_BELOW_REQUIRED, now)
    if pm.status == "closing" and outstanding > 0:
        raise_alert(session, pm.merchant_id, AlertType.CLOSING_WITH_BALANCES, {
            "outstanding_fen": outstanding, "closes_at": pm.closes_at.isoformat(),
            "text": f"{yuan(outstanding)} CNY still on its cards"}, now)
    elif AlertType.CLOSING_WITH_BALANCES in open_types:
        resolve_alert(session, pm.merchant_id, AlertType.CLOSING_WITH_BALANCES, now)


def evaluate_complaints(session: Session, merchant_id: int, *, policy: PolicyValues, now: datetime) -> None:
    since = now - timedelta(days=policy.complaint_window_days)
    recent = select(PrepaidComplaint.id).where(PrepaidComplaint.merchant_id == merchant_id,
                                               PrepaidComplaint.status == "open",
                                               PrepaidComplaint.created_at >= since)
    count = session.scalar(select(func.count()).select_from(recent.subquery()))
    if count >= policy.complaint_threshold:
        raise_alert(session, merchant_id, AlertType.COMPLAINTS, {
            "open_complaints": count, "threshold": policy.complaint_threshold,
            "window_days": policy.complaint_window_days,
            "complaint_ids": list(session.scalars(recent.order_by(PrepaidComplaint.id)))}, now)
    else:
        resolve_alert(session, merchant_id, AlertType.COMPLAINTS, now)


def record_over_limit(session: Session, merchant_id: int, evidence: dict[str, Any], now: datetime) -> None:
    """Called in its own transaction after the refused sale or top-up rolled back."""
    session.scalars(select(PrepaidMerchant).where(PrepaidMerchant.merchant_id == merchant_id).with_for_update()).first()
    raise_alert(session, merchant_id, AlertType.CARD_OVER_LIMIT, evidence, now)
