"""Family cards: a relative offers one (with a monthly cap), the holder accepts or declines, the giver pauses,
resumes, changes the cap or closes it; both see its uses. Paying with one is POST /v1/payments/merchant
with `funding`."""

from __future__ import annotations

from fastapi import APIRouter

from wallet_api.api.deps import ClockDep, CurrentUser, DbDep, SettingsDep
from wallet_api.auth.models import User
from wallet_api.db import transaction
from wallet_api.family_card import service
from wallet_api.schemas import family_card as wire

router = APIRouter(tags=["family cards"])


@router.post("/v1/family-cards", status_code=201, response_model=wire.FamilyCardOut)
def offer(data: wire.FamilyCardIn, user: CurrentUser, db: DbDep, settings: SettingsDep,
          clock: ClockDep) -> wire.FamilyCardOut:
    with transaction(db) as s:
        now = clock()
        card = service.offer(s, settings, s.get(User, user.id), data.holder_username, data.monthly_cap_fen,
                             data.note, now)
        return service.card_out(s, card, now)


@router.get("/v1/family-cards", response_model=wire.FamilyCardsOut)
def my_cards(user: CurrentUser, db: DbDep, settings: SettingsDep, clock: ClockDep) -> wire.FamilyCardsOut:
    with transaction(db) as s:
        return service.cards_of(s, settings, user, clock())


@router.post("/v1/family-cards/{card_id}/accept", response_model=wire.FamilyCardOut)
def accept(card_id: int, user: CurrentUser, db: DbDep, clock: ClockDep) -> wire.FamilyCardOut:
    with transaction(db) as s:
        now = clock()
        return service.card_out(s, service.answer(s, s.get(User, user.id), card_id, True, now), now)


@router.post("/v1/family-cards/{card_id}/decline", response_model=wire.FamilyCardOut)
def decline(card_id: int, user: CurrentUser, db: DbDep, clock: ClockDep) -> wire.FamilyCardOut:
    with transaction(db) as s:
        now = clock()
        return service.card_out(s, service.answer(s, s.get(User, user.id), card_id, False, now), now)


@router.put("/v1/family-cards/{card_id}/paused", response_model=wire.FamilyCardOut)
def pause(card_id: int, data: wire.FamilyCardPauseIn, user: CurrentUser, db: DbDep,
          clock: ClockDep) -> wire.FamilyCardOut:
    with transaction(db) as s:
        return service.card_out(s, service.set_paused(s, s.get(User, user.id), card_id, data.paused), clock())


@router.put("/v1/family-cards/{card_id}/cap", response_model=wire.FamilyCardOut)
def change_cap(card_id: int, data: wire.FamilyCardCapIn, user: CurrentUser, db: DbDep, settings: SettingsDep,
               clock: ClockDep) -> wire.FamilyCardOut:
    with transaction(db) as s:
        card = service.set_cap(s, settings, s.get(User, user.id), card_id, data.monthly_cap_fen)
        return service.card_out(s, card, clock())


@router.post("/v1/family-cards/{card_id}/close", response_model=wire.FamilyCardOut)
def close(card_id: int, user: CurrentUser, db: DbDep, clock: ClockDep) -> wire.FamilyCardOut:
    with transaction(db) as s:
        now = clock()
        return service.card_out(s, service.close(s, s.get(User, user.id), card_id, now), now)


@router.get("/v1/family-cards/{card_id}/uses", response_model=list[wire.FamilyCardUseOut])
def uses(card_id: int, user: CurrentUser, db: DbDep) -> list[wire.FamilyCardUseOut]:
    with transaction(db) as s:
        return service.uses(s, user, card_id)
