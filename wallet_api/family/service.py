"""Inviting, accepting, editing and ending links; invite QR codes; setting an elder up from scratch."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wallet_api.auth import service as auth
from wallet_api.auth.models import User
from wallet_api.auth.secrets import Hasher
from wallet_api.errors import Forbidden, ValidationFailed
from wallet_api.family.acting import find_user, spent_today
from wallet_api.family.errors import (FamilyInviteExpired, FamilyLinkExists, FamilyLinkNotFound, FamilyTokenInvalid,
                                      RelativeNotFound, SelfLink)
from wallet_api.family.models import DelegatedAction, FamilyLink, FamilyToken
from wallet_api.notifications.service import notify
from wallet_api.schemas import NotificationCategory
from wallet_api.schemas.family import (DelegatedActionOut, GrantIn, GrantOut, LinkOut, LinksOut, LinkStatus,
                                       PersonOut)
from wallet_api.types import utcnow

INVITE_MINUTES = 10       # an invite QR is shown while the relative stands next to the elder
SETUP_MINUTES = 30        # enough to hand the phone over and choose a password and PIN
QR_PREFIX = "anxin:family-invite:"


# ---- rendering ---------------------------------------------------------------------------------------

def person_out(user: User, *, with_phone: bool = False) -> PersonOut:
    return PersonOut(id=user.id, username=user.username, display_name=user.display_name,
                     phone=user.phone if with_phone else None)


def invite_expired(link: FamilyLink, now: datetime) -> bool:
    """An invitation by name that was not accepted in time (`ANXIN_FAMILY_INVITE_DAYS`)."""
    return link.status == LinkStatus.INVITED and link.invite_expires_at is not None and now >= link.invite_expires_at


def link_out(session: Session, link: FamilyLink, now: datetime | None = None, *,
             viewer_id: int | None = None) -> LinkOut:
    """The link as `viewer_id` (one of its two people) sees it: the OTHER party's phone number only while
    the link is active (care mode calls them); nobody's number for an invitation, a setup or an ended link."""
    now = now or utcnow()
    grant = GrantOut(scopes=sorted(link.scopes), per_payment_limit_fen=link.per_payment_limit,
                     per_day_limit_fen=link.per_day_limit, expires_at=link.expires_at,
                     spent_today_fen=spent_today(link, now))
    active = link.status == LinkStatus.ACTIVE and viewer_id in (link.elder_user_id, link.relative_user_id)
    elder = person_out(session.get(User, link.elder_user_id), with_phone=active and viewer_id != link.elder_user_id)
    relative = person_out(session.get(User, link.relative_user_id),
                          with_phone=active and viewer_id != link.relative_user_id)
    return LinkOut(id=link.id, status=LinkStatus.EXPIRED if invite_expired(link, now) else link.status,
                   elder=elder, relative=relative, grant=grant, created_at=link.created_at, ended_at=link.ended_at,
                   invite_expires_at=link.invite_expires_at if link.status == LinkStatus.INVITED else None)


def links_of(session: Session, user_id: int, now: datetime | None = None) -> LinksOut:
    rows = session.scalars(select(FamilyLink).where(or_(FamilyLink.elder_user_id == user_id,
                                                        FamilyLink.relative_user_id == user_id))
                           .order_by(FamilyLink.id))
    after, by = [], []
    for link in rows:
        (after if link.relative_user_id == user_id else by).append(link_out(session, link, now, viewer_id=user_id))
    return LinksOut(looking_after=after, looked_after_by=by)


def actions_out(session: Session, link: FamilyLink, limit: int = 100) -> list[DelegatedActionOut]:
    rows = session.scalars(select(DelegatedAction).where(DelegatedAction.link_id == link.id)
                           .order_by(DelegatedAction.id.desc()).limit(limit))
    actor, subject = person_out(session.get(User, link.relative_user_id)), person_out(session.get(User, link.elder_user_id))
    return [DelegatedActionOut(id=a.id, actor=actor, subject=subject, action=a.action, scope=a.scope,
                               amount_fen=a.amount, transfer_id=a.transfer_id, created_at=a.created_at) for a in rows]


# ---- links -------------------------------------------------------------------------------------------

def _check_grant(grant: GrantIn, now: datetime) -> None:
    if grant.per_payment_limit_fen > grant.per_day_limit_fen:
        raise ValidationFailed("A single payment cannot be allowed to be larger than the whole day's limit.",
                               errors=[{"loc": ["body", "grant", "per_payment_limit_fen"], "type": "above_day_limit",
                                        "msg": "larger than per_day_limit_fen"}])
    if grant.expires_at is not None and grant.expires_at <= now:
        raise ValidationFailed("The permission would end before it starts: choose an end date in the future.",
                               errors=[{"loc": ["body", "grant", "expires_at"], "type": "in_past",
                                        "msg": "in the past"}])


def _apply_grant(link: FamilyLink, grant: GrantIn) -> None:
    link.scopes = sorted({str(s) for s in grant.scopes})
    link.per_payment_limit, link.per_day_limit = grant.per_payment_limit_fen, grant.per_day_limit_fen
    link.expires_at = grant.expires_at


def _new_link(session: Session, elder: User, relative: User, grant: GrantIn, status: LinkStatus,
              now: datetime | None = None, *, invite_days: int | None = None) -> FamilyLink:
    """A fresh link, or an ended one (or an expired invitation) between the same two people opened again (its
    history is kept). `invite_days`: how long an invitation by name waits to be accepted."""
    if elder.id == relative.id:
        raise SelfLink("You cannot look after yourself: choose a relative's account.")
    now = now or utcnow()
    _check_grant(grant, now)
    link = session.scalar(select(FamilyLink).where(FamilyLink.elder_user_id == elder.id,
                                                   FamilyLink.relative_user_id == relative.id).with_for_update())
    if link is not None and link.status != LinkStatus.ENDED and not invite_expired(link, now):
        raise FamilyLinkExists(f"{relative.display_name} is already linked to {elder.display_name} "
                               f"({link.status}). Edit that permission instead.", link_id=link.id)
    if link is None:
        link = FamilyLink(elder_user_id=elder.id, relative_user_id=relative.id, spent_today=0)
        session.add(link)
    link.status, link.created_at, link.ended_at, link.ended_by_user_id = str(status), now, None, None
    link.invite_expires_at = now + timedelta(days=invite_days) if invite_days is not None else None
    _apply_grant(link, grant)
    try:
        session.flush()
    except IntegrityError:  # the same two people linked by a concurrent request
        raise FamilyLinkExists("These two people were linked a moment ago. Reload and edit that permission.") from None
    return link


def invite(session: Session, elder: User, relative_name: str, grant: GrantIn, *, invite_days: int,
           now: datetime | None = None) -> FamilyLink:
    """An invitation by username or phone; not accepted within `invite_days` (`ANXIN_FAMILY_INVITE_DAYS`), it
    expires: the relative can no longer accept it and the elder may invite them again."""
    relative = find_user(session, relative_name)
    if relative is None:
        raise RelativeNotFound(f"There is no user {relative_name!r}. Check the name or phone number, or show "
                               "them an invite code instead.")
    link = _new_link(session, elder, relative, grant, LinkStatus.INVITED, now, invite_days=invite_days)
    notify(session, relative.id, NotificationCategory.SECURITY, "notice.family.invited",
           f"{elder.display_name} asks you to help with their wallet. Open Family to accept.",
           elder=elder.display_name)
    return link


def _link_for(session: Session, user: User, link_id: int, *, lock: bool = False) -> FamilyLink:
    link = session.get(FamilyLink, link_id, with_for_update=lock)
    if link is None or user.id not in (link.elder_user_id, link.relative_user_id):
        raise FamilyLinkNotFound(f"You have no family link {link_id}.")
    return link


def get_link(session: Session, user: User, link_id: int) -> FamilyLink:
    return _link_for(session, user, link_id)


def accept(session: Session, relative: User, link_id: int, now: datetime | None = None) -> FamilyLink:
    link = _link_for(session, relative, link_id, lock=True)
    if link.relative_user_id != relative.id:
        raise Forbidden("Only the invited relative can accept.")
    if invite_expired(link, now or utcnow()):
        elder = session.get(User, link.elder_user_id)
        raise FamilyInviteExpired(f"This invitation from {elder.display_name} expired on "
                                  f"{link.invite_expires_at:%Y-%m-%d} (UTC) before it was accepted. Ask "
                                  f"{elder.display_name} to invite you again.", link_id=link.id,
                                  expired_at=link.invite_expires_at.isoformat())
    if link.status != LinkStatus.INVITED:
        raise FamilyLinkExists(f"This invitation is {link.status}, so it cannot be accepted.", link_id=link.id)
    link.status = str(LinkStatus.ACTIVE)
    _tell_elder_linked(session, link, relative)
    return link


def _tell_elder_linked(session: Session, link: FamilyLink, relative: User) -> None:
    notify(session, link.elder_user_id, NotificationCategory.SECURITY, "notice.family.linked",
           f"{relative.display_name} can now help with your wallet. You can change or end this at any time in "
           "Family.", relative=relative.display_name)


def set_grant(session: Session, elder: User, link_id: int, grant: GrantIn) -> FamilyLink:
    link = _link_for(session, elder, link_id, lock=True)
    if link.elder_user_id != elder.id:
        raise Forbidden("Only the person being looked after changes what their relative may do.")
    if link.status == LinkStatus.ENDED:
        raise FamilyLinkExists("This permission has ended. Invite the relative again instead.", link_id=link.id)
    _check_grant(grant, utcnow())
    _apply_grant(link, grant)
    return link


def end(session: Session, user: User, link_id: int) -> FamilyLink:
    """Either side ends the link, at once: the next request acting on it is refused (deps resolve the link
    on every request, and money routes re-check it under its row lock)."""
    link = _link_for(session, user, link_id, lock=True)
    if link.status == LinkStatus.ENDED:
        return link
    link.status, link.ended_at, link.ended_by_user_id = str(LinkStatus.ENDED), utcnow(), user.id
    other = link.relative_user_id if user.id == link.elder_user_id else link.elder_user_id
    notify(session, other, NotificationCategory.SECURITY, "notice.family.ended",
           f"{user.display_name} ended the family permission between you.", by=user.display_name)
    return link


# ---- one-time tokens (invite QR, setup) --------------------------------------------------------------

def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _issue(session: Session, kind: str, elder_id: int, minutes: int, *, link_id: int | None = None,
           grant: GrantIn | None = None) -> tuple[str, FamilyToken]:
    token = secrets.token_urlsafe(24)
    now = utcnow()
    row = FamilyToken(kind=kind, token_hash=_digest(token), elder_user_id=elder_id, link_id=link_id,
                      grant=grant.model_dump(mode="json") if grant else None, created_at=now,
                      expires_at=now + timedelta(minutes=minutes))
    session.add(row)
    session.flush()
    return token, row


def _redeem(session: Session, kind: str, token: str, *, use: bool) -> FamilyToken:
    token = token.removeprefix(QR_PREFIX)
    row = session.scalar(select(FamilyToken).where(FamilyToken.token_hash == _digest(token),
                                                   FamilyToken.kind == kind).with_for_update())
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise FamilyTokenInvalid("This code has been used, has expired or is not known. Ask for a new one.")
    if use:
        row.used_at = utcnow()
    return row


def invite_code(session: Session, elder: User, grant: GrantIn) -> tuple[str, datetime]:
    _check_grant(grant, utcnow())
    token, row = _issue(session, "invite", elder.id, INVITE_MINUTES, grant=grant)
    return token, row.expires_at


def accept_invite_code(session: Session, relative: User, token: str) -> FamilyLink:
    row = _redeem(session, "invite", token, use=True)
    elder = session.get(User, row.elder_user_id)
    link = _new_link(session, elder, relative, GrantIn.model_validate(row.grant), LinkStatus.ACTIVE)
    row.link_id = link.id
    _tell_elder_linked(session, link, relative)
    return link


def create_elder(session: Session, hasher: Hasher, relative: User, *, username: str, display_name: str,
                 phone: str | None, language: str, care_mode: bool, grant: GrantIn) -> tuple[FamilyLink, str, datetime]:
    """The elder's account, made by a relative with the elder present. Its password is random and never
    shown: the elder chooses their own password and PIN with the setup token (finish_setup); until then
    the link waits in `setup` and the relative cannot act."""
    elder = auth.create_user(session, hasher, username=username, password=secrets.token_urlsafe(32),
                             display_name=display_name, phone=phone)
    prefs = auth.preferences(session, elder.id)
    prefs.language, prefs.care_mode = language, care_mode
    if care_mode:
        prefs.marketing_allowed = False
    link = _new_link(session, elder, relative, grant, LinkStatus.SETUP)
    token, row = _issue(session, "setup", elder.id, SETUP_MINUTES, link_id=link.id)
    return link, token, row.expires_at


def preview_setup(session: Session, token: str) -> FamilyLink:
    row = _redeem(session, "setup", token, use=False)
    return session.get(FamilyLink, row.link_id)


def finish_setup(session: Session, hasher: Hasher, token: str, password: str, pin: str) -> User:
    """The elder sets their own password and PIN; this also accepts the relative's grant."""
    row = _redeem(session, "setup", token, use=True)
    elder = session.get(User, row.elder_user_id, with_for_update=True)
    elder.password_hash = hasher.hash(password)
    elder.pin_hash = hasher.hash(pin)
    link = session.get(FamilyLink, row.link_id, with_for_update=True)
    if link.status == LinkStatus.SETUP:
        link.status = str(LinkStatus.ACTIVE)
        _tell_elder_linked(session, link, session.get(User, link.relative_user_id))
    return elder
