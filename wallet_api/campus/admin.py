"""What a campus admin does: the campus, its merchants, enrolling students, their activation
codes, suspending and resuming a campus card."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wallet_api import schemas
from wallet_api.auth.models import User
from wallet_api.campus import clock
from wallet_api.campus.models import Campus, CampusCard, CampusDevice, CampusMerchant
from wallet_api.campus.rules import ACTIVATION_DAYS
from wallet_api.errors import Conflict, NotFound
from wallet_api.merchants.models import Merchant
from wallet_api.merchants.service import create_merchant, get_merchant
from wallet_api.schemas import campus as wire


def create_campus(session: Session, admin: User, data: wire.CampusIn) -> Campus:
    if session.scalar(select(Campus.id).where(Campus.name == data.name)) is not None:
        raise Conflict(f"There is already a campus called {data.name!r}. Choose another name.")
    campus = Campus(name=data.name, local_name=data.local_name, owner_user_id=admin.id,
                    pin_free_limit_fen=data.pin_free_limit_fen, default_daily_limit_fen=data.default_daily_limit_fen,
                    created_at=clock.now())
    session.add(campus)
    session.flush()
    return campus


def campuses_of(session: Session, admin_id: int) -> list[Campus]:
    return list(session.scalars(select(Campus).where(Campus.owner_user_id == admin_id).order_by(Campus.id)))


def owned_campus(session: Session, admin_id: int, campus_id: int) -> Campus:
    campus = session.get(Campus, campus_id)
    if campus is None or campus.owner_user_id != admin_id:
        raise NotFound(f"You run no campus {campus_id}. Check the campus number.")
    return campus


def campus_out(campus: Campus) -> wire.CampusOut:
    return wire.CampusOut(id=campus.id, name=campus.name, local_name=campus.local_name,
                          pin_free_limit_fen=campus.pin_free_limit_fen,
                          default_daily_limit_fen=campus.default_daily_limit_fen, created_at=campus.created_at)


# ---- merchants ------------------------------------------------------------------------------

def create_campus_merchant(session: Session, campus: Campus, data: wire.CampusMerchantIn) -> Merchant:
    owner_id = session.scalar(select(User.id).where(User.username == data.owner_username))
    if owner_id is None:
        raise NotFound(f"There is no user {data.owner_username!r}. The cashier registers a wallet login first.")
    merchant = create_merchant(session, owner_id, schemas.MerchantIn(**data.model_dump(exclude={"owner_username"})))
    session.add(CampusMerchant(merchant_id=merchant.id, campus_id=campus.id, created_at=clock.now()))
    session.flush()
    return merchant


def link_merchant(session: Session, campus: Campus, merchant_id: int) -> Merchant:
    """Let an existing merchant accept this campus's codes (linking twice changes nothing)."""
    merchant = get_merchant(session, merchant_id)
    link = session.get(CampusMerchant, merchant.id)
    if link is not None and link.campus_id != campus.id:
        raise Conflict(f"{merchant.name} already belongs to another campus; a merchant serves one campus.")
    if link is None:
        session.add(CampusMerchant(merchant_id=merchant.id, campus_id=campus.id, created_at=clock.now()))
        session.flush()
    return merchant


def campus_merchants(session: Session, campus: Campus) -> list[Merchant]:
    return list(session.scalars(select(Merchant).join(CampusMerchant, CampusMerchant.merchant_id == Merchant.id)
                                .where(CampusMerchant.campus_id == campus.id).order_by(Merchant.id)))


# ---- students -------------------------------------------------------------------------------

def normalise_activation_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def activation_code_hash(code: str) -> str:
    return hashlib.sha256(normalise_activation_code(code).encode()).hexdigest()


def _new_activation_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(10)).decode()  # 80 random bits, 16 letters and digits
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def _issue_code(card: CampusCard) -> tuple[str, datetime]:
    code = _new_activation_code()
    card.activation_code_hash = activation_code_hash(code)
    card.activation_expires_at = clock.now() + timedelta(days=ACTIVATION_DAYS)
    return code, card.activation_expires_at


def enrol_student(session: Session, campus: Campus, data: wire.StudentIn) -> tuple[CampusCard, str, datetime]:
    """A campus card waiting for its student, and the one-time code that activates it."""
    taken = session.scalar(select(CampusCard.id).where(CampusCard.campus_id == campus.id,
                                                       CampusCard.student_number == data.student_number))
    if taken is not None:
        raise Conflict(f"Student number {data.student_number} is already enrolled. Issue a new activation code "
                       "for that student instead.")
    card = CampusCard(campus_id=campus.id, student_number=data.student_number, name=data.name, status="enrolled",
                      funding_source="wallet", daily_limit_fen=campus.default_daily_limit_fen, created_at=clock.now())
    code, expires = _issue_code(card)
    session.add(card)
    session.flush()
    return card, code, expires


def campus_card(session: Session, campus: Campus, card_id: int, *, lock: bool = False) -> CampusCard:
    card = session.get(CampusCard, card_id, with_for_update=lock)
    if card is None or card.campus_id != campus.id:
        raise NotFound(f"Campus {campus.name} has no student card {card_id}.")
    return card


def reissue_activation_code(session: Session, campus: Campus, card_id: int) -> tuple[CampusCard, str, datetime]:
    """A fresh code for a student who lost theirs; the old one stops working."""
    card = campus_card(session, campus, card_id, lock=True)
    if card.user_id is not None:
        raise Conflict("This campus card is already activated; the student adds a new phone from the app "
                       "with their PIN instead.")
    code, expires = _issue_code(card)
    return card, code, expires


def set_card_suspended(session: Session, campus: Campus, card_id: int, suspended: bool) -> CampusCard:
    card = campus_card(session, campus, card_id, lock=True)
    if suspended:
        card.status = "suspended"
    elif card.status == "suspended":
        card.status = "active" if card.user_id is not None else "enrolled"
    return card


def students(session: Session, campus: Campus) -> list[CampusCard]:
    return list(session.scalars(select(CampusCard).where(CampusCard.campus_id == campus.id)
                                .order_by(CampusCard.student_number)))


def student_out(session: Session, card: CampusCard) -> wire.StudentOut:
    username = session.scalar(select(User.username).where(User.id == card.user_id)) if card.user_id else None
    devices = session.scalar(select(func.count()).select_from(CampusDevice)
                             .where(CampusDevice.card_id == card.id, CampusDevice.status == "active"))
    return wire.StudentOut(id=card.id, campus_id=card.campus_id, student_number=card.student_number, name=card.name,
                           status=card.status, username=username, activated_at=card.activated_at,
                           active_devices=devices)


def activation_out(session: Session, card: CampusCard, code: str, expires: datetime) -> wire.ActivationCodeOut:
    return wire.ActivationCodeOut(student=student_out(session, card), activation_code=code, expires_at=expires)
