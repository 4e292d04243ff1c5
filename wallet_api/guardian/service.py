"""Naming a guardian, screening an elder's payments, and deciding, revoking and settling waiting payments.

Why the money moves at once into `system:guardian_holds` (a two-phase transfer, like withdrawals) instead of
staying in the wallet until a decision: the elder cannot spend the same money twice while a payment waits
(a scammer's second request finds it gone), an approval can never fail for lack of funds, the payee sees
nothing until it is approved or due, and the audit can check that the holds account equals the sum of the
open holds. Approve pays from the holds account to the payee; decline, expiry and revoke pay it back.
Every decision locks the pending row first, so racing decisions resolve to exactly one outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from wallet_api.auth.models import User
from wallet_api.config import Settings
from wallet_api.db import transaction
from wallet_api.errors import PayeeNotFound, SelfPayment
from wallet_api.guardian.errors import (GuardianAlreadyNamed, GuardianshipNotFound, NotAnInvitation,
                                        PendingPaymentClosed, PendingPaymentNotFound, RevokeTooLate)
from wallet_api.guardian.models import OPEN_STATUSES, Guardianship, PendingPayment
from wallet_api.guardian.rules import PayerHistory, Risk, RiskPolicy, assess, explain
from wallet_api.ledger import Leg, SystemAccount, account_by_code, post_transfer
from wallet_api.merchants.models import Merchant
from wallet_api.notifications.service import notify
from wallet_api.payments import service as payments
from wallet_api.payments.models import Payment
from wallet_api.schemas import NotificationCategory as Cat
from wallet_api.schemas import guardian as wire

yuan = payments.yuan


# ---- guardianships ------------------------------------------------------------------------------------

def active_guardianship(session: Session, elder_id: int) -> Guardianship | None:
    return session.scalar(select(Guardianship).where(Guardianship.elder_user_id == elder_id,
                                                     Guardianship.status == "active"))


def invite(session: Session, elder: User, guardian_username: str, delay: bool, now: datetime) -> Guardianship:
    guardian = session.scalar(select(User).where(User.username == guardian_username))
    if guardian is None:
        raise PayeeNotFound(f"There is no user {guardian_username!r}. Check the name and try again.")
    if guardian.id == elder.id:
        raise SelfPayment("Your guardian is someone else you trust; you cannot name yourself.")
    session.get(User, elder.id, with_for_update=True)  # one guardian (or invitation) at a time, even racing
    if session.scalar(select(Guardianship.id).where(Guardianship.elder_user_id == elder.id,
                                                    Guardianship.status.in_(("invited", "active")))):
        raise GuardianAlreadyNamed("You already have a guardian or an invitation waiting. End it first.")
    row = Guardianship(elder_user_id=elder.id, guardian_user_id=guardian.id, status="invited",
                       delay_new_payee_transfers=delay, created_at=now)
    session.add(row)
    session.flush()
    notify(session, guardian.id, Cat.SECURITY, "notice.guardian_invited",
           f"{elder.display_name} asks you to be their payment guardian. Accept to be asked about risky payments.",
           elder=elder.display_name, guardianship_id=row.id)
    return row


def _guardianship(session: Session, user: User, gid: int) -> Guardianship:
    row = session.get(Guardianship, gid, with_for_update=True, populate_existing=True)
    if row is None or user.id not in (row.elder_user_id, row.guardian_user_id):
        raise GuardianshipNotFound(f"You have no guardianship {gid}.")
    return row


def answer(session: Session, guardian: User, gid: int, accept: bool, now: datetime) -> Guardianship:
    """The guardian's consent: nobody guards anyone without saying yes."""
    row = _guardianship(session, guardian, gid)
    if row.guardian_user_id != guardian.id:
        raise GuardianshipNotFound(f"You were not invited to guardianship {gid}.")
    if row.status != "invited":
        raise NotAnInvitation(f"This invitation is already {row.status}.", current_status=row.status)
    row.status = "active" if accept else "declined"
    row.accepted_at, row.ended_at = (now, None) if accept else (None, now)
    key, verb = ("notice.guardian_accepted", "is now") if accept else ("notice.guardian_declined", "declined to be")
    notify(session, row.elder_user_id, Cat.SECURITY, key, f"{guardian.display_name} {verb} your payment guardian.",
           guardian=guardian.display_name, guardianship_id=row.id)
    return row


def end(session: Session, user: User, gid: int, now: datetime) -> Guardianship:
    """Either side may end it. Payments already waiting stay with the guardian until decided or expired."""
    row = _guardianship(session, user, gid)
    if row.status not in ("invited", "active"):
        raise NotAnInvitation(f"This guardianship is already {row.status}.", current_status=row.status)
    row.status, row.ended_at = "ended", now
    other = row.guardian_user_id if user.id == row.elder_user_id else row.elder_user_id
    notify(session, other, Cat.SECURITY, "notice.guardian_ended", f"{user.display_name} ended the guardianship.",
           who=user.display_name, guardianship_id=row.id)
    return row


# ---- screening and holding ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Screening:
    reason: str                # guardian | delay
    risks: list[Risk]
    guardianship: Guardianship


def _history(session: Session, payer_id: int, payee_clause, policy: RiskPolicy, now: datetime) -> PayerHistory:
    mine = Payment.payer_user_id == payer_id
    paid_before = session.scalar(select(exists().where(mine, payee_clause)))
    recent = list(session.scalars(select(Payment.amount).where(mine).order_by(Payment.id.desc())
                                  .limit(policy.usual_history)))
    since = now - policy.rapid_window
    sent = session.scalar(select(func.count()).select_from(Payment).where(mine, Payment.created_at >= since))
    waiting = session.scalar(select(func.count()).select_from(PendingPayment).where(
        PendingPayment.payer_user_id == payer_id, PendingPayment.created_at >= since,
        PendingPayment.payment_id.is_(None)))
    return PayerHistory(bool(paid_before), recent, sent + waiting)


def screen(session: Session, settings: Settings, payer: User, amount: int, now: datetime, *,
           merchant_id: int | None = None, payee_user_id: int | None = None,
           guarded: bool | None = None) -> Screening | None:
    """Whether this payment from the payer's wallet must wait, and why. None: pay now.
    `guarded`: whether the payer had an active guardian when this request's sign-in was checked (None: not
    known). False saves the lookup: a guardianship accepted since then counts from the next request, as if
    the payment had arrived a moment earlier."""
    if guarded is False:
        return None
    guardianship = active_guardianship(session, payer.id)
    if guardianship is None:
        return None
    policy = RiskPolicy.from_settings(settings)
    clause = Payment.merchant_id == merchant_id if merchant_id is not None else Payment.payee_user_id == payee_user_id
    history = _history(session, payer.id, clause, policy, now)
    if payee_user_id == guardianship.guardian_user_id:  # the guardian is someone the elder already trusts
        history = replace(history, paid_payee_before=True)
    risks = assess(amount, history, policy)
    if risks:
        return Screening("guardian", risks, guardianship)
    if payee_user_id is not None and guardianship.delay_new_payee_transfers and not history.paid_payee_before:
        return Screening("delay", [], guardianship)
    return None


def holds_account_id(session: Session) -> int:
    return account_by_code(session, SystemAccount.GUARDIAN_HOLDS).id


def hold(session: Session, settings: Settings, payer: User, screening: Screening, amount: int, memo: str,
         now: datetime, *, merchant: Merchant | None = None, payee: User | None = None) -> PendingPayment:
    """Move the money from the payer's wallet into the holds account and record why it waits."""
    payee_name = (merchant.local_name or merchant.name) if merchant is not None else payee.display_name
    transfer = post_transfer(
        session, kind="payment_hold", memo=memo,
        legs=[Leg(payments.wallet_account_id(session, payer.id), -amount), Leg(holds_account_id(session), amount)],
        details={"from": payer.display_name, "to": payee_name, "reason": screening.reason})
    waits = (timedelta(hours=settings.guardian_hold_hours) if screening.reason == "guardian"
             else timedelta(minutes=settings.guardian_transfer_delay_minutes))
    row = PendingPayment(
        kind="merchant" if merchant is not None else "p2p", reason=screening.reason,
        status="held" if screening.reason == "guardian" else "delayed", payer_user_id=payer.id,
        merchant_id=merchant.id if merchant is not None else None, payee_user_id=payee.id if payee else None,
        guardian_user_id=screening.guardianship.guardian_user_id, amount_fen=amount, memo=memo,
        risks=[{"code": r.code, "params": r.params} for r in screening.risks], hold_transfer_id=transfer.id,
        created_at=now, due_at=now + waits)
    session.add(row)
    session.flush()
    out = pending_out(session, row)
    if row.status == "held":
        guardian = session.get(User, row.guardian_user_id)
        notify(session, row.guardian_user_id, Cat.SECURITY, "notice.guardian_approval_needed",
               f"{payer.display_name} wants to pay {payee_name} {yuan(amount)} CNY. It waits for your approval: "
               + " ".join(r.text for r in out.reasons), elder=payer.display_name, payee=payee_name,
               amount_fen=amount, pending_payment_id=row.id)
        notify(session, payer.id, Cat.SECURITY, "notice.payment_held",
               f"Your payment of {yuan(amount)} CNY to {payee_name} waits for {guardian.display_name}'s approval.",
               guardian=guardian.display_name, payee=payee_name, amount_fen=amount, pending_payment_id=row.id)
    else:
        notify(session, payer.id, Cat.SECURITY, "notice.transfer_delayed",
               f"Your transfer of {yuan(amount)} CNY to {payee_name} will arrive at {row.due_at:%H:%M} UTC. "
               "You can take it back until then.", payee=payee_name, amount_fen=amount, pending_payment_id=row.id,
               due_at=row.due_at.isoformat())
    return row


# ---- deciding -----------------------------------------------------------------------------------------

def _lock(session: Session, pid: int) -> PendingPayment:
    row = session.get(PendingPayment, pid, with_for_update=True, populate_existing=True)
    if row is None:
        raise PendingPaymentNotFound(f"There is no waiting payment {pid}.")
    return row


def _closed(row: PendingPayment) -> PendingPaymentClosed:
    return PendingPaymentClosed(f"This payment is already {row.status}; nothing more can be done with it.",
                                current_status=row.status)


def _payee_name(session: Session, row: PendingPayment) -> str:
    if row.merchant_id is not None:
        merchant = session.get(Merchant, row.merchant_id)
        return merchant.local_name or merchant.name
    return session.get(User, row.payee_user_id).display_name


def _pay_out(session: Session, row: PendingPayment, status: str, now: datetime) -> None:
    payer = session.get(User, row.payer_user_id)
    holds = holds_account_id(session)
    if row.kind == "merchant":
        payment = payments.pay_merchant(session, payer, session.get(Merchant, row.merchant_id), row.amount_fen,
                                        row.memo, funding_account_id=holds, details={"pending_payment_id": row.id})
    else:
        payee = session.get(User, row.payee_user_id)
        payment = payments.pay_person(session, payer, payee.username, row.amount_fen, row.memo,
                                      funding_account_id=holds)
    row.status, row.payment_id, row.decided_at = status, payment.id, now


def _release(session: Session, row: PendingPayment, status: str, now: datetime, by: int | None) -> None:
    transfer = post_transfer(
        session, kind="payment_release", memo=row.memo,
        legs=[Leg(holds_account_id(session), -row.amount_fen),
              Leg(payments.wallet_account_id(session, row.payer_user_id), row.amount_fen)],
        details={"from": _payee_name(session, row), "to": session.get(User, row.payer_user_id).display_name,
                 "pending_payment_id": row.id, "outcome": status})
    row.status, row.release_transfer_id, row.decided_at, row.decided_by = status, transfer.id, now, by


def approve(session: Session, guardian: User, pid: int, now: datetime) -> PendingPayment:
    row = _guardian_row(session, guardian, pid)
    if row.status != "held" or now >= row.due_at:
        raise _closed(row) if row.status != "held" else PendingPaymentClosed(
            "This payment waited too long and has gone back to the payer.", current_status="expired")
    _pay_out(session, row, "approved", now)
    row.decided_by = guardian.id
    notify(session, row.payer_user_id, Cat.SECURITY, "notice.payment_approved",
           f"{guardian.display_name} approved your payment of {yuan(row.amount_fen)} CNY to "
           f"{_payee_name(session, row)}. It has been paid.", guardian=guardian.display_name,
           payee=_payee_name(session, row), amount_fen=row.amount_fen, pending_payment_id=row.id)
    return row


def decline(session: Session, guardian: User, pid: int, now: datetime) -> PendingPayment:
    row = _guardian_row(session, guardian, pid)
    if row.status != "held":
        raise _closed(row)
    _release(session, row, "declined", now, guardian.id)
    notify(session, row.payer_user_id, Cat.SECURITY, "notice.payment_declined",
           f"{guardian.display_name} stopped your payment of {yuan(row.amount_fen)} CNY to "
           f"{_payee_name(session, row)}. The money is back in your wallet.", guardian=guardian.display_name,
           payee=_payee_name(session, row), amount_fen=row.amount_fen, pending_payment_id=row.id)
    return row


def _guardian_row(session: Session, guardian: User, pid: int) -> PendingPayment:
    row = _lock(session, pid)
    if row.reason != "guardian" or row.guardian_user_id != guardian.id:
        raise PendingPaymentNotFound(f"No payment {pid} waits for your approval.")
    return row


def revoke(session: Session, payer: User, pid: int, now: datetime) -> PendingPayment:
    """The payer takes back a waiting payment: a held one any time before a decision, a delayed transfer only
    before its delay is over."""
    row = _lock(session, pid)
    if row.payer_user_id != payer.id:
        raise PendingPaymentNotFound(f"You have no waiting payment {pid}.")
    if row.status == "settled" or (row.status == "delayed" and now >= row.due_at):
        raise RevokeTooLate("The delay is over and the money has been paid. Ask the payee to send it back.",
                            current_status="settled")
    if row.status not in OPEN_STATUSES:
        raise _closed(row)
    _release(session, row, "revoked", now, payer.id)
    if row.reason == "guardian":
        notify(session, row.guardian_user_id, Cat.SECURITY, "notice.payment_revoked",
               f"{payer.display_name} cancelled the payment of {yuan(row.amount_fen)} CNY you were asked about.",
               elder=payer.display_name, amount_fen=row.amount_fen, pending_payment_id=row.id)
    return row


def settle_due(session: Session, now: datetime, *, user_id: int | None = None, pid: int | None = None,
               limit: int = 200) -> int:
    """Pay out delayed transfers whose delay is over and release holds nobody decided in time. Runs lazily
    before reads and decisions, and from the server's periodic task. Returns how many it settled."""
    stmt = select(PendingPayment.id).where(PendingPayment.status.in_(OPEN_STATUSES), PendingPayment.due_at <= now)
    if user_id is not None:
        stmt = stmt.where(or_(PendingPayment.payer_user_id == user_id, PendingPayment.guardian_user_id == user_id))
    if pid is not None:
        stmt = stmt.where(PendingPayment.id == pid)
    done = 0
    for row_id in session.scalars(stmt.order_by(PendingPayment.id).limit(limit)).all():
        row = _lock(session, row_id)
        if row.status not in OPEN_STATUSES or row.due_at > now:
            continue  # decided meanwhile
        if row.status == "delayed":
            _pay_out(session, row, "settled", now)
            notify(session, row.payer_user_id, Cat.TRANSACTIONAL, "notice.transfer_settled",
                   f"Your transfer of {yuan(row.amount_fen)} CNY to {_payee_name(session, row)} has arrived.",
                   payee=_payee_name(session, row), amount_fen=row.amount_fen, pending_payment_id=row.id)
        else:
            _release(session, row, "expired", now, None)
            for who in (row.payer_user_id, row.guardian_user_id):
                notify(session, who, Cat.SECURITY, "notice.payment_expired",
                       f"Nobody approved the payment of {yuan(row.amount_fen)} CNY to {_payee_name(session, row)} "
                       "in time. The money is back in the payer's wallet.", payee=_payee_name(session, row),
                       amount_fen=row.amount_fen, pending_payment_id=row.id)
        done += 1
    return done


def sweep(db: sessionmaker[Session], now: datetime) -> int:
    """The periodic task: settle every due payment, each in its own short transaction."""
    with transaction(db) as s:
        due = list(s.scalars(select(PendingPayment.id).where(PendingPayment.status.in_(OPEN_STATUSES),
                                                             PendingPayment.due_at <= now)))
    done = 0
    for pid in due:
        with transaction(db) as s:
            done += settle_due(s, now, pid=pid)
    return done


# ---- views --------------------------------------------------------------------------------------------

def pending_out(session: Session, row: PendingPayment) -> wire.PendingPaymentOut:
    payer = session.get(User, row.payer_user_id)
    payee = _payee_name(session, row)
    guardian = session.get(User, row.guardian_user_id) if row.guardian_user_id else None
    reasons = [wire.WaitReason(code=r["code"], message_key=f"guardian.risk.{r['code']}", params=r["params"],
                               text=explain(Risk(r["code"], r["params"]), row.amount_fen, payee)) for r in row.risks]
    if row.reason == "delay":
        minutes = int((row.due_at - row.created_at).total_seconds() // 60)
        reasons.append(wire.WaitReason(
            code="new_payee_delay", message_key="guardian.risk.new_payee_delay", params={"minutes": minutes},
            text=f"Transfers to someone new wait {minutes} minutes, so you can take one back if it was a mistake."))
        explanation = (f"This transfer to {payee} will be paid at {row.due_at:%Y-%m-%d %H:%M} UTC. Until then you "
                       "can take it back.")
    else:
        explanation = (f"This payment waits for {guardian.display_name}, your guardian, to approve it. If nobody "
                       f"decides by {row.due_at:%Y-%m-%d %H:%M} UTC, the money comes back to your wallet.")
    return wire.PendingPaymentOut(
        id=row.id, kind=row.kind, reason=row.reason, status=row.status, amount_fen=row.amount_fen,
        payer=payer.display_name, payee=payee, merchant_id=row.merchant_id,
        payee_username=session.get(User, row.payee_user_id).username if row.payee_user_id else None,
        guardian=guardian.display_name if guardian else None, memo=row.memo, reasons=reasons,
        explanation=explanation, created_at=row.created_at, due_at=row.due_at, decided_at=row.decided_at,
        payment_id=row.payment_id)


def guardianship_out(session: Session, row: Guardianship) -> wire.GuardianshipOut:
    elder, guardian = session.get(User, row.elder_user_id), session.get(User, row.guardian_user_id)
    return wire.GuardianshipOut(
        id=row.id, elder=elder.display_name, elder_username=elder.username, guardian=guardian.display_name,
        guardian_username=guardian.username, status=row.status, delay_new_payee_transfers=row.delay_new_payee_transfers,
        created_at=row.created_at, accepted_at=row.accepted_at, ended_at=row.ended_at)


def overview(session: Session, user: User) -> wire.GuardianOverview:
    mine = session.scalar(select(Guardianship).where(Guardianship.elder_user_id == user.id,
                                                     Guardianship.status.in_(("invited", "active"))))
    guarding = session.scalars(select(Guardianship).where(Guardianship.guardian_user_id == user.id,
                                                          Guardianship.status.in_(("invited", "active")))
                               .order_by(Guardianship.id))
    return wire.GuardianOverview(my_guardian=guardianship_out(session, mine) if mine else None,
                                 i_guard=[guardianship_out(session, g) for g in guarding])


def pending_list(session: Session, user: User, role: str, open_only: bool) -> list[wire.PendingPaymentOut]:
    column = PendingPayment.payer_user_id if role == "payer" else PendingPayment.guardian_user_id
    stmt = select(PendingPayment).where(column == user.id)
    if role == "guardian":
        stmt = stmt.where(PendingPayment.reason == "guardian")
    if open_only:
        stmt = stmt.where(PendingPayment.status.in_(OPEN_STATUSES))
    return [pending_out(session, r) for r in session.scalars(stmt.order_by(PendingPayment.id.desc()).limit(200))]


def pending_of(session: Session, user: User, pid: int) -> wire.PendingPaymentOut:
    row = session.get(PendingPayment, pid)
    if row is None or user.id not in (row.payer_user_id, row.guardian_user_id):
        raise PendingPaymentNotFound(f"You have no waiting payment {pid}.")
    return pending_out(session, row)
