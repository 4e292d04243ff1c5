"""Users and their sign-in sessions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, false, text
from sqlalchemy.orm import Mapped, mapped_column

from wallet_api.db import Base
from wallet_api.types import BigId, UTCDateTime


class Role(StrEnum):
    CONSUMER = "consumer"
    MERCHANT = "merchant"
    REGULATOR = "regulator"
    CAMPUS_ADMIN = "campus_admin"
    COUPON_ISSUER = "coupon_issuer"


# Roles a person may take by registering; the others are granted by an operator (`anxin users grant`).
SELF_SERVICE_ROLES = {Role.CONSUMER, Role.MERCHANT}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    phone: Mapped[str | None] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    pin_failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    pin_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    real_name_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    real_name: Mapped[str | None] = mapped_column(String(80))
    # HMAC of the normalised national ID under the server secret: one person across accounts,
    # without the ID itself ever being stored.
    national_id_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class AuthSession(Base):
    """One sign-in: the family of its rotating refresh tokens. Revoking it ends the sign-in."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(40))


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("auth_sessions.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Preferences(Base):
    """Per-user preferences kept on the server so every device applies them."""

    __tablename__ = "preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    marketing_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(8), default="en")
    # Care mode (docs/client.md): larger type, a simple home, no promotions. The server keeps
    # marketing_allowed false while care mode is on (api/auth.py), so every device agrees.
    care_mode: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    font_scale_percent: Mapped[int] = mapped_column(Integer, default=100, server_default=text("100"))
    high_contrast: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    voice_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    speech_rate_percent: Mapped[int] = mapped_column(Integer, default=100, server_default=text("100"))


class SignInBucket(Base):
    """A token bucket of failed sign-ins, per username and per client address (auth/ratelimit.py).

    In the database so the limit holds across restarts and every worker process."""

    __tablename__ = "sign_in_buckets"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    milli_tokens: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
