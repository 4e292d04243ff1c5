"""Campus codes: campus admin, the student's card and phones, cashier charges, confirmations."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from wallet_api import schemas
from wallet_api.api.deps import CurrentUser, DbDep, GatewayDep, HasherDep, IdempotencyKey, SettingsDep, require_role
from wallet_api.auth.models import User
from wallet_api.auth.service import check_pin
from wallet_api.campus import admin, cards, charges
from wallet_api.campus.codes import SecretBox
from wallet_api.db import transaction
from wallet_api.idempotency import Outcome
from wallet_api.merchants.service import merchant_out
from wallet_api.schemas import campus as wire

router = APIRouter(tags=["campus"])
CampusAdmin = Annotated[User, require_role("campus_admin")]


@lru_cache(maxsize=4)
def _box_for(server_secret: str) -> SecretBox:
    return SecretBox(server_secret)


def get_box(settings: SettingsDep) -> SecretBox:
    return _box_for(settings.resolved_secret_key())


BoxDep = Annotated[SecretBox, Depends(get_box)]


def _replayed(replayed: bool) -> dict[str, str]:
    return {"Idempotent-Replayed": "true"} if replayed else {}


def _charge_reply(answer: charges.ChargeAnswer) -> JSONResponse:
    return JSONResponse(answer.charge.model_dump(mode="json"), status_code=answer.status_code,
                        headers=_replayed(answer.replayed))


def _reply(outcome: Outcome) -> JSONResponse:
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=_replayed(outcome.replayed))


# ---- campus admin ---------------------------------------------------------------------------

@router.post("/v1/campus/campuses", status_code=201, response_model=wire.CampusOut)
def create_campus(data: wire.CampusIn, user: CampusAdmin, db: DbDep) -> wire.CampusOut:
    with transaction(db) as s:
        return admin.campus_out(admin.create_campus(s, user, data))


@router.get("/v1/campus/campuses", response_model=list[wire.CampusOut])
def my_campuses(user: CampusAdmin, db: DbDep) -> list[wire.CampusOut]:
    with transaction(db) as s:
        return [admin.campus_out(c) for c in admin.campuses_of(s, user.id)]


@router.post("/v1/campus/campuses/{campus_id}/merchants", status_code=201, response_model=schemas.MerchantOut)
def create_campus_merchant(campus_id: int, data: wire.CampusMerchantIn, user: CampusAdmin,
                           db: DbDep) -> schemas.MerchantOut:
    with transaction(db) as s:
        return merchant_out(admin.create_campus_merchant(s, admin.owned_campus(s, user.id, campus_id), data))


@router.put("/v1/campus/campuses/{campus_id}/merchants/{merchant_id}", response_model=schemas.MerchantOut)
def link_merchant(campus_id: int, merchant_id: int, user: CampusAdmin, db: DbDep) -> schemas.MerchantOut:
    """Let an existing merchant take this campus's codes."""
    with transaction(db) as s:
        return merchant_out(admin.link_merchant(s, admin.owned_campus(s, user.id, campus_id), merchant_id))


@router.get("/v1/campus/campuses/{campus_id}/merchants", response_model=list[schemas.MerchantOut])
def campus_merchants(campus_id: int, user: CampusAdmin, db: DbDep) -> list[schemas.MerchantOut]:
    with transaction(db) as s:
        return [merchant_out(m) for m in admin.campus_merchants(s, admin.owned_campus(s, user.id, campus_id))]


@router.post("/v1/campus/campuses/{campus_id}/students", status_code=201, response_model=wire.ActivationCodeOut)
def enrol_student(campus_id: int, data: wire.StudentIn, user: CampusAdmin, db: DbDep) -> wire.ActivationCodeOut:
    """Enrol a student; the answer carries their one-time activation code (shown only now)."""
    with transaction(db) as s:
        card, code, expires = admin.enrol_student(s, admin.owned_campus(s, user.id, campus_id), data)
        return admin.activation_out(s, card, code, expires)


@router.get("/v1/campus/campuses/{campus_id}/students", response_model=list[wire.StudentOut])
def list_students(campus_id: int, user: CampusAdmin, db: DbDep) -> list[wire.StudentOut]:
    with transaction(db) as s:
        return [admin.student_out(s, c) for c in admin.students(s, admin.owned_campus(s, user.id, campus_id))]


@router.post("/v1/campus/campuses/{campus_id}/students/{card_id}/activation-code", status_code=201,
             response_model=wire.ActivationCodeOut)
def reissue_activation_code(campus_id: int, card_id: int, user: CampusAdmin, db: DbDep) -> wire.ActivationCodeOut:
    with transaction(db) as s:
        card, code, expires = admin.reissue_activation_code(s, admin.owned_campus(s, user.id, campus_id), card_id)
        return admin.activation_out(s, card, code, expires)


@router.post("/v1/campus/campuses/{campus_id}/students/{card_id}/suspend", response_model=wire.StudentOut)
def suspend_card(campus_id: int, card_id: int, user: CampusAdmin, db: DbDep) -> wire.StudentOut:
    with transaction(db) as s:
        card = admin.set_card_suspended(s, admin.owned_campus(s, user.id, campus_id), card_id, True)
        return admin.student_out(s, card)


@router.post("/v1/campus/campuses/{campus_id}/students/{card_id}/resume", response_model=wire.StudentOut)
def resume_card(campus_id: int, card_id: int, user: CampusAdmin, db: DbDep) -> wire.StudentOut:
    with transaction(db) as s:
        card = admin.set_card_suspended(s, admin.owned_campus(s, user.id, campus_id), card_id, False)
        return admin.student_out(s, card)


# ---- the student ----------------------------------------------------------------------------

@router.post("/v1/campus/activate", status_code=201, response_model=wire.DeviceSecretOut)
def activate(data: wire.ActivateIn, user: CurrentUser, db: DbDep, box: BoxDep) -> wire.DeviceSecretOut:
    """Activate the campus card with the one-time code and register this phone to make payment codes."""
    with transaction(db) as s:
        _card, device, secret = cards.activate(s, box, user, data.activation_code, data.device_label)
        return cards.device_secret_out(device, secret)


@router.get("/v1/campus/me", response_model=wire.CampusCardOut)
def my_card(user: CurrentUser, db: DbDep) -> wire.CampusCardOut:
    with transaction(db) as s:
        return cards.card_out(s, cards.my_card(s, user.id))


@router.post("/v1/campus/me/devices", status_code=201, response_model=wire.DeviceSecretOut)
def add_device(data: wire.DeviceIn, user: CurrentUser, db: DbDep, settings: SettingsDep, hasher: HasherDep,
               box: BoxDep) -> wire.DeviceSecretOut:
    """Register another phone (e.g. a new one after a loss); needs the payment PIN."""
    with transaction(db) as s:
        cards.my_card(s, user.id)  # no card: say so before counting a PIN attempt
    check_pin(db, settings, hasher, user.id, data.pin)
    with transaction(db) as s:
        device, secret = cards.add_device(s, box, cards.my_card(s, user.id, lock=True), data.device_label)
        return cards.device_secret_out(device, secret)


@router.delete("/v1/campus/me/devices/{device_id}", status_code=204)
def revoke_device(device_id: int, user: CurrentUser, db: DbDep) -> Response:
    """A lost phone: its codes are refused from now on."""
    with transaction(db) as s:
        cards.revoke_device(s, user.id, device_id)
    return Response(status_code=204)


@router.put("/v1/campus/me/funding-source", response_model=wire.CampusCardOut)
def set_funding_source(data: wire.FundingSourceIn, user: CurrentUser, db: DbDep) -> wire.CampusCardOut:
    with transaction(db) as s:
        return cards.card_out(s, cards.set_funding_source(s, user.id, data))


@router.put("/v1/campus/me/daily-limit", response_model=wire.CampusCardOut)
def set_daily_limit(data: wire.DailyLimitIn, user: CurrentUser, db: DbDep) -> wire.CampusCardOut:
    with transaction(db) as s:
        return cards.card_out(s, cards.set_daily_limit(s, user.id, data.daily_limit_fen))


@router.get("/v1/campus/me/spending", response_model=wire.SpendingOut)
def spending(user: CurrentUser, db: DbDep,
             days: Annotated[int, Query(ge=1, le=366, description="campus days back, today included")] = 30,
             ) -> wire.SpendingOut:
    with transaction(db) as s:
        return cards.spending(s, user.id, days)


@router.get("/v1/campus/me/charges", response_model=list[wire.ChargeOut])
def my_charges(user: CurrentUser, db: DbDep, status: wire.ChargeStatus | None = None,
               limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[wire.ChargeOut]:
    """The student's campus payments, newest first (status=awaiting_confirmation: what to confirm)."""
    return charges.my_charges(db, user, status, limit)


@router.post("/v1/campus/charges/{charge_id}/confirm", response_model=wire.ChargeOut)
def confirm(charge_id: int, data: wire.ConfirmIn, user: CurrentUser, db: DbDep, settings: SettingsDep,
            hasher: HasherDep, gateway: GatewayDep, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """The student approves a larger charge with their payment PIN; the money moves now."""
    answer = charges.confirm(db, settings, hasher, gateway, user, charge_id, data.pin, idempotency_key)
    return JSONResponse(answer.charge.model_dump(mode="json"), status_code=200, headers=_replayed(answer.replayed))


@router.post("/v1/campus/charges/{charge_id}/decline", response_model=wire.ChargeOut)
def decline(charge_id: int, user: CurrentUser, db: DbDep) -> wire.ChargeOut:
    return charges.decline(db, user, charge_id)


@router.post("/v1/campus/scan-pay", status_code=201, response_model=wire.ChargeOut)
def scan_pay(data: wire.ScanPayIn, user: CurrentUser, db: DbDep, settings: SettingsDep, hasher: HasherDep,
             gateway: GatewayDep, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Pay a campus merchant by scanning its static QR, from the campus card's funding source."""
    return _charge_reply(charges.scan_pay(db, settings, hasher, gateway, user, data, idempotency_key))


# ---- the cashier ----------------------------------------------------------------------------

@router.post("/v1/campus/charges", status_code=201, response_model=wire.ChargeOut,
             responses={202: {"model": wire.ChargeOut, "description": "waiting for the student's PIN"}})
def charge(data: wire.ChargeIn, user: CurrentUser, db: DbDep, gateway: GatewayDep, box: BoxDep,
           idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Charge the student's payment code: 201 paid, 202 waiting for the student's PIN, or a problem."""
    return _charge_reply(charges.charge_by_code(db, gateway, box, user, data, idempotency_key))


@router.get("/v1/campus/charges/{charge_id}", response_model=wire.ChargeOut)
def get_charge(charge_id: int, user: CurrentUser, db: DbDep) -> wire.ChargeOut:
    return charges.get_charge(db, user, charge_id)


@router.get("/v1/campus/merchants/{merchant_id}/charges", response_model=list[wire.ChargeOut])
def merchant_charges(merchant_id: int, user: CurrentUser, db: DbDep,
                     limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[wire.ChargeOut]:
    return charges.merchant_charges(db, user, merchant_id, limit)


@router.post("/v1/campus/charges/{charge_id}/refunds", status_code=201, response_model=schemas.RefundOut)
def refund(charge_id: int, data: schemas.RefundIn, user: CurrentUser, db: DbDep,
           idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return _reply(charges.refund_charge(db, user, charge_id, data, idempotency_key))
