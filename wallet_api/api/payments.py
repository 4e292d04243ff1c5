"""Paying merchants and people, receipts, refunds."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from wallet_api import schemas
from wallet_api.api.deps import CurrentActor, CurrentUser, DbDep, HasherDep, IdempotencyKey, SettingsDep
from wallet_api.auth.models import User
from wallet_api.auth.service import check_pin, refuse_if_locked
from wallet_api.coupons import redemption as coupon_payments
from wallet_api.db import transaction
from wallet_api.errors import NotFound, ValidationFailed
from wallet_api.family import acting
from wallet_api.idempotency import Outcome, run_once
from wallet_api.merchants import service as merchants
from wallet_api.payments import service
from wallet_api.payments.models import Payment

router = APIRouter(tags=["payments"])


def _reply(outcome: Outcome) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)


def _pin_if_needed(db, settings, hasher, user: User, amount: int, pin: str | None) -> None:
    if amount > settings.pin_free_limit_fen:
        check_pin(db, settings, hasher, user.id, pin)
    else:
        # A lock means someone has been guessing the PIN: small payments stop too until it ends.
        refuse_if_locked(user)


def _payment_guard(db, settings, hasher, actor: acting.Actor, amount: int, pin: str | None):
    """The owner proves it is them with the PIN above the PIN-free limit. A relative never knows the
    elder's PIN: their payments are bounded by the grant's limits instead (acting.authorize), and stop
    too while the elder's PIN is locked."""
    if actor.delegated:
        return lambda: refuse_if_locked(actor.subject)
    return lambda: _pin_if_needed(db, settings, hasher, actor.subject, amount, pin)


@router.post("/v1/payments/merchant", status_code=201, response_model=schemas.Receipt)
def pay_merchant(data: schemas.MerchantPaymentIn, actor: CurrentActor, db: DbDep, settings: SettingsDep,
                 hasher: HasherDep, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    user = actor.subject
    if (data.merchant_id is None) == (data.qr_payload is None):
        raise ValidationFailed("Give either merchant_id or qr_payload (the scanned QR), not both or neither.")
    def act(s) -> schemas.Receipt:
        if data.qr_payload is not None:
            merchant, qr_amount = merchants.merchant_from_qr(s, data.qr_payload)
            if qr_amount is not None and qr_amount != data.amount_fen:
                raise ValidationFailed("The amount differs from the one in the merchant's QR. Scan it again.")
        else:
            merchant = merchants.get_merchant(s, data.merchant_id)
        scope = acting.payment_scope(merchant.category)
        acting.authorize(s, actor, scope, data.amount_fen)  # a relative: scope and limits, under the link's lock
        payer = s.get(User, user.id)
        if data.coupon_id is not None:  # one coupon per order: its subsidy is a leg of the same transfer
            payment = coupon_payments.pay_with_coupon(s, payer, merchant, data.amount_fen, data.coupon_id, data.memo,
                                                      actor_user_id=acting.actor_id(actor))
        else:
            payment = service.pay_merchant(s, payer, merchant, data.amount_fen, data.memo,
                                           actor_user_id=acting.actor_id(actor))
        acting.record(s, actor, action="pay_merchant", scope=scope, amount=data.amount_fen,
                      transfer_id=payment.transfer_id, payee=merchant.name,
                      what=f"paid {merchant.name} {acting.yuan(data.amount_fen)} CNY")
        return service.receipt(s, payment)

    # The PIN is not part of the request's identity: a retry may carry it or not.
    request = data.model_dump(exclude={"pin"}) | {"route": "pay_merchant"}
    return _reply(run_once(db, scope=f"user:{user.id}", key=idempotency_key, request=request, action=act,
                           guard=_payment_guard(db, settings, hasher, actor, data.amount_fen, data.pin)))


@router.post("/v1/payments/p2p", status_code=201, response_model=schemas.Receipt)
def pay_person(data: schemas.P2PPaymentIn, user: CurrentUser, db: DbDep, settings: SettingsDep,
               hasher: HasherDep, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    def act(s) -> schemas.Receipt:
        payment = service.pay_person(s, s.get(User, user.id), data.to_username, data.amount_fen, data.memo)
        return service.receipt(s, payment)

    request = data.model_dump(exclude={"pin"}) | {"route": "pay_person"}
    return _reply(run_once(db, scope=f"user:{user.id}", key=idempotency_key, request=request, action=act,
                           guard=lambda: _pin_if_needed(db, settings, hasher, user, data.amount_fen, data.pin)))


@router.get("/v1/payments/{payment_id}", response_model=schemas.Receipt)
def get_receipt(payment_id: int, user: CurrentUser, db: DbDep) -> schemas.Receipt:
    with transaction(db) as s:
        payment = s.get(Payment, payment_id)
        if payment is None or not service.can_see_payment(s, user, payment):
            raise NotFound(f"You have no payment {payment_id}.")
        return service.receipt(s, payment)


@router.post("/v1/payments/{payment_id}/refunds", status_code=201, response_model=schemas.RefundOut)
def refund(payment_id: int, data: schemas.RefundIn, user: CurrentUser, db: DbDep,
           idempotency_key: IdempotencyKey = None) -> JSONResponse:
    def act(s) -> schemas.RefundOut:
        return service.refund_out(service.refund(s, s.get(User, user.id), payment_id, data.amount_fen, data.reason))

    request = data.model_dump() | {"route": "refund", "payment_id": payment_id}
    return _reply(run_once(db, scope=f"user:{user.id}", key=idempotency_key, request=request, action=act))
