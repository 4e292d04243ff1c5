"""Paying merchants and people, receipts, refunds."""

from __future__ import annotations

from typing import ClassVar

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from wallet_api import schemas
from wallet_api.api.deps import ClockDep, CurrentActor, CurrentUser, DbDep, HasherDep, IdempotencyKey, SettingsDep
from wallet_api.auth.models import User
from wallet_api.auth.service import check_pin, refuse_if_locked
from wallet_api.coupons import redemption as coupon_payments
from wallet_api.db import transaction
from wallet_api.errors import NotFound, ValidationFailed
from wallet_api.family import acting
from wallet_api.family_card import service as family_cards
from wallet_api.family_card.errors import NotForTransfers
from wallet_api.guardian import service as guardian
from wallet_api.idempotency import Outcome, run_once
from wallet_api.merchants import service as merchants
from wallet_api.payments import service
from wallet_api.payments.models import Payment
from wallet_api.schemas.guardian import PendingPaymentOut

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
    elder's PIN: their payments are bounded by the grant's limits instead (acting.authorize).
    Only the PIN check runs before the payment's own transaction (a wrong PIN must be counted in one
    that commits); every other payment has no guard and is refused inside the action while the PIN is
    locked (_refuse_while_locked), which saves it a transaction (BENCHMARKS.md)."""
    if not actor.delegated and amount > settings.pin_free_limit_fen:
        return lambda: check_pin(db, settings, hasher, actor.subject.id, pin)
    return None


def _refuse_while_locked(settings, actor: acting.Actor, amount: int) -> None:
    if actor.delegated or amount <= settings.pin_free_limit_fen:
        # A lock means someone has been guessing the PIN: payments without it stop too until it ends.
        refuse_if_locked(actor.subject)


# An elder's risky payment waits for their guardian (or a transfer to someone new waits out a delay):
# then the answer is 202 with the waiting payment instead of 201 with a receipt.
WAITING = {202: {"model": PendingPaymentOut, "description": "The payment waits for the guardian or a delay."}}


class _Waiting(PendingPaymentOut):
    HTTP_STATUS: ClassVar[int] = 202  # run_once answers with this status instead of 201


def _hold(s, settings, payer, screening, data, now, **payee) -> _Waiting:
    held = guardian.hold(s, settings, payer, screening, data.amount_fen, data.memo, now, **payee)
    return _Waiting.model_validate(guardian.pending_out(s, held).model_dump())


def _pay_shop(s, settings, actor: acting.Actor, payer: User, merchant, data: schemas.MerchantPaymentIn,
              now) -> Payment | _Waiting:
    by = acting.actor_id(actor)
    card_id = family_cards.choose(s, payer, data.funding, data.amount_fen, data.coupon_id, now)
    if card_id is not None:  # the giver's wallet pays, within the card's monthly cap
        return family_cards.pay(s, payer, card_id, merchant, data.amount_fen, data.memo, data.coupon_id, now,
                                actor_user_id=by)
    if data.coupon_id is not None:  # one coupon per order: its subsidy is a leg of the same transfer
        return coupon_payments.pay_with_coupon(s, payer, merchant, data.amount_fen, data.coupon_id, data.memo,
                                               actor_user_id=by)
    if not actor.delegated:  # a relative's payments are bounded by their grant's limits instead
        service.check_merchant_payable(payer, merchant)
        screening = guardian.screen(s, settings, payer, data.amount_fen, now, merchant_id=merchant.id,
                                    guarded=actor.guarded)
        if screening is not None:  # risky for an elder with a guardian: the money waits in the holds account
            return _hold(s, settings, payer, screening, data, now, merchant=merchant)
    return service.pay_merchant(s, payer, merchant, data.amount_fen, data.memo, actor_user_id=by)


@router.post("/v1/payments/merchant", status_code=201, response_model=schemas.Receipt, responses=WAITING)
def pay_merchant(data: schemas.MerchantPaymentIn, actor: CurrentActor, db: DbDep, settings: SettingsDep,
                 hasher: HasherDep, clock: ClockDep, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    user = actor.subject
    if (data.merchant_id is None) == (data.qr_payload is None):
        raise ValidationFailed("Give either merchant_id or qr_payload (the scanned QR), not both or neither.")
    def act(s) -> schemas.Receipt | PendingPaymentOut:
        _refuse_while_locked(settings, actor, data.amount_fen)
        if data.qr_payload is not None:
            merchant, qr_amount = merchants.merchant_from_qr(s, data.qr_payload)
            if qr_amount is not None and qr_amount != data.amount_fen:
                raise ValidationFailed("The amount differs from the one in the merchant's QR. Scan it again.")
        else:
            merchant = merchants.get_merchant(s, data.merchant_id)
        scope = acting.payment_scope(merchant.category)
        acting.authorize(s, actor, scope, data.amount_fen)  # a relative: scope and limits, under the link's lock
        # The payer as the sign-in check loaded it moments ago (no second read), held in a local so the
        # session's identity map keeps it for the receipt (it holds objects only weakly).
        payer = s.merge(user, load=False)
        payment = _pay_shop(s, settings, actor, payer, merchant, data, clock())
        if isinstance(payment, _Waiting):
            return payment
        acting.record(s, actor, action="pay_merchant", scope=scope, amount=data.amount_fen,
                      transfer_id=payment.transfer_id, payee=merchant.name,
                      what=f"paid {merchant.name} {acting.yuan(data.amount_fen)} CNY")
        return service.receipt(s, payment)

    # The PIN is not part of the request's identity: a retry may carry it or not.
    request = data.model_dump(exclude={"pin"}) | {"route": "pay_merchant"}
    return _reply(run_once(db, scope=f"user:{user.id}", key=idempotency_key, request=request, action=act,
                           guard=_payment_guard(db, settings, hasher, actor, data.amount_fen, data.pin)))


@router.post("/v1/payments/p2p", status_code=201, response_model=schemas.Receipt, responses=WAITING)
def pay_person(data: schemas.P2PPaymentIn, user: CurrentUser, db: DbDep, settings: SettingsDep,
               hasher: HasherDep, clock: ClockDep, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    if data.funding not in (None, "wallet"):
        raise NotForTransfers("A family card pays shops only, not people. Send this from your wallet.")

    def act(s) -> schemas.Receipt | PendingPaymentOut:
        payer, now = s.get(User, user.id), clock()
        payee = service.find_payee(s, payer, data.to_username)
        screening = guardian.screen(s, settings, payer, data.amount_fen, now, payee_user_id=payee.id)
        if screening is not None:  # held for the guardian, or delayed because the payee is new
            return _hold(s, settings, payer, screening, data, now, payee=payee)
        return service.receipt(s, service.pay_person(s, payer, data.to_username, data.amount_fen, data.memo))

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
