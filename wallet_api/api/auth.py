from __future__ import annotations

from fastapi import APIRouter, Response

from wallet_api import schemas
from wallet_api.api.deps import CurrentPrincipal, CurrentUser, DbDep, HasherDep, SettingsDep
from wallet_api.auth import service
from wallet_api.auth.models import User
from wallet_api.db import transaction

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
def login(data: schemas.LoginIn, db: DbDep, settings: SettingsDep, hasher: HasherDep) -> schemas.TokensOut:
    with transaction(db) as s:
        return _tokens(service.login(s, settings, hasher, data.username, data.password))


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


@router.get("/v1/me/preferences", response_model=schemas.PreferencesOut)
def get_preferences(user: CurrentUser, db: DbDep) -> schemas.PreferencesOut:
    with transaction(db) as s:
        prefs = service.preferences(s, user.id)
        return schemas.PreferencesOut(marketing_allowed=prefs.marketing_allowed, language=prefs.language)


@router.patch("/v1/me/preferences", response_model=schemas.PreferencesOut)
def update_preferences(data: schemas.PreferencesIn, user: CurrentUser, db: DbDep) -> schemas.PreferencesOut:
    with transaction(db) as s:
        prefs = service.preferences(s, user.id)
        for field, value in data.model_dump(exclude_none=True).items():
            setattr(prefs, field, value)
        return schemas.PreferencesOut(marketing_allowed=prefs.marketing_allowed, language=prefs.language)
