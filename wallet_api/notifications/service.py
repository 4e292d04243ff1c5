"""Sending and listing messages. Marketing is dropped for anyone who has not allowed it —
here, on the server, so no endpoint can deliver it by mistake."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from wallet_api.auth.models import Preferences
from wallet_api.notifications.models import Notification
from wallet_api.schemas import NotificationCategory
from wallet_api.types import utcnow


def marketing_allowed(session: Session, user_id: int) -> bool:
    return bool(session.scalar(select(Preferences.marketing_allowed).where(Preferences.user_id == user_id)))


def notify(session: Session, user_id: int, category: NotificationCategory, message_key: str, text: str,
           **params: Any) -> Notification | None:
    """Queue a message in the user's inbox; returns None when the user's preferences forbid it."""
    if category is NotificationCategory.MARKETING and not marketing_allowed(session, user_id):
        return None
    note = Notification(user_id=user_id, category=str(category), message_key=message_key, params=params, text=text,
                        created_at=utcnow())
    session.add(note)
    return note


def message(user_id: int, category: NotificationCategory, message_key: str, text: str, **params: Any) -> dict:
    """One message for `send_all`: the same arguments as `notify`."""
    return {"user_id": user_id, "category": category, "message_key": message_key, "text": text, "params": params}


def send_all(session: Session, messages: list[dict]) -> None:
    """Queue several messages (built with `message`) in one statement, for a hot path that never reads them
    back (a payment's two notices): Core rather than ORM objects, inside the caller's transaction."""
    now = utcnow()
    rows = [m | {"category": str(m["category"]), "created_at": now} for m in messages
            if m["category"] is not NotificationCategory.MARKETING or marketing_allowed(session, m["user_id"])]
    if rows:
        session.execute(insert(Notification), rows)


def inbox(session: Session, user_id: int, *, unread_only: bool = False, limit: int = 100) -> list[Notification]:
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    if not marketing_allowed(session, user_id):
        # Also hides marketing delivered before the user opted out.
        stmt = stmt.where(Notification.category != str(NotificationCategory.MARKETING))
    return list(session.scalars(stmt.order_by(Notification.id.desc()).limit(limit)))
