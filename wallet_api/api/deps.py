"""Typed dependencies: the database, settings, the current user, acting for someone, roles, idempotency keys.

`CurrentUser` is the person whose wallet a request reads or changes: the signed-in user, or the elder
named by an `Acting-For` header when the signed-in relative holds a grant covering the route's scope
(wallet_api/family/scopes.py). `CurrentActor` gives both identities to routes that record or limit
what a relative does. Every router also runs `acting_for_guard`, which refuses `Acting-For` on routes
that are never delegated, even those that take no `CurrentUser`.

A dependency that only reads the app's state or the request is `async def`: FastAPI runs a plain `def`
dependency in the thread pool, and that hand-off cost more than such a dependency's work (BENCHMARKS.md).
Only those that read the database (the sign-in check, resolving `Acting-For`) use a thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from wallet_api.auth.models import AuthSession, User, UserRole
from wallet_api.auth.secrets import Hasher
from wallet_api.auth.tokens import decode_access
from wallet_api.config import Settings
from wallet_api.db import READ_ONLY
from wallet_api.errors import Forbidden, NotAuthenticated, TokenInvalid
from wallet_api.family import acting
from wallet_api.family.errors import ActingForNotAllowed
from wallet_api.family.scopes import Rule, rule_for
from wallet_api.funding.bank import BankGateway
from wallet_api.guardian.models import Guardianship
from wallet_api.idempotency import Outcome
from wallet_api.ledger.signing import JournalSigner
from wallet_api.types import utcnow


async def get_db(request: Request) -> sessionmaker[Session]:
    return request.app.state.db


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_hasher(request: Request) -> Hasher:
    return request.app.state.hasher


async def get_gateway(request: Request) -> BankGateway:
    return request.app.state.bank


async def get_signer(request: Request) -> JournalSigner:
    return request.app.state.signer


Clock = Callable[[], datetime]


async def get_clock(request: Request) -> Clock:
    """The time rules are judged by (cooling-off, expiry, delays, month boundaries). Tests set
    `app.state.clock` to move time without sleeping."""
    return getattr(request.app.state, "clock", utcnow)


def reply(outcome: Outcome) -> JSONResponse:
    """The answer of an idempotent request; a replay says so in a header."""
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)


DbDep = Annotated[sessionmaker[Session], Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
HasherDep = Annotated[Hasher, Depends(get_hasher)]
GatewayDep = Annotated[BankGateway, Depends(get_gateway)]
SignerDep = Annotated[JournalSigner, Depends(get_signer)]
ClockDep = Annotated[Clock, Depends(get_clock)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", description=(
    "Chosen by the client once per money-moving request and reused for its retries."))]

_bearer = HTTPBearer(auto_error=False, description="The access token from /v1/auth/login.")


@dataclass(frozen=True)
class Principal:
    user: User
    session_id: str
    roles: frozenset[str]
    guarded: bool  # has an active safety guardian (wallet_api/guardian): payments are screened


# Read with the sign-in in the same query (every authenticated request pays for it): the roles, and
# whether the user has an active guardian (a payment from someone without one needs no guardianship lookup).
_ROLES = (select(func.aggregate_strings(UserRole.role, ",")).where(UserRole.user_id == User.id)
          .correlate(User).scalar_subquery())
_GUARDED = (select(Guardianship.id).where(Guardianship.elder_user_id == User.id, Guardianship.status == "active")
            .correlate(User).exists())


def current_principal(db: DbDep, settings: SettingsDep,
                      creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    if creds is None:
        raise NotAuthenticated("Sign in first: send 'Authorization: Bearer <access token>'.")
    claims = decode_access(settings, creds.credentials)
    with db() as session, session.begin():
        session.connection(execution_options=READ_ONLY)  # a read: on SQLite it does not wait for the writers
        # The sign-in and its user in one query (every authenticated request pays for this).
        row = session.execute(select(User, _ROLES, _GUARDED).join(AuthSession, AuthSession.user_id == User.id)
                              .where(AuthSession.id == claims.session_id, AuthSession.user_id == claims.user_id,
                                     AuthSession.revoked_at.is_(None))).first()
        if row is None:
            raise TokenInvalid("This sign-in has ended. Please sign in again.")
        user, roles, guarded = row
        session.expunge(user)
    return Principal(user=user, session_id=claims.session_id, roles=frozenset(roles.split(",") if roles else ()),
                     guarded=bool(guarded))


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


ActingFor = Annotated[str | None, Header(
    alias="Acting-For", description="Act for this person (username or user id): the signed-in relative needs "
    "their active grant with the scope this route needs (docs/family.md).")]


def route_rule(request: Request) -> Rule:
    """The delegation rule of the route this request matched (by method and path template)."""
    route = request.scope.get("route")
    return rule_for(request.method, getattr(route, "path", ""))


async def acting_for_guard(request: Request, acting_for: ActingFor = None) -> None:
    """On every router: a route that is never delegated refuses `Acting-For` outright, with a clear problem."""
    if not acting_for:
        return
    rule = route_rule(request)
    if rule.kind == "never":
        raise ActingForNotAllowed(f"This cannot be done for someone else: {rule.why}. Switch back to your own "
                                  "account to do it.", reason=rule.why)


async def current_actor(request: Request, principal: CurrentPrincipal, db: DbDep,
                        acting_for: ActingFor = None) -> acting.Actor:
    user = principal.user
    rule = route_rule(request)
    if not acting_for or not rule.delegable:
        return acting.Actor(user=user, subject=user, guarded=principal.guarded)
    return await run_in_threadpool(_resolve_acting, db, user, acting_for, rule)  # it reads the database


def _resolve_acting(db: sessionmaker[Session], user: User, acting_for: str, rule: Rule) -> acting.Actor:
    with db() as session, session.begin():
        return acting.resolve(session, user, acting_for, rule)


CurrentActor = Annotated[acting.Actor, Depends(current_actor)]


async def current_user(actor: CurrentActor) -> User:
    return actor.subject


CurrentUser = Annotated[User, Depends(current_user)]


def require_role(role: str):
    async def check(principal: CurrentPrincipal) -> User:
        if role not in principal.roles:
            raise Forbidden(f"This needs the {role} role.")
        return principal.user
    return Depends(check)
