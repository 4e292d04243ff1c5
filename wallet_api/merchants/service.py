"""Merchant onboarding and the static EMVCo QR each merchant shows at the till."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from wallet_api import schemas
from wallet_api.auth.service import grant_role
from wallet_api.errors import InvalidQr, MerchantNotFound
from wallet_api.ledger.accounts import AccountKind, open_account
from wallet_api.merchants import emvco
from wallet_api.merchants.models import Merchant
from wallet_api.types import utcnow

# ISO 18245 merchant category codes for the EMVCo payload.
MCC = {
    "dining": "5812", "supermarket": "5411", "clothing": "5651", "fitness": "7997", "beauty": "7230",
    "education": "8299", "campus_canteen": "5814", "campus_shop": "5499", "utilities": "4900",
    "pharmacy": "5912", "transport": "4111",
}


def create_merchant(session: Session, owner_user_id: int, data: schemas.MerchantIn) -> Merchant:
    grant_role(session, owner_user_id, "merchant")
    merchant = Merchant(owner_user_id=owner_user_id, name=data.name, local_name=data.local_name,
                        category=str(data.category), region=data.region, city=data.city, status="active",
                        settlement_account_id=0, created_at=utcnow())
    # The settlement account is opened first so the merchant row never points at nothing.
    account = open_account(session, code=f"merchant:pending:{uuid.uuid4().hex}",
                           kind=AccountKind.MERCHANT_SETTLEMENT, owner_user_id=owner_user_id)
    merchant.settlement_account_id = account.id
    session.add(merchant)
    session.flush()
    account.code = f"merchant:{merchant.id}:settlement"
    return merchant


def qr_payload(merchant: Merchant) -> str:
    return emvco.encode(emvco.MerchantQR(merchant_id=merchant.id, name=merchant.name, city=merchant.city,
                                         mcc=MCC.get(merchant.category, "5999"), local_name=merchant.local_name))


def merchant_out(merchant: Merchant) -> schemas.MerchantOut:
    return schemas.MerchantOut(id=merchant.id, name=merchant.name, local_name=merchant.local_name,
                               category=merchant.category, region=merchant.region, city=merchant.city,
                               status=merchant.status, qr_payload=qr_payload(merchant))


def get_merchant(session: Session, merchant_id: int) -> Merchant:
    merchant = session.get(Merchant, merchant_id)
    if merchant is None:
        raise MerchantNotFound(f"There is no merchant {merchant_id}. Check the code or scan the QR again.")
    return merchant


def merchant_from_qr(session: Session, payload: str) -> tuple[Merchant, int | None]:
    """The merchant a scanned payload names, and the amount if the QR carries one."""
    try:
        qr = emvco.decode(payload)
    except emvco.EmvcoError as exc:
        raise InvalidQr(f"This payment QR cannot be read ({exc}). Scan it again or enter the merchant code.") from None
    return get_merchant(session, qr.merchant_id), qr.amount_fen


def merchants_of(session: Session, owner_user_id: int) -> list[Merchant]:
    return list(session.scalars(select(Merchant).where(Merchant.owner_user_id == owner_user_id).order_by(Merchant.id)))
