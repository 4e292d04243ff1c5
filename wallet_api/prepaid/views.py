"""Read models: what merchants, card holders and the regulator see. Nothing here writes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wallet_api.auth.models import User
from wallet_api.ledger import Account, Posting, Transfer
from wallet_api.merchants import emvco
from wallet_api.merchants.models import Merchant
from wallet_api.merchants.service import MCC
from wallet_api.prepaid.models import PrepaidAlert, PrepaidCard, PrepaidComplaint, PrepaidMerchant, PrepaidProduct
from wallet_api.prepaid.policy import PolicyValues, current_policy, withdrawable
from wallet_api.prepaid.service import books, in_cooling_off, standing
from wallet_api.schemas import prepaid as wire

# Every kind of transfer this domain writes (the ledger's `kind`).
PREPAID_KINDS = ("prepaid_purchase", "prepaid_top_up", "prepaid_charge", "prepaid_refund", "prepaid_escrow_withdrawal",
                 "prepaid_escrow_deposit", "prepaid_default_refund")
QR_REFERENCE_PREFIX = "PREPAID-"


def product_out(session: Session, product: PrepaidProduct) -> wire.ProductOut:
    merchant = session.get(Merchant, product.merchant_id)
    return wire.ProductOut(id=product.id, merchant_id=product.merchant_id, merchant_name=merchant.name,
                           name=product.name, face_value_fen=product.face_value_fen,
                           bonus_value_fen=product.bonus_value_fen, validity_days=product.validity_days,
                           named=product.named, on_sale=product.on_sale)


def products_on_sale(session: Session, *, merchant_id: int | None = None, limit: int = 500) -> list[wire.ProductOut]:
    stmt = select(PrepaidProduct).where(PrepaidProduct.on_sale.is_(True))
    if merchant_id is not None:
        stmt = stmt.where(PrepaidProduct.merchant_id == merchant_id)
    return [product_out(session, p) for p in session.scalars(stmt.order_by(PrepaidProduct.id).limit(limit))]


def product_qr(session: Session, product: PrepaidProduct) -> str:
    """The EMVCo QR the merchant shows at the counter to sell this card: its price and a reference to it."""
    merchant = session.get(Merchant, product.merchant_id)
    return emvco.encode(emvco.MerchantQR(merchant_id=merchant.id, name=merchant.name, city=merchant.city,
                                         mcc=MCC.get(merchant.category, "5999"), amount_fen=product.face_value_fen,
                                         local_name=merchant.local_name,
                                         reference=f"{QR_REFERENCE_PREFIX}{product.id}"))


def card_out(session: Session, card: PrepaidCard, now: datetime, policy: PolicyValues | None = None) -> wire.CardOut:
    policy = policy or current_policy(session)
    merchant = session.get(Merchant, card.merchant_id)
    product = session.get(PrepaidProduct, card.product_id)
    holder = session.get(User, card.holder_user_id)
    cooling = card.status == "active" and in_cooling_off(card, policy, now)
    return wire.CardOut(
        id=card.id, account_id=card.account_id, merchant_id=card.merchant_id, merchant_name=merchant.name,
        product_id=product.id, product_name=product.name, holder=holder.display_name, named=card.named,
        status=card.status, balance_fen=session.scalar(select(Account.balance).where(Account.id == card.account_id)),
        paid_fen=card.paid_fen, bonus_fen=card.bonus_fen, purchased_at=card.purchased_at, expires_at=card.expires_at,
        expired=now >= card.expires_at, used=card.first_charged_at is not None,
        cooling_off_until=card.purchased_at + timedelta(days=policy.cooling_off_days) if cooling else None,
        closed_at=card.closed_at, closed_reason=card.closed_reason, refunded_fen=card.refunded_fen,
        unrecovered_fen=card.unrecovered_fen, purchase_transfer_id=card.purchase_transfer_id)


def card_detail(session: Session, card: PrepaidCard, now: datetime) -> wire.CardDetail:
    """The card and its full history: every journal entry on its account, newest first."""
    rows = session.execute(select(Posting, Transfer).join(Transfer, Transfer.id == Posting.transfer_id)
                           .where(Posting.account_id == card.account_id).order_by(Posting.id.desc())).all()
    history = [wire.CardEntry(transfer_id=t.id, kind=t.kind, amount_fen=p.amount, balance_after_fen=p.balance_after,
                              memo=t.memo, created_at=t.created_at) for p, t in rows]
    return wire.CardDetail(**card_out(session, card, now).model_dump(), history=history)


def cards_of_holder(session: Session, user_id: int, now: datetime) -> list[wire.CardOut]:
    policy = current_policy(session)
    cards = session.scalars(select(PrepaidCard).where(PrepaidCard.holder_user_id == user_id).order_by(PrepaidCard.id))
    return [card_out(session, c, now, policy) for c in cards]


def cards_of_merchant(session: Session, merchant_id: int, now: datetime, *, status: str | None = None,
                      limit: int = 200) -> list[wire.CardOut]:
    policy = current_policy(session)
    stmt = select(PrepaidCard).where(PrepaidCard.merchant_id == merchant_id)
    if status:
        stmt = stmt.where(PrepaidCard.status == status)
    cards = session.scalars(stmt.order_by(PrepaidCard.id.desc()).limit(limit))
    return [card_out(session, c, now, policy) for c in cards]


def released_to_merchant(session: Session, merchant: Merchant) -> int:
    """Money that left escrow for the merchant: positive prepaid postings on its settlement account."""
    return int(session.scalar(
        select(func.coalesce(func.sum(Posting.amount), 0)).join(Transfer, Transfer.id == Posting.transfer_id)
        .where(Posting.account_id == merchant.settlement_account_id, Posting.amount > 0,
               Transfer.kind.in_(PREPAID_KINDS))))


def merchant_out(session: Session, pm: PrepaidMerchant, now: datetime,
                 policy: PolicyValues | None = None) -> wire.PrepaidMerchantOut:
    policy = policy or current_policy(session)
    merchant = session.get(Merchant, pm.merchant_id)
    b = books(session, pm, policy)
    active = session.scalar(select(func.count()).select_from(PrepaidCard)
                            .where(PrepaidCard.merchant_id == pm.merchant_id, PrepaidCard.status == "active"))
    open_alerts = session.scalar(select(func.count()).select_from(PrepaidAlert)
                                 .where(PrepaidAlert.merchant_id == pm.merchant_id, PrepaidAlert.resolved_at.is_(None)))
    return wire.PrepaidMerchantOut(
        merchant_id=pm.merchant_id, name=merchant.name, local_name=merchant.local_name, standing=standing(pm, now),
        escrow_policy=pm.escrow_policy, issuer_type=pm.issuer_type, required_pct=b.pct,
        outstanding_fen=b.outstanding, escrow_fen=b.escrow, required_fen=b.required,
        coverage_ratio=round(b.escrow / b.outstanding, 4) if b.outstanding else None,
        released_fen=released_to_merchant(session, merchant),
        withdrawable_fen=withdrawable(b.escrow, b.outstanding, b.pct) if pm.status != "defaulted" else 0,
        active_cards=active, open_alerts=open_alerts, closes_at=pm.closes_at, defaulted_at=pm.defaulted_at)


def coverage_table(session: Session, now: datetime, *, outstanding_only: bool = False) -> list[wire.PrepaidMerchantOut]:
    """The regulator's view: every enrolled merchant, the least covered first."""
    policy = current_policy(session)
    rows = [merchant_out(session, pm, now, policy)
            for pm in session.scalars(select(PrepaidMerchant).order_by(PrepaidMerchant.merchant_id))]
    if outstanding_only:
        rows = [r for r in rows if r.outstanding_fen > 0]
    return sorted(rows, key=lambda r: (r.coverage_ratio if r.coverage_ratio is not None else float("inf"),
                                       -r.open_alerts, r.merchant_id))


def alert_out(session: Session, alert: PrepaidAlert) -> wire.AlertOut:
    merchant = session.get(Merchant, alert.merchant_id)
    return wire.AlertOut(id=alert.id, merchant_id=alert.merchant_id, merchant_name=merchant.name, type=alert.type,
                         severity=alert.severity, evidence=alert.evidence, occurrences=alert.occurrences,
                         open=alert.resolved_at is None, created_at=alert.created_at, last_seen_at=alert.last_seen_at,
                         acknowledged_at=alert.acknowledged_at, resolved_at=alert.resolved_at)


def alerts_list(session: Session, *, merchant_id: int | None = None, open_only: bool = False,
                limit: int = 200) -> list[wire.AlertOut]:
    stmt = select(PrepaidAlert)
    if merchant_id is not None:
        stmt = stmt.where(PrepaidAlert.merchant_id == merchant_id)
    if open_only:
        stmt = stmt.where(PrepaidAlert.resolved_at.is_(None))
    return [alert_out(session, a) for a in session.scalars(stmt.order_by(PrepaidAlert.id.desc()).limit(limit))]


def complaint_out(session: Session, c: PrepaidComplaint) -> wire.ComplaintOut:
    merchant = session.get(Merchant, c.merchant_id)
    return wire.ComplaintOut(id=c.id, merchant_id=c.merchant_id, merchant_name=merchant.name, category=c.category,
                             text=c.text, status=c.status, created_at=c.created_at, resolved_at=c.resolved_at,
                             resolution=c.resolution)


def complaints_list(session: Session, *, user_id: int | None = None, merchant_id: int | None = None,
                    open_only: bool = False, limit: int = 200) -> list[wire.ComplaintOut]:
    stmt = select(PrepaidComplaint)
    if user_id is not None:
        stmt = stmt.where(PrepaidComplaint.user_id == user_id)
    if merchant_id is not None:
        stmt = stmt.where(PrepaidComplaint.merchant_id == merchant_id)
    if open_only:
        stmt = stmt.where(PrepaidComplaint.status == "open")
    return [complaint_out(session, c) for c in session.scalars(stmt.order_by(PrepaidComplaint.id.desc()).limit(limit))]


def product_from_qr(payload: str) -> tuple[int, int, int | None]:
    """(merchant id, product id, amount) named by a card-sale QR; raises emvco.EmvcoError or ValueError."""
    qr = emvco.decode(payload)
    if not (qr.reference or "").startswith(QR_REFERENCE_PREFIX):
        raise ValueError("this QR is a payment QR, not a prepaid-card QR")
    return qr.merchant_id, int(qr.reference[len(QR_REFERENCE_PREFIX):]), qr.amount_fen
