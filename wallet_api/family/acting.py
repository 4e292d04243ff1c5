"""Acting for someone: who is signed in (the actor), whose wallet a request touches (the subject),
and the checks and records every delegated request goes through.

The API resolves an `Actor` once per request (wallet_api/api/deps.py). Routes that change something
for the elder call `authorize` inside their transaction (it locks the link row, so a revocation that
lands meanwhile still stops the request, and the day's spending is counted under that lock), then
`record` (the log entry with both identities, and a `security` message to the elder).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from wallet_api.auth.models import User
from wallet_api.family.errors import (DelegatedLimitExceeded, DelegationEnded, DelegationExpired, NotDelegated,
                                      ScopeMissing)
from wallet_api.family.models import DelegatedAction, FamilyLink
from wallet_api.family.scopes import Rule
from wallet_api.ledger import Account, Posting
from wallet_api.ledger.accounts import wallet_code
from wallet_api.notifications.service import notify
from wallet_api.schemas import NotificationCategory
from wallet_api.schemas.family import LinkStatus, Scope

__all__ = ["Actor", "Scope", "authorize", "record", "resolve"]
from wallet_api.types import utcnow

# The day limit follows the elder's calendar day: China time (UTC+8, no daylight saving).
CHINA = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class Actor:
    """`user` is signed in; `subject` is whose wallet the request reads or changes. The same person
    unless the request carried `Acting-For`."""

    user: User
    subject: User
    link_id: int | None = None
    scopes: frozenset[Scope] = field(default_factory=frozenset)
    # Whether the subject had an active safety guardian when the sign-in was checked; None: not known.
    guarded: bool | None = None

    @property
    def delegated(self) -> bool:
        return self.link_id is not None


def china_day(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


def _name(user: User) -> str:
    return user.display_name or user.username


def find_user(session: Session, who: str) -> User | None:
    """A person by username, phone number or numeric user id."""
    who = who.strip()
    conditions = [User.username == who.lower(), User.phone == who]
    if who.isdigit() and len(who) < 19:
        conditions.append(User.id == int(who))
    return session.scalars(select(User).where(or_(*conditions)).order_by(User.id)).first()


def _refuse_unless_usable(link: FamilyLink | None, subject: User, now: datetime) -> FamilyLink:
    if link is None or link.status in (LinkStatus.INVITED, LinkStatus.SETUP):
        # The same answer for "no such person" and "not your elder": no probing who exists.
        raise NotDelegated("You have no permission to act for this person. Ask them to invite you in the app.")
    if link.status == LinkStatus.ENDED:
        raise DelegationEnded(f"{_name(subject)} has ended your permission to act for them. Nothing was done.",
                              subject=subject.username)
    if link.expires_at is not None and link.expires_at <= now:
        raise DelegationExpired(f"Your permission to act for {_name(subject)} expired on {link.expires_at:%Y-%m-%d}. "
                                "Ask them to renew it.", subject=subject.username)
    return link


def _require_scope(link: FamilyLink, subject: User, wanted: frozenset[Scope]) -> None:
    if not wanted & set(link.scopes):
        names = " or ".join(sorted(wanted))
        raise ScopeMissing(f"{_name(subject)} has not allowed you to do this ({names}). Nothing was done.",
                           scope=sorted(wanted)[0], subject=subject.username)


def resolve(session: Session, signed_in: User, acting_for: str, rule: Rule) -> Actor:
    """The Actor for a request that names `acting_for`; refuses unless an active, unexpired grant
    from that person covers the route's scope."""
    subject = find_user(session, acting_for)
    if subject is not None and subject.id == signed_in.id:
        return Actor(user=signed_in, subject=signed_in)
    link = None if subject is None else session.scalar(
        select(FamilyLink).where(FamilyLink.elder_user_id == subject.id,
                                 FamilyLink.relative_user_id == signed_in.id))
    link = _refuse_unless_usable(link, subject, utcnow())
    _require_scope(link, subject, rule.scopes)
    session.expunge(subject)
    return Actor(user=signed_in, subject=subject, link_id=link.id, scopes=frozenset(Scope(s) for s in link.scopes))


def authorize(session: Session, actor: Actor, scope: Scope, amount: int | None = None, *, count: bool = True) -> None:
    """Inside the transaction that does the work: re-check the link under its row lock and, for money,
    the per-payment and per-day limits, counting `amount` into the day (`count=False`: check only, e.g.
    before a bank call). Nothing for the owner."""
    if not actor.delegated:
        return
    link = session.get(FamilyLink, actor.link_id, with_for_update=True, populate_existing=True)
    now = utcnow()
    _refuse_unless_usable(link, actor.subject, now)
    _require_scope(link, actor.subject, frozenset({scope}))
    if amount is None:
        return
    name = _name(actor.subject)
    if amount > link.per_payment_limit:
        raise DelegatedLimitExceeded(
            f"{name} lets you pay at most {yuan(link.per_payment_limit)} CNY at a time for them. Nothing was paid.",
            limit="per_payment", limit_fen=link.per_payment_limit)
    today = china_day(now)
    spent = link.spent_today if link.spent_on == today else 0
    if spent + amount > link.per_day_limit:
        left = max(0, link.per_day_limit - spent)
        raise DelegatedLimitExceeded(
            f"{name} lets you pay {yuan(link.per_day_limit)} CNY a day for them; {yuan(left)} CNY is left "
            "today. Nothing was paid.", limit="per_day", limit_fen=link.per_day_limit, remaining_fen=left)
    if count:
        link.spent_on, link.spent_today = today, spent + amount


def payment_scope(merchant_category: str) -> Scope:
    """Paying a utilities merchant is paying a bill; anything else is paying a merchant."""
    return Scope.PAY_BILLS if merchant_category == "utilities" else Scope.PAY_MERCHANTS


def actor_id(actor: Actor) -> int | None:
    """The relative's user id for the journal's `actor_user_id` (the transfer hash covers it), or None."""
    return actor.user.id if actor.delegated else None


def last_wallet_transfer(session: Session, user_id: int) -> int | None:
    """The transfer just written on this user's wallet in the current transaction (the ledger holds the
    wallet's row lock until commit, so no other transfer can come between), for a record whose service
    does not return its transfer."""
    return session.scalar(select(Posting.transfer_id).join(Account, Account.id == Posting.account_id)
                          .where(Account.code == wallet_code(user_id)).order_by(Posting.id.desc()).limit(1))


def spent_today(link: FamilyLink, now: datetime | None = None) -> int:
    return link.spent_today if link.spent_on == china_day(now or utcnow()) else 0


def record(session: Session, actor: Actor, *, action: str, scope: Scope, what: str, amount: int | None = None,
           transfer_id: int | None = None, **params: str | int) -> None:
    """Log what a relative did for the elder and tell the elder (a `security` message, spoken in care
    mode). `what` completes "<relative> ... for you", e.g. "paid Lotus Noodles 12.00 CNY"; the message
key is `notice.family.<action>` and `params` fill its translation."""
    if not actor.delegated:
        return
    session.add(DelegatedAction(link_id=actor.link_id, actor_user_id=actor.user.id, subject_user_id=actor.subject.id,
                                action=action, scope=str(scope), amount=amount, transfer_id=transfer_id,
                                created_at=utcnow()))
    notify(session, actor.subject.id, NotificationCategory.SECURITY, f"notice.family.{action}",
           f"{_name(actor.user)} {what} for you.", actor=_name(actor.user), action=action, amount_fen=amount,
           **params)


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"
