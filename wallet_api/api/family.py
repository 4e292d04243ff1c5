"""Family: invite a relative, accept, edit the grant, end it; invite QR codes; set an elder up from scratch.

Acting for the elder is not here: it is the `Acting-For` header on the ordinary routes (api/deps.py,
family/scopes.py). Every route here is personal and refuses `Acting-For`.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from wallet_api import schemas
from wallet_api.api.deps import ClockDep, CurrentUser, DbDep, HasherDep, SettingsDep
from wallet_api.auth.tokens import start_session
from wallet_api.db import transaction
from wallet_api.family import service
from wallet_api.schemas import family as wire

router = APIRouter(tags=["family"])


@router.post("/v1/family/invites", status_code=201, response_model=wire.LinkOut)
def invite(data: wire.InviteIn, user: CurrentUser, db: DbDep, settings: SettingsDep, clock: ClockDep) -> wire.LinkOut:
    """The elder invites a relative by username or phone; the relative accepts in their app within
    `ANXIN_FAMILY_INVITE_DAYS` (7) days, after which the invitation has expired."""
    now = clock()
    with transaction(db) as s:
        link = service.invite(s, user, data.relative, data.grant, invite_days=settings.family_invite_days, now=now)
        return service.link_out(s, link, now, viewer_id=user.id)


@router.post("/v1/family/invite-codes", status_code=201, response_model=wire.InviteCodeOut)
def invite_code(data: wire.InviteCodeIn, user: CurrentUser, db: DbDep) -> wire.InviteCodeOut:
    """A one-time invite the elder's app shows as a QR (valid 10 minutes); scanning and sending it accepts."""
    with transaction(db) as s:
        token, expires_at = service.invite_code(s, user, data.grant)
    return wire.InviteCodeOut(token=token, qr_payload=service.QR_PREFIX + token, expires_at=expires_at)


@router.post("/v1/family/invite-codes/accept", status_code=201, response_model=wire.LinkOut)
def accept_invite_code(data: wire.InviteCodeAcceptIn, user: CurrentUser, db: DbDep) -> wire.LinkOut:
    with transaction(db) as s:
        return service.link_out(s, service.accept_invite_code(s, user, data.token), viewer_id=user.id)


@router.get("/v1/family/links", response_model=wire.LinksOut)
def links(user: CurrentUser, db: DbDep, clock: ClockDep) -> wire.LinksOut:
    """People the signed-in user looks after, and people who look after them (ended links and expired
    invitations included)."""
    with transaction(db) as s:
        return service.links_of(s, user.id, clock())


@router.get("/v1/family/links/{link_id}", response_model=wire.LinkOut)
def link(link_id: int, user: CurrentUser, db: DbDep, clock: ClockDep) -> wire.LinkOut:
    with transaction(db) as s:
        return service.link_out(s, service.get_link(s, user, link_id), clock(), viewer_id=user.id)


@router.post("/v1/family/links/{link_id}/accept", response_model=wire.LinkOut)
def accept(link_id: int, user: CurrentUser, db: DbDep, clock: ClockDep) -> wire.LinkOut:
    """The invited relative accepts; an expired invitation is refused (`family_invite_expired`)."""
    now = clock()
    with transaction(db) as s:
        return service.link_out(s, service.accept(s, user, link_id, now), now, viewer_id=user.id)


@router.put("/v1/family/links/{link_id}/grant", response_model=wire.LinkOut)
def set_grant(link_id: int, data: wire.GrantIn, user: CurrentUser, db: DbDep) -> wire.LinkOut:
    """Only the elder edits what the relative may do; it applies to the relative's next request."""
    with transaction(db) as s:
        return service.link_out(s, service.set_grant(s, user, link_id, data), viewer_id=user.id)


@router.delete("/v1/family/links/{link_id}", status_code=204)
def end(link_id: int, user: CurrentUser, db: DbDep) -> Response:
    """Either side ends the link (or declines an invitation). Takes effect on the very next request."""
    with transaction(db) as s:
        service.end(s, user, link_id)
    return Response(status_code=204)


@router.get("/v1/family/links/{link_id}/actions", response_model=list[wire.DelegatedActionOut])
def actions(link_id: int, user: CurrentUser, db: DbDep) -> list[wire.DelegatedActionOut]:
    """What the relative did for the elder, newest first (both of them may look)."""
    with transaction(db) as s:
        return service.actions_out(s, service.get_link(s, user, link_id))


@router.post("/v1/family/elders", status_code=201, response_model=wire.ElderSetupOut)
def create_elder(data: wire.ElderSetupIn, user: CurrentUser, db: DbDep, hasher: HasherDep) -> wire.ElderSetupOut:
    """A relative creates the elder's account with the elder present. The elder then finishes it with the
    setup token (their own password and PIN): until then the relative cannot act for them."""
    with transaction(db) as s:
        link_row, token, expires_at = service.create_elder(
            s, hasher, user, username=data.username, display_name=data.display_name, phone=data.phone,
            language=data.language, care_mode=data.care_mode, grant=data.grant)
        return wire.ElderSetupOut(link=service.link_out(s, link_row), setup_token=token, expires_at=expires_at)


@router.post("/v1/family/setup/preview", response_model=wire.SetupPreviewOut)
def setup_preview(data: wire.SetupPreviewIn, db: DbDep) -> wire.SetupPreviewOut:
    """What finishing the setup agrees to (who helps, with what), for the elder to read first."""
    with transaction(db) as s:
        return wire.SetupPreviewOut(link=service.link_out(s, service.preview_setup(s, data.setup_token)))


@router.post("/v1/family/setup", response_model=schemas.TokensOut)
def finish_setup(data: wire.SetupFinishIn, db: DbDep, settings: SettingsDep, hasher: HasherDep) -> schemas.TokensOut:
    """The elder chooses their password and payment PIN and is signed in. Takes no bearer token: the
    relative's sign-in plays no part, and the PIN goes only into its hash."""
    with transaction(db) as s:
        elder = service.finish_setup(s, hasher, data.setup_token, data.password, data.pin)
        pair = start_session(s, settings, elder.id)
    return schemas.TokensOut(access_token=pair.access_token, refresh_token=pair.refresh_token,
                             expires_in=pair.expires_in)
