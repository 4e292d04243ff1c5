from __future__ import annotations

from fastapi import APIRouter, Request, Response

from wallet_api import schemas
from wallet_api.api.deps import CurrentActor, CurrentPrincipal, CurrentUser, DbDep, HasherDep, SettingsDep
from wallet_api.auth import ratelimit, service
from wallet_api.auth.models import Preferences, User
from wallet_api.db import transaction
from wallet_api.errors import BadCredentials, ValidationFailed
from wallet_api.family import acting

router = APIRouter(tags=["auth"])


def _tokens(pair) -> schemas.TokensOut:
    return schemas.TokensOut(access_token=pair.access_token, refresh_token=pair.refresh_token,
                             expires_in=pair.expires_in)


@router.post("/v1/auth/register", status_code=201, response_model=schemas.UserOut)
def register(data: schemas.RegisterIn, db: DbDep, hasher: HasherDep) -> schemas.UserOut:
    with transaction(db) as s:
        user = service.create_user(s, hasher, username=data.username, password=data.password,
                                   display_name=data.display_name, phone=data.phone, roles=list(data.roles))
        return service.user_out(s, user)


@router.post("/v1/auth/login", response_model=schemas.TokensOut)
def login(data: schemas.LoginIn, request: Request, db: DbDep, settings: SettingsDep,
          hasher: HasherDep) -> schemas.TokensOut:
    # Failed sign-ins are limited per username and per client address (auth/ratelimit.py).
    client = request.client.host if request.client else "unknown"
    ratelimit.refuse_if_limited(db, data.username, client)
    try:
        with transaction(db) as s:
            return _tokens(service.login(s, settings, hasher, data.username, data.password))
    except BadCredentials:
        ratelimit.count_failure(db, data.username, client)
        raise


@router.post("/v1/auth/refresh", response_model=schemas.TokensOut)
def refresh(data: schemas.RefreshIn, db: DbDep, settings: SettingsDep) -> schemas.TokensOut:
    return _tokens(service.refresh(db, settings, data.refresh_token))


@router.post("/v1/auth/logout", status_code=204)
def logout(principal: CurrentPrincipal, db: DbDep) -> Response:
    with transaction(db) as s:
        service.logout(s, principal.session_id)
    return Response(status_code=204)


@router.get("/v1/me", response_model=schemas.UserOut)
def me(user: CurrentUser, db: DbDep) -> schemas.UserOut:
    with transaction(db) as s:
        return service.user_out(s, s.get(User, user.id))


@router.put("/v1/me/pin", status_code=204)
def set_pin(data: schemas.SetPinIn, user: CurrentUser, db: DbDep, hasher: HasherDep) -> Response:
    with transaction(db) as s:
        service.set_pin(s, hasher, s.get(User, user.id, with_for_update=True), data.password, data.pin)
    return Response(status_code=204)


@router.post("/v1/me/real-name", response_model=schemas.UserOut)
def real_name(data: schemas.RealNameIn, user: CurrentUser, db: DbDep, settings: SettingsDep) -> schemas.UserOut:
    with transaction(db) as s:
        row = s.get(User, user.id, with_for_update=True)
        service.verify_real_name(s, settings, row, data.real_name, data.national_id)
        return service.user_out(s, row)


def _preferences_out(prefs: Preferences) -> schemas.PreferencesOut:
    return schemas.PreferencesOut(marketing_allowed=prefs.marketing_allowed, language=prefs.language,
                                  care_mode=prefs.care_mode, font_scale_percent=prefs.font_scale_percent,
                                  high_contrast=prefs.high_contrast, voice_enabled=prefs.voice_enabled,
                                  speech_rate_percent=prefs.speech_rate_percent)


@router.get("/v1/me/preferences", response_model=schemas.PreferencesOut)
def get_preferences(user: CurrentUser, db: DbDep) -> schemas.PreferencesOut:
    with transaction(db) as s:
        return _preferences_out(service.preferences(s, user.id))


@router.patch("/v1/me/preferences", response_model=schemas.PreferencesOut)
def update_preferences(data: schemas.PreferencesIn, actor: CurrentActor, db: DbDep) -> schemas.PreferencesOut:
    """The owner, or a relative with `manage_settings` (e.g. switching care mode on for an elder)."""
    changes = data.model_dump(exclude_none=True)
    with transaction(db) as s:
        acting.authorize(s, actor, acting.Scope.MANAGE_SETTINGS)
        prefs = service.preferences(s, actor.subject.id)
        # Care mode means no promotions at all (docs/client.md): the server holds that rule, not each device.
        if changes.get("marketing_allowed") and changes.get("care_mode", prefs.care_mode):
            raise ValidationFailed("Care mode keeps promotions away, so marketing messages cannot be allowed "
                                   "while it is on. Turn care mode off first.",
                                   errors=[{"loc": ["body", "marketing_allowed"], "type": "care_mode_marketing_free",
                                            "msg": "not allowed while care mode is on"}])
        for field, value in changes.items():
            setattr(prefs, field, value)
        if prefs.care_mode:
            prefs.marketing_allowed = False
        acting.record(s, actor, action="settings", scope=acting.Scope.MANAGE_SETTINGS,
                      what="changed your settings (" + ", ".join(sorted(changes)) + ")",
                      fields=", ".join(sorted(changes)))
        return _preferences_out(prefs)
