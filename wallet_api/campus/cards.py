"""What a student does with their campus card: activate it, add and revoke phones, choose what
pays, set a daily limit, see where the money went."""

from __future__ import annotations

import base64
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wallet_api.auth.models import User
from wallet_api.campus import clock, codes
from wallet_api.campus.admin import activation_code_hash
from wallet_api.campus.errors import ActivationCodeExpired, ActivationCodeInvalid, CardSuspended, NotEnrolled
from wallet_api.campus.models import Campus, CampusCard, CampusCharge, CampusDevice
from wallet_api.campus.rules import MAX_ACTIVE_DEVICES, campus_day, mask_name
from wallet_api.errors import Conflict, NotFound
from wallet_api.funding.service import owned_card
from wallet_api.merchants.models import Merchant
from wallet_api.payments.models import Payment
from wallet_api.schemas import campus as wire

# Charges that have moved, or may be moving, money: they count against the daily limit.
COUNTED_STATUSES = ("processing", "unknown", "completed")


def my_card(session: Session, user_id: int, *, lock: bool = False) -> CampusCard:
    stmt = select(CampusCard).where(CampusCard.user_id == user_id)
    card = session.scalar(stmt.with_for_update() if lock else stmt)
    if card is None:
        raise NotEnrolled("You have no campus card yet. Activate it with the code from your campus card centre.")
    return card


def activate(session: Session, box: codes.SecretBox, user: User, activation_code: str,
             device_label: str | None) -> tuple[CampusCard, CampusDevice | None, bytes | None]:
    """Bind the enrolled card to this wallet user (once), and register the phone that did it."""
    card = session.scalar(select(CampusCard).where(CampusCard.activation_code_hash ==
                                                   activation_code_hash(activation_code)).with_for_update())
    if card is None:
        raise ActivationCodeInvalid("This activation code is not valid. Check it, or ask your campus card centre "
                                    "for a new one.")
    if card.activation_expires_at is None or card.activation_expires_at <= clock.now():
        raise ActivationCodeExpired("This activation code has expired. Ask your campus card centre for a new one.")
    if card.status == "suspended":
        raise CardSuspended("This campus card is suspended. Ask your campus card centre.")
    if session.scalar(select(CampusCard.id).where(CampusCard.user_id == user.id)) is not None:
        raise Conflict("You already have a campus card on this wallet.")
    card.user_id, card.status, card.activated_at = user.id, "active", clock.now()
    card.activation_code_hash = card.activation_expires_at = None  # one use only
    session.flush()
    if device_label is None:
        return card, None, None
    device, secret = add_device(session, box, card, device_label)
    return card, device, secret


def add_device(session: Session, box: codes.SecretBox, card: CampusCard, label: str) -> tuple[CampusDevice, bytes]:
    if card.status != "active":
        raise CardSuspended("This campus card is suspended. Ask your campus card centre.")
    active = session.scalar(select(func.count()).select_from(CampusDevice)
                            .where(CampusDevice.card_id == card.id, CampusDevice.status == "active"))
    if active >= MAX_ACTIVE_DEVICES:
        raise Conflict(f"At most {MAX_ACTIVE_DEVICES} phones can make codes for one card. Remove one first.")
    for _attempt in range(20):
        number = codes.new_device_number()
        if session.scalar(select(CampusDevice.id).where(CampusDevice.number == number)) is None:
            break
    else:  # pragma: no cover - only when most of the 900,000 numbers are taken
        raise Conflict("No device number is free; try again.")
    secret = codes.new_secret()
    device = CampusDevice(card_id=card.id, number=number, label=label, algorithm=codes.ALGORITHM,
                          secret_sealed=box.seal(secret, number), status="active", created_at=clock.now())
    session.add(device)
    session.flush()
    return device, secret


def revoke_device(session: Session, user_id: int, device_id: int) -> CampusDevice:
    """A lost phone: its codes are refused from now on (revoking twice changes nothing)."""
    card = my_card(session, user_id)
    device = session.get(CampusDevice, device_id, with_for_update=True)
    if device is None or device.card_id != card.id:
        raise NotFound(f"You have no phone {device_id} on your campus card.")
    if device.status != "revoked":
        device.status, device.revoked_at = "revoked", clock.now()
    return device


def set_funding_source(session: Session, user_id: int, data: wire.FundingSourceIn) -> CampusCard:
    card = my_card(session, user_id, lock=True)
    if data.source == "bank_card":
        if data.bank_card_id is None:
            raise NotFound("Choose which linked bank card pays (bank_card_id).")
        card.bank_card_id = owned_card(session, user_id, data.bank_card_id).id
    else:
        card.bank_card_id = None
    card.funding_source = data.source
    return card


def set_daily_limit(session: Session, user_id: int, daily_limit_fen: int) -> CampusCard:
    card = my_card(session, user_id, lock=True)
    card.daily_limit_fen = daily_limit_fen
    return card


def spent_today(session: Session, card_id: int) -> int:
    start, end = campus_day(clock.now())
    return int(session.scalar(select(func.coalesce(func.sum(CampusCharge.amount), 0)).where(
        CampusCharge.card_id == card_id, CampusCharge.status.in_(COUNTED_STATUSES),
        CampusCharge.created_at >= start, CampusCharge.created_at < end)))


def device_out(device: CampusDevice) -> wire.DeviceOut:
    return wire.DeviceOut(id=device.id, number=device.number, label=device.label, status=device.status,
                          created_at=device.created_at, revoked_at=device.revoked_at,
                          last_used_at=device.last_used_at)


def device_secret_out(device: CampusDevice, secret: bytes) -> wire.DeviceSecretOut:
    return wire.DeviceSecretOut(device=device_out(device), secret_b32=base64.b32encode(secret).decode(),
                                algorithm=device.algorithm, digits=codes.TOTP_DIGITS, step_seconds=codes.STEP_SECONDS,
                                prefix=codes.PREFIX, code_length=codes.CODE_LENGTH)


def card_out(session: Session, card: CampusCard) -> wire.CampusCardOut:
    campus = session.get(Campus, card.campus_id)
    devices = session.scalars(select(CampusDevice).where(CampusDevice.card_id == card.id).order_by(CampusDevice.id))
    return wire.CampusCardOut(
        campus_id=campus.id, campus_name=campus.name, campus_local_name=campus.local_name,
        student_number=card.student_number, name=card.name, masked_name=mask_name(card.name), status=card.status,
        funding_source=card.funding_source, bank_card_id=card.bank_card_id, daily_limit_fen=card.daily_limit_fen,
        spent_today_fen=spent_today(session, card.id), pin_free_limit_fen=campus.pin_free_limit_fen,
        devices=[device_out(d) for d in devices])


def spending(session: Session, user_id: int, days: int) -> wire.SpendingOut:
    """Completed campus payments of the last `days` campus days, by merchant, biggest first."""
    card = my_card(session, user_id)
    today_start, until = campus_day(clock.now())
    since = today_start - timedelta(days=days - 1)
    rows = session.execute(
        select(Merchant.id, Merchant.name, Merchant.local_name, func.count(CampusCharge.id),
               func.sum(CampusCharge.amount), func.sum(Payment.refunded_amount))
        .join(CampusCharge, CampusCharge.merchant_id == Merchant.id)
        .join(Payment, Payment.id == CampusCharge.payment_id)
        .where(CampusCharge.card_id == card.id, CampusCharge.status == "completed",
               CampusCharge.created_at >= since, CampusCharge.created_at < until)
        .group_by(Merchant.id, Merchant.name, Merchant.local_name)).all()
    lines = sorted((wire.SpendingLine(merchant_id=mid, merchant_name=name, local_name=local, payments=count,
                                      total_fen=int(total), refunded_fen=int(refunded))
                    for mid, name, local, count, total, refunded in rows),
                   key=lambda line: (-line.total_fen, line.merchant_id))
    return wire.SpendingOut(since=since, until=until, total_fen=sum(line.total_fen for line in lines),
                            by_merchant=lines)
