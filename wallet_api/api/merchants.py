"""Merchant onboarding, QR payloads, takings."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from wallet_api import schemas
from wallet_api.api.deps import CurrentUser, DbDep
from wallet_api.db import transaction
from wallet_api.errors import Forbidden
from wallet_api.merchants import service
from wallet_api.payments.models import Payment
from wallet_api.payments.service import receipt

router = APIRouter(tags=["merchants"])


@router.post("/v1/merchants", status_code=201, response_model=schemas.MerchantOut)
def create(data: schemas.MerchantIn, user: CurrentUser, db: DbDep) -> schemas.MerchantOut:
    with transaction(db) as s:
        return service.merchant_out(service.create_merchant(s, user.id, data))


@router.get("/v1/merchants/mine", response_model=list[schemas.MerchantOut])
def mine(user: CurrentUser, db: DbDep) -> list[schemas.MerchantOut]:
    with transaction(db) as s:
        return [service.merchant_out(m) for m in service.merchants_of(s, user.id)]


@router.post("/v1/merchants/qr/parse", response_model=schemas.QrOut)
def parse_qr(data: schemas.QrIn, user: CurrentUser, db: DbDep) -> schemas.QrOut:
    """What a scanned payment QR names, so the payer can see whom they are about to pay."""
    with transaction(db) as s:
        merchant, amount = service.merchant_from_qr(s, data.payload)
        return schemas.QrOut(merchant_id=merchant.id, merchant_name=merchant.name, local_name=merchant.local_name,
                             amount_fen=amount)


@router.get("/v1/merchants/{merchant_id}", response_model=schemas.MerchantOut)
def get(merchant_id: int, user: CurrentUser, db: DbDep) -> schemas.MerchantOut:
    with transaction(db) as s:
        return service.merchant_out(service.get_merchant(s, merchant_id))


@router.get("/v1/merchants/{merchant_id}/payments", response_model=list[schemas.Receipt])
def takings(merchant_id: int, user: CurrentUser, db: DbDep) -> list[schemas.Receipt]:
    with transaction(db) as s:
        merchant = service.get_merchant(s, merchant_id)
        if merchant.owner_user_id != user.id:
            raise Forbidden("Only the merchant can see its payments.")
        rows = s.scalars(select(Payment).where(Payment.merchant_id == merchant_id).order_by(Payment.id.desc())
                         .limit(200))
        return [receipt(s, p) for p in rows]
