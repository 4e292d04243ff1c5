"""Campus payments ("charges"): a cashier enters a student's payment code, or a student scans a
campus merchant's QR.

A code is checked and *spent* in its own committed transaction before any money moves, so it is
single-use even when the payment then fails, and two tills presenting the same code at once get
one success between them (the primary key of campus_code_uses decides). After that:
  wallet:    one transaction locks the charge, then the campus card (daily limit), then the
             ledger accounts, and pays wallet -> merchant settlement;
  bank card: the charge is marked `processing`, the bank is asked (request key = the charge),
             and a second transaction books bank_clearing -> merchant settlement. A timeout
             leaves it `unknown` with no money moved; a retry with the same Idempotency-Key asks
             the bank again under the same request key and settles exactly once.
A refusal after the code was spent is stored on the charge, so a retry with the same key gets
the same answer and a new key gets `campus_code_used`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from wallet_api import schemas
from wallet_api.auth.models import User
from wallet_api.auth.secrets import Hasher
from wallet_api.auth.service import check_pin, refuse_if_locked
from wallet_api.campus import clock, codes
from wallet_api.campus.cards import my_card, spent_today
from wallet_api.campus.errors import (BankCardUnavailable, CardSuspended, ChargeCancelled, ChargeNotPending,
                                      CodeExpired, CodeInvalid, CodeRateLimited, CodeUsed, ConfirmationExpired,
                                      DeviceKeyUnreadable,
                                      DailyLimitExceeded, DeviceRevoked, NotCampusMerchant, WrongCampus)
from wallet_api.campus.models import (Campus, CampusCard, CampusCharge, CampusCodeUse, CampusDevice,
                                      CampusMerchant)
from wallet_api.campus.ratelimit import TillBuckets
from wallet_api.campus.rules import CONFIRM_SECONDS, mask_name
from wallet_api.config import Settings
from wallet_api.db import transaction
from wallet_api.errors import (BankDeclined, BankTimeout, Conflict, Forbidden, IdempotencyMismatch,
                               MerchantNotFound, NotFound, Problem, SelfPayment, ValidationFailed)
from wallet_api.funding.bank import BankGateway, BankTimeoutError
from wallet_api.funding.models import BankCard
from wallet_api.idempotency import Outcome, require_key, run_once
from wallet_api.ledger import Leg, post_transfer
from wallet_api.ledger.accounts import SystemAccount, account_by_code
from wallet_api.ledger.hashing import canonical, sha256_hex
from wallet_api.merchants.models import Merchant
from wallet_api.merchants.service import get_merchant, merchant_from_qr
from wallet_api.notifications.service import notify
from wallet_api.payments.models import Payment
from wallet_api.payments.service import pay_merchant, refund, refund_out, yuan
from wallet_api.schemas import NotificationCategory as Cat
from wallet_api.schemas import campus as wire

ENDED_BADLY = {"failed": "failed", "cancelled": "cancelled", "expired": "expired"}


@dataclass(frozen=True)
class ChargeAnswer:
    charge: wire.ChargeOut
    status_code: int      # 201 paid; 202 waiting for the student's PIN
    replayed: bool        # the stored answer of an earlier request with this Idempotency-Key


# ---- the cashier presents a code -------------------------------------------------------------

def charge_by_code(db: sessionmaker[Session], gateway: BankGateway, box: codes.SecretBox, cashier: User,
                   data: wire.ChargeIn, key: str | None) -> ChargeAnswer:
    key = require_key(key)
    code = "".join(data.code.split())
    scope = f"campus-code:merchant:{data.merchant_id}"
    request_hash = _digest(data.model_dump(mode="json") | {"code": code})
    charge_id, replayed = _claim(db, lambda s: _claim_code(s, box, cashier, data, code, scope, key, request_hash))
    return _carry_on(db, gateway, charge_id, replayed)


def _claim_code(s: Session, box: codes.SecretBox, cashier: User, data: wire.ChargeIn, code: str, scope: str,
                key: str, request_hash: str) -> tuple[int, bool] | Problem:
    existing = _by_key(s, scope, key, request_hash)
    if existing is not None:
        return existing.id, True
    merchant, campus_id = _cashier_merchant(s, cashier, data.merchant_id)
    now = clock.now()
    buckets = TillBuckets(s, merchant.id, data.terminal_id, now)
    wait = buckets.retry_after()
    if wait is not None:
        return CodeRateLimited(f"Too many wrong codes at this till. Wait {wait} seconds, then scan the student's "
                               "code again.", headers={"Retry-After": str(wait)}, retry_after_seconds=wait)
    found = _verify(s, box, code, now)
    if isinstance(found, Problem):
        buckets.spend()  # committed with the refusal: guesses use up the till's budget
        return found
    device, step = found
    s.add(CampusCodeUse(device_id=device.id, step=step, merchant_id=merchant.id, used_at=now))
    s.flush()  # a concurrent use of the same code fails here; the caller retries and finds it used
    device.last_used_at = now
    card = s.get(CampusCard, device.card_id)
    charge = CampusCharge(card_id=card.id, merchant_id=merchant.id, origin="code", device_id=device.id,
                          terminal_id=data.terminal_id, amount=data.amount_fen, memo=data.memo, status="claimed",
                          idempotency_scope=scope, idempotency_key=key, request_hash=request_hash, created_at=now,
                          updated_at=now)
    refusal = _refusal_for_code(device, card, campus_id)
    if refusal is not None:
        _end(charge, refusal)
    s.add(charge)
    s.flush()
    return charge.id, False


def _verify(s: Session, box: codes.SecretBox, code: str, now: datetime) -> tuple[CampusDevice, int] | Problem:
    invalid = CodeInvalid("This payment code is not valid. Ask the student to refresh the code, then scan or "
                          "type it again.")
    parsed = codes.parse(code)
    if parsed is None:
        return invalid
    device = s.scalar(select(CampusDevice).where(CampusDevice.number == parsed.device_number))
    if device is None:
        return invalid
    try:
        secret = box.open(device.secret_sealed, device.number)
    except InvalidTag:  # sealed under an earlier server secret (ANXIN_SECRET_KEY was changed)
        return DeviceKeyUnreadable("This phone's payment codes can no longer be checked. The student should "
                                   "register the phone again in the campus card settings, then show a new code.")
    match = codes.match_step(secret, device.algorithm, parsed.otp, codes.current_step(now.timestamp()))
    if match is None:
        return invalid
    if s.get(CampusCodeUse, (device.id, match.step)) is not None:
        return CodeUsed("This payment code has already been used. Ask the student for a fresh code.")
    if not match.fresh:
        return CodeExpired("This payment code has expired. Ask the student to show the current code (it changes "
                           "every minute).")
    return device, match.step


def _refusal_for_code(device: CampusDevice, card: CampusCard, campus_id: int) -> Problem | None:
    if device.status == "revoked":
        return DeviceRevoked("This code comes from a phone its owner reported lost. Do not accept it; ask for "
                             "another way to pay.")
    if card.status != "active":
        return CardSuspended("This student's campus card is suspended. They should contact the campus card centre.")
    if card.campus_id != campus_id:
        return WrongCampus("This code belongs to a student of another campus; it cannot be used here.")
    return None


def _cashier_merchant(s: Session, cashier: User, merchant_id: int) -> tuple[Merchant, int]:
    merchant = get_merchant(s, merchant_id)
    if merchant.owner_user_id != cashier.id:
        raise Forbidden("Only this shop's own cashier login can take payments for it.")
    link = s.get(CampusMerchant, merchant.id)
    if link is None:
        raise NotCampusMerchant(f"{merchant.name} is not a campus merchant, so it cannot take campus codes. Ask "
                                "the campus card centre to add it.")
    if merchant.status != "active":
        raise MerchantNotFound(f"{merchant.name} is not taking payments now.")
    return merchant, link.campus_id


# ---- the student scans a campus merchant's QR ------------------------------------------------

def scan_pay(db: sessionmaker[Session], settings: Settings, hasher: Hasher, gateway: BankGateway, student: User,
             data: wire.ScanPayIn, key: str | None) -> ChargeAnswer:
    key = require_key(key)
    scope = f"campus-scan:user:{student.id}"
    # The PIN is not part of the request's identity: a retry may carry it or not.
    request_hash = _digest(data.model_dump(mode="json", exclude={"pin"}))
    with transaction(db) as s:
        existing = _by_key(s, scope, key, request_hash)
        if existing is None:
            card = my_card(s, student.id)
            merchant, qr_amount = merchant_from_qr(s, data.qr_payload)
            if qr_amount is not None and qr_amount != data.amount_fen:
                raise ValidationFailed("The amount differs from the one in the merchant's QR. Scan it again.")
            link = s.get(CampusMerchant, merchant.id)
            if link is None:
                raise NotCampusMerchant(f"{merchant.name} is not a campus merchant; pay it from the wallet instead.")
            if link.campus_id != card.campus_id:
                raise WrongCampus(f"{merchant.name} belongs to another campus; your campus card cannot pay there.")
            if card.status != "active":
                raise CardSuspended("Your campus card is suspended. Contact the campus card centre.")
            pin_free_limit = s.get(Campus, card.campus_id).pin_free_limit_fen
            merchant_id, card_id = merchant.id, card.id
    if existing is not None:
        return _carry_on(db, gateway, existing.id, replayed=True)
    if data.amount_fen > pin_free_limit:
        check_pin(db, settings, hasher, student.id, data.pin)  # the student is holding their own phone

    def claim(s: Session) -> tuple[int, bool]:
        again = _by_key(s, scope, key, request_hash)
        if again is not None:
            return again.id, True
        now = clock.now()
        charge = CampusCharge(card_id=card_id, merchant_id=merchant_id, origin="scan", amount=data.amount_fen,
                              memo=data.memo, status="claimed", idempotency_scope=scope, idempotency_key=key,
                              request_hash=request_hash, created_at=now, updated_at=now)
        s.add(charge)
        s.flush()
        return charge.id, False

    charge_id, replayed = _claim(db, claim)
    return _carry_on(db, gateway, charge_id, replayed)


# ---- the student confirms or declines a larger charge ----------------------------------------

def confirm(db: sessionmaker[Session], settings: Settings, hasher: Hasher, gateway: BankGateway, student: User,
            charge_id: int, pin: str, key: str | None) -> ChargeAnswer:
    key = require_key(key)
    with transaction(db) as s:
        charge = _students_charge(s, student.id, charge_id)
        _lapse_if_due(charge)
        status, confirm_key = charge.status, charge.confirm_key
    if status != "awaiting_confirmation":
        if confirm_key == key or status == "expired":
            return _carry_on(db, gateway, charge_id, replayed=True)  # this confirmation's retry, or its end
        raise ChargeNotPending(f"This payment is not waiting for your confirmation (it is {status}).",
                               charge_status=status)
    check_pin(db, settings, hasher, student.id, pin)
    return _carry_on(db, gateway, charge_id, replayed=False, confirm_key=key)


def decline(db: sessionmaker[Session], student: User, charge_id: int) -> wire.ChargeOut:
    with transaction(db) as s:
        charge = _students_charge(s, student.id, charge_id)
        _lapse_if_due(charge)
        if charge.status == "awaiting_confirmation":
            _end(charge, ChargeCancelled("The student declined this payment on their phone. Nothing was paid."))
        elif charge.status != "cancelled":
            raise ChargeNotPending(f"This payment is not waiting for your confirmation (it is {charge.status}).",
                                   charge_status=charge.status)
        return charge_out(s, charge)


def _students_charge(s: Session, user_id: int, charge_id: int) -> CampusCharge:
    card = my_card(s, user_id)
    charge = s.get(CampusCharge, charge_id, with_for_update=True)
    if charge is None or charge.card_id != card.id:
        raise NotFound(f"You have no campus payment {charge_id}.")
    return charge


# ---- carrying a claimed charge through to its end --------------------------------------------

def _carry_on(db: sessionmaker[Session], gateway: BankGateway, charge_id: int, replayed: bool,
              confirm_key: str | None = None) -> ChargeAnswer:
    """Take the charge as far as it can go now (also what a retry does), then answer from its state."""
    out, problem = _advance(db, charge_id, confirm_key)
    if out.status in ("processing", "unknown"):
        _settle_with_bank(db, gateway, charge_id)
        out, problem = _advance(db, charge_id, None)
    if problem is not None:
        raise problem
    return ChargeAnswer(out, 201 if out.status == "completed" else 202, replayed)


def _advance(db: sessionmaker[Session], charge_id: int,
             confirm_key: str | None) -> tuple[wire.ChargeOut, Problem | None]:
    """One transaction: lock the charge, then the campus card, then (in post_transfer) the accounts.
    Pays if the charge is ready to (claimed; or awaiting the PIN and this is the confirmation)."""
    with transaction(db) as s:
        charge = s.get(CampusCharge, charge_id, with_for_update=True)
        _lapse_if_due(charge)
        if charge.status == ("awaiting_confirmation" if confirm_key else "claimed"):
            charge.confirm_key = confirm_key
            card = s.get(CampusCard, charge.card_id, with_for_update=True)
            try:
                _pay(s, charge, card, confirmed=confirm_key is not None)
            except Problem as refusal:
                _end(charge, refusal)
        out = charge_out(s, charge)
        return out, _stored_problem(charge, out) if charge.status in ENDED_BADLY else None


def _pay(s: Session, charge: CampusCharge, card: CampusCard, *, confirmed: bool) -> None:
    campus = s.get(Campus, card.campus_id)
    student = s.get(User, card.user_id)
    merchant = s.get(Merchant, charge.merchant_id)
    now = clock.now()
    charge.updated_at = now
    if card.status != "active":
        raise CardSuspended("This student's campus card is suspended. They should contact the campus card centre.")
    if merchant.owner_user_id == student.id:
        raise SelfPayment("A student cannot pay their own shop.")
    refuse_if_locked(student)  # someone has been guessing the PIN: campus payments stop too
    spent = spent_today(s, card.id)
    if spent + charge.amount > card.daily_limit_fen:
        left = max(0, card.daily_limit_fen - spent)
        raise DailyLimitExceeded(f"This would pass the student's campus daily limit of {yuan(card.daily_limit_fen)} "
                                 f"CNY; {yuan(left)} CNY is left today. Charge less, or the student raises the "
                                 "limit in the app.", daily_limit_fen=card.daily_limit_fen, left_today_fen=left)
    if charge.origin == "code" and not confirmed and charge.amount > campus.pin_free_limit_fen:
        charge.status, charge.confirm_by = "awaiting_confirmation", now + timedelta(seconds=CONFIRM_SECONDS)
        notify(s, student.id, Cat.TRANSACTIONAL, "notice.campus_confirm",
               f"Confirm paying {merchant.name} {yuan(charge.amount)} CNY with your payment PIN within "
               f"{CONFIRM_SECONDS // 60} minutes.", amount_fen=charge.amount, payee=merchant.name, charge_id=charge.id)
        return
    charge.funding_source = card.funding_source
    if card.funding_source == "wallet":
        with s.begin_nested():  # a refusal inside leaves nothing behind
            payment = pay_merchant(s, student, merchant, charge.amount, charge.memo)
        charge.payment_id, charge.transfer_id, charge.status = payment.id, payment.transfer_id, "completed"
        return
    bank_card = s.get(BankCard, card.bank_card_id) if card.bank_card_id else None
    if bank_card is None or bank_card.status != "active" or bank_card.user_id != student.id:
        raise BankCardUnavailable("The student's bank card for campus payments is no longer linked. They can "
                                  "choose the wallet balance or another card in the app.")
    charge.bank_card_id, charge.status = bank_card.id, "processing"  # committed before the bank is called


def _settle_with_bank(db: sessionmaker[Session], gateway: BankGateway, charge_id: int) -> None:
    with transaction(db) as s:
        charge = s.get(CampusCharge, charge_id)
        token, amount = s.get(BankCard, charge.bank_card_id).gateway_token, charge.amount
    try:
        result = gateway.debit(token, amount, f"campus-charge:{charge_id}")
    except BankTimeoutError:
        with transaction(db) as s:
            charge = s.get(CampusCharge, charge_id, with_for_update=True)
            if charge.status == "processing":
                charge.status, charge.updated_at = "unknown", clock.now()
        raise BankTimeout("The student's bank did not answer in time. Nothing has been taken twice: send the same "
                          "request again (same Idempotency-Key) and it will be settled exactly once.",
                          headers={"Retry-After": "2"}, charge_id=charge_id) from None
    with transaction(db) as s:
        charge = s.get(CampusCharge, charge_id, with_for_update=True)
        if charge.status not in ("processing", "unknown"):
            return  # a concurrent retry settled it
        charge.bank_reference, charge.updated_at = result.reference, clock.now()
        if result.outcome == "declined":
            _end(charge, BankDeclined("The student's bank declined this payment. Nothing was taken. The code is "
                                      "used up: ask for a new code or another way to pay."))
        else:
            _book_bank_payment(s, charge)


def _book_bank_payment(s: Session, charge: CampusCharge) -> None:
    card = s.get(CampusCard, charge.card_id)
    student, merchant = s.get(User, card.user_id), s.get(Merchant, charge.merchant_id)
    bank_card = s.get(BankCard, charge.bank_card_id)
    transfer = post_transfer(
        s, kind="campus_card_payment", memo=charge.memo, actor_user_id=student.id,
        legs=[Leg(account_by_code(s, SystemAccount.BANK_CLEARING).id, -charge.amount),
              Leg(merchant.settlement_account_id, charge.amount)],
        details={"from": f"{bank_card.bank_name} ••{bank_card.last4}", "to": merchant.local_name or merchant.name,
                 "merchant_id": merchant.id, "campus_charge_id": charge.id})
    payment = Payment(kind="merchant", payer_user_id=student.id, merchant_id=merchant.id, amount=charge.amount,
                      memo=charge.memo, transfer_id=transfer.id, created_at=transfer.created_at)
    s.add(payment)
    s.flush()
    notify(s, student.id, Cat.TRANSACTIONAL, "notice.payment_sent",
           f"You paid {merchant.name} {yuan(charge.amount)} CNY from {bank_card.bank_name} ••{bank_card.last4}.",
           amount_fen=charge.amount, payee=merchant.name)
    notify(s, merchant.owner_user_id, Cat.TRANSACTIONAL, "notice.payment_received",
           f"{merchant.name} received {yuan(charge.amount)} CNY from {student.display_name}.",
           amount_fen=charge.amount, payer=student.display_name)
    charge.payment_id, charge.transfer_id, charge.status = payment.id, transfer.id, "completed"


# ---- endings, answers, lookups ---------------------------------------------------------------

def _end(charge: CampusCharge, refusal: Problem) -> None:
    """Record why this charge ended without paying; the same answer is given to every retry."""
    charge.status = {ChargeCancelled.code: "cancelled", ConfirmationExpired.code: "expired"}.get(refusal.code,
                                                                                                   "failed")
    charge.failure_code, charge.failure_status = refusal.code, refusal.status
    charge.failure_detail, charge.updated_at = refusal.detail[:300], clock.now()
    charge.failure_extra = {k: v for k, v in refusal.extra.items() if isinstance(v, (int, str))} or None


def _lapse_if_due(charge: CampusCharge) -> None:
    if charge.status == "awaiting_confirmation" and clock.now() > charge.confirm_by:
        _end(charge, ConfirmationExpired(f"The student did not confirm within {CONFIRM_SECONDS // 60} minutes. "
                                         "Nothing was paid; ask for a new code."))


def _problem_class(code: str) -> type[Problem]:
    pending = [Problem]
    while pending:
        cls = pending.pop()
        if cls is not Problem and cls.code == code:
            return cls
        pending.extend(cls.__subclasses__())
    return Problem


def _stored_problem(charge: CampusCharge, out: wire.ChargeOut) -> Problem:
    return _problem_class(charge.failure_code)(
        charge.failure_detail, status=charge.failure_status, code=charge.failure_code, **(charge.failure_extra or {}),
        charge_id=charge.id, student_number=out.student_number, student_masked_name=out.student_masked_name)


def _claim(db: sessionmaker[Session], claim: Callable[[Session], tuple[int, bool] | Problem]) -> tuple[int, bool]:
    for _attempt in range(3):
        try:
            with transaction(db) as s:
                outcome = claim(s)
        except IntegrityError:
            continue  # a concurrent request took the same code or key first: look again
        if isinstance(outcome, Problem):
            raise outcome  # raised after the commit, so a wrong code still costs the till a token
        return outcome
    raise Conflict("Another request is using this code or Idempotency-Key right now; try again in a moment.")


def _by_key(s: Session, scope: str, key: str, request_hash: str) -> CampusCharge | None:
    charge = s.scalar(select(CampusCharge).where(CampusCharge.idempotency_scope == scope,
                                                 CampusCharge.idempotency_key == key))
    if charge is not None and charge.request_hash != request_hash:
        raise IdempotencyMismatch("This Idempotency-Key was already used for a different payment. Use a new key "
                                  "for a new payment.")
    return charge


def _digest(request: dict[str, Any]) -> str:
    return sha256_hex(canonical(request))


def charge_out(s: Session, charge: CampusCharge) -> wire.ChargeOut:
    card, merchant = s.get(CampusCard, charge.card_id), s.get(Merchant, charge.merchant_id)
    return wire.ChargeOut(
        id=charge.id, status=charge.status, origin=charge.origin, amount_fen=charge.amount, merchant_id=merchant.id,
        merchant_name=merchant.local_name or merchant.name, student_number=card.student_number,
        student_masked_name=mask_name(card.name), funding_source=charge.funding_source,
        payment_id=charge.payment_id, transfer_id=charge.transfer_id, confirm_by=charge.confirm_by,
        failure_code=charge.failure_code, memo=charge.memo, created_at=charge.created_at)


def get_charge(db: sessionmaker[Session], user: User, charge_id: int) -> wire.ChargeOut:
    """For the cashier of the shop, or the student who paid."""
    with transaction(db) as s:
        charge = s.get(CampusCharge, charge_id, with_for_update=True)
        if charge is None or user.id not in (s.get(Merchant, charge.merchant_id).owner_user_id,
                                             s.get(CampusCard, charge.card_id).user_id):
            raise NotFound(f"You have no campus payment {charge_id}.")
        _lapse_if_due(charge)
        return charge_out(s, charge)


def my_charges(db: sessionmaker[Session], user: User, status: str | None, limit: int) -> list[wire.ChargeOut]:
    with transaction(db) as s:
        card = my_card(s, user.id)
        waiting = select(CampusCharge).where(CampusCharge.card_id == card.id,
                                             CampusCharge.status == "awaiting_confirmation")
        for charge in s.scalars(waiting.with_for_update()):
            _lapse_if_due(charge)
        s.flush()
        stmt = select(CampusCharge).where(CampusCharge.card_id == card.id)
        if status is not None:
            stmt = stmt.where(CampusCharge.status == status)
        return [charge_out(s, c) for c in s.scalars(stmt.order_by(CampusCharge.id.desc()).limit(limit))]


def merchant_charges(db: sessionmaker[Session], cashier: User, merchant_id: int, limit: int) -> list[wire.ChargeOut]:
    with transaction(db) as s:
        _cashier_merchant(s, cashier, merchant_id)
        charges = s.scalars(select(CampusCharge).where(CampusCharge.merchant_id == merchant_id)
                            .order_by(CampusCharge.id.desc()).limit(limit))
        return [charge_out(s, c) for c in charges]


def refund_charge(db: sessionmaker[Session], cashier: User, charge_id: int, data: schemas.RefundIn,
                  key: str | None) -> Outcome:
    """The cashier gives money back; it goes to the student's wallet balance (see docs/campus.md)."""
    def act(s: Session) -> schemas.RefundOut:
        charge = s.get(CampusCharge, charge_id)
        if charge is None or charge.status != "completed" or \
                s.get(Merchant, charge.merchant_id).owner_user_id != cashier.id:
            raise NotFound(f"Your shop has no completed campus payment {charge_id}.")
        return refund_out(refund(s, s.get(User, cashier.id), charge.payment_id, data.amount_fen, data.reason))

    request = data.model_dump() | {"route": "campus_refund", "charge_id": charge_id}
    return run_once(db, scope=f"user:{cashier.id}", key=key, request=request, action=act)
