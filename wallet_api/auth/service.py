"""Registration, sign-in, PINs, real name, roles and preferences."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from wallet_api import schemas
from wallet_api.auth import tokens
from wallet_api.auth.models import AuthSession, Preferences, User, UserRole
from wallet_api.auth.secrets import Hasher, national_id_hash, normalise_national_id
from wallet_api.config import Settings
from wallet_api.db import transaction
from wallet_api.errors import (BadCredentials, NotFound, PinIncorrect, PinLocked, PinNotSet, PinRequired,
                               RefreshReused, UsernameTaken)
from wallet_api.ledger.accounts import AccountKind, open_account, wallet_code
from wallet_api.types import utcnow


def roles_of(session: Session, user_id: int) -> list[str]:
    return sorted(session.scalars(select(UserRole.role).where(UserRole.user_id == user_id)))


def user_out(session: Session, user: User) -> schemas.UserOut:
    return schemas.UserOut(id=user.id, username=user.username, display_name=user.display_name, phone=user.phone,
                           roles=roles_of(session, user.id), pin_set=user.pin_hash is not None,
                           real_name_verified=user.real_name_verified, created_at=user.created_at)


def create_user(session: Session, hasher: Hasher, *, username: str, password: str, display_name: str,
                phone: str | None = None, roles: list[str] | None = None) -> User:
    """A user with a wallet account and default preferences, all in the caller's transaction."""
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UsernameTaken(f"The username {username!r} is taken. Choose another one.")
    user = User(username=username, display_name=display_name, phone=phone, password_hash=hasher.hash(password),
                created_at=utcnow())
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # lost a race for the same name
        raise UsernameTaken(f"The username {username!r} is taken. Choose another one.") from None
    for role in sorted(set(roles or ["consumer"])):
        session.add(UserRole(user_id=user.id, role=role))
    session.add(Preferences(user_id=user.id, marketing_allowed=False, language="en"))
    open_account(session, code=wallet_code(user.id), kind=AccountKind.WALLET, owner_user_id=user.id)
    return user


def grant_role(session: Session, user_id: int, role: str) -> None:
    if session.get(UserRole, (user_id, role)) is None:
        session.add(UserRole(user_id=user_id, role=role))


def login(session: Session, settings: Settings, hasher: Hasher, username: str, password: str) -> tokens.TokenPair:
    user = session.scalar(select(User).where(User.username == username))
    # Hash even for unknown users so that timing does not reveal which usernames exist.
    stored = user.password_hash if user else _DUMMY_HASH.get(hasher)
    if not hasher.verify(stored, password) or user is None:
        raise BadCredentials("The username or password is wrong. Check them and try again.")
    return tokens.start_session(session, settings, user.id)


class _DummyHash:
    def __init__(self) -> None:
        self._value: str | None = None

    def get(self, hasher: Hasher) -> str:
        if self._value is None:
            self._value = hasher.hash("not-a-real-password")
        return self._value


_DUMMY_HASH = _DummyHash()


def refresh(db: sessionmaker[Session], settings: Settings, refresh_token: str) -> tokens.TokenPair:
    session = db()
    try:
        session.begin()
        pair = tokens.rotate(session, settings, refresh_token)
        session.commit()
        return pair
    except RefreshReused:
        session.commit()  # the revocation of the whole family must stick
        raise
    finally:
        session.close()


def logout(session: Session, session_id: str) -> None:
    auth = session.get(AuthSession, session_id)
    if auth is not None and auth.revoked_at is None:
        auth.revoked_at, auth.revoked_reason = utcnow(), "logout"


def set_pin(session: Session, hasher: Hasher, user: User, password: str, pin: str) -> None:
    if not hasher.verify(user.password_hash, password):
        raise BadCredentials("The password is wrong, so the PIN was not changed.")
    user.pin_hash = hasher.hash(pin)
    user.pin_failed_attempts, user.pin_locked_until = 0, None


def check_pin(db: sessionmaker[Session], settings: Settings, hasher: Hasher, user_id: int, pin: str | None) -> None:
    """Verify the payment PIN in its own transaction: a wrong attempt is counted even though the
    payment is refused. Five wrong attempts lock payments for 15 minutes (both configurable)."""
    with transaction(db) as session:
        user = session.get(User, user_id, with_for_update=True)
        now = utcnow()
        if user.pin_hash is None:
            raise PinNotSet("Set a 6-digit payment PIN first (Settings → Payment PIN).")
        if user.pin_locked_until is not None and user.pin_locked_until > now:
            raise _locked(user)
        if pin is None:
            raise PinRequired("This payment needs your 6-digit payment PIN.")
        if hasher.verify(user.pin_hash, pin):
            user.pin_failed_attempts, user.pin_locked_until = 0, None
            return
        user.pin_failed_attempts += 1
        left = settings.pin_max_attempts - user.pin_failed_attempts
        if left <= 0:
            user.pin_failed_attempts = 0
            user.pin_locked_until = now + timedelta(minutes=settings.pin_lock_minutes)
            failure = _locked(user)
        else:
            failure = PinIncorrect(f"The payment PIN is wrong. {left} attempt(s) left before payments are locked.",
                                   attempts_left=left)
    raise failure  # raised after the commit, so the count sticks


def refuse_if_locked(user: User) -> None:
    if user.pin_locked_until is not None and user.pin_locked_until > utcnow():
        raise _locked(user)


def _locked(user: User) -> PinLocked:
    until = user.pin_locked_until
    return PinLocked(f"Too many wrong PINs. Payments are locked until {until:%H:%M} UTC; try again then.",
                     locked_until=until.isoformat(), headers={"Retry-After": str(max(1, int((until - utcnow())
                                                                                              .total_seconds())))})


def verify_real_name(session: Session, settings: Settings, user: User, real_name: str, national_id: str) -> None:
    normalised = normalise_national_id(national_id)
    user.real_name = real_name
    user.national_id_hash = national_id_hash(settings.resolved_secret_key(), normalised)
    user.real_name_verified = True


def preferences(session: Session, user_id: int) -> Preferences:
    prefs = session.get(Preferences, user_id)
    if prefs is None:
        raise NotFound("No preferences for this user.")
    return prefs
