from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import select

from wallet_api import schemas
from wallet_api.api.deps import CurrentUser, DbDep, require_role
from wallet_api.auth.models import User
from wallet_api.db import transaction
from wallet_api.errors import NotFound
from wallet_api.notifications.models import Notification
from wallet_api.notifications.service import inbox, notify
from wallet_api.schemas import NotificationCategory
from wallet_api.types import utcnow

router = APIRouter(tags=["notifications"])


@router.get("/v1/notifications", response_model=list[schemas.NotificationOut])
def list_notifications(user: CurrentUser, db: DbDep, unread_only: bool = False) -> list[schemas.NotificationOut]:
    with transaction(db) as s:
        return [schemas.NotificationOut(id=n.id, category=n.category, message_key=n.message_key, params=n.params,
                                        text=n.text, created_at=n.created_at, read_at=n.read_at)
                for n in inbox(s, user.id, unread_only=unread_only)]


@router.post("/v1/notifications/{notification_id}/read", status_code=204)
def mark_read(notification_id: int, user: CurrentUser, db: DbDep) -> Response:
    with transaction(db) as s:
        note = s.get(Notification, notification_id)
        if note is None or note.user_id != user.id:
            raise NotFound(f"You have no message {notification_id}.")
        note.read_at = note.read_at or utcnow()
    return Response(status_code=204)


@router.post("/v1/notifications/marketing", response_model=schemas.MarketingOut,
             dependencies=[require_role("coupon_issuer")])
def send_marketing(data: schemas.MarketingIn, db: DbDep) -> schemas.MarketingOut:
    """A promotional message (e.g. a city's coupon campaign). Delivered only to users who allowed it."""
    delivered = suppressed = 0
    with transaction(db) as s:
        for user_id in s.scalars(select(User.id).where(User.username.in_(data.usernames))):
            note = notify(s, user_id, NotificationCategory.MARKETING, "notice.marketing", data.text)
            delivered, suppressed = (delivered + 1, suppressed) if note else (delivered, suppressed + 1)
    return schemas.MarketingOut(delivered=delivered, suppressed=suppressed)
