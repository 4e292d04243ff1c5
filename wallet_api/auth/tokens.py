"""Short-lived JWT access tokens and rotating opaque refresh tokens.

A refresh token is used once; using it again means it leaked, so the whole sign-in
(its family) is revoked. Every access token names its sign-in (`sid`), checked per request,
so signing out or revoking takes effect at once.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from wallet_api.auth.models import AuthSession, RefreshToken
from wallet_api.auth.secrets import token_digest
from wallet_api.config import Settings
from wallet_api.errors import RefreshReused, TokenExpired, TokenInvalid
from wallet_api.types import utcnow

ALGORITHM = "HS256"


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    session_id: str


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


def _signing_key(settings: Settings) -> bytes:
    # A fixed-length key derived from the server secret, whatever that secret's length.
    return hashlib.sha256(b"anxin-jwt:" + settings.resolved_secret_key().encode()).digest()


def _access_token(settings: Settings, user_id: int, session_id: str) -> str:
    now = utcnow()
    claims = {"sub": str(user_id), "sid": session_id, "typ": "access", "iat": now,
              "exp": now + timedelta(minutes=settings.access_token_minutes)}
    return jwt.encode(claims, _signing_key(settings), algorithm=ALGORITHM)


def _new_refresh(session: Session, settings: Settings, session_id: str) -> str:
    token = secrets.token_urlsafe(32)
    session.add(RefreshToken(session_id=session_id, token_hash=token_digest(token),
                             expires_at=utcnow() + timedelta(days=settings.refresh_token_days)))
    return token


def start_session(session: Session, settings: Settings, user_id: int) -> TokenPair:
    sid = uuid.uuid4().hex
    session.add(AuthSession(id=sid, user_id=user_id, created_at=utcnow()))
    session.flush()
    refresh = _new_refresh(session, settings, sid)
    return TokenPair(_access_token(settings, user_id, sid), refresh, settings.access_token_minutes * 60)


def rotate(session: Session, settings: Settings, refresh_token: str) -> TokenPair:
    """Exchange a refresh token for a new pair. Call in a transaction that commits even on reuse."""
    row = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_digest(refresh_token))
                         .with_for_update())
    if row is None:
        raise TokenInvalid("This sign-in is not known. Please sign in again.")
    auth = session.get(AuthSession, row.session_id, with_for_update=True)
    if auth.revoked_at is not None:
        raise TokenInvalid("This sign-in has ended. Please sign in again.")
    if row.used_at is not None:
        auth.revoked_at, auth.revoked_reason = utcnow(), "refresh_reused"
        raise RefreshReused("This sign-in was used from somewhere else, so it has been ended for safety. "
                            "Please sign in again.")
    if row.expires_at <= utcnow():
        raise TokenExpired("This sign-in has expired. Please sign in again.")
    row.used_at = utcnow()
    refresh = _new_refresh(session, settings, auth.id)
    return TokenPair(_access_token(settings, auth.user_id, auth.id), refresh, settings.access_token_minutes * 60)


def decode_access(settings: Settings, token: str) -> AccessClaims:
    try:
        claims = jwt.decode(token, _signing_key(settings), algorithms=[ALGORITHM],
                            options={"require": ["exp", "sub", "sid"]})
    except jwt.ExpiredSignatureError:
        raise TokenExpired("Your session has expired. Refresh it or sign in again.") from None
    except jwt.PyJWTError:
        raise TokenInvalid("The access token is not valid. Please sign in again.") from None
    if claims.get("typ") != "access":
        raise TokenInvalid("The access token is not valid. Please sign in again.")
    return AccessClaims(user_id=int(claims["sub"]), session_id=claims["sid"])
