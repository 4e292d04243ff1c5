"""Prepaid cards with escrow: merchants' products, sales and charges; holders' cards, refunds and
complaints; the regulator's coverage table, alerts, policies and defaults."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from wallet_api import schemas
from wallet_api.api.deps import (ClockDep, CurrentActor, CurrentUser, DbDep, GatewayDep, HasherDep, IdempotencyKey,
                                 SettingsDep, require_role)
from wallet_api.auth.models import User
from wallet_api.auth.service import check_pin, refuse_if_locked
from wallet_api.db import transaction
from wallet_api.errors import InvalidQr, NotFound, ValidationFailed
from wallet_api.family import acting
from wallet_api.funding import service as funding
from wallet_api.idempotency import Outcome, require_key, run_once
from wallet_api.merchants.emvco import EmvcoError
from wallet_api.merchants.service import get_merchant
from wallet_api.payments.service import wallet_balance
from wallet_api.prepaid import alerts, service, views
from wallet_api.prepaid.errors import PrepaidNotEnrolled
from wallet_api.prepaid.models import PrepaidAlert, PrepaidMerchant, PrepaidProduct
from wallet_api.prepaid.policy import PolicyValues, current_policy
from wallet_api.prepaid.service import OverLimit
from wallet_api.schemas import prepaid as wire

router = APIRouter(tags=["prepaid"])
Regulator = Annotated[User, require_role("regulator")]


def _reply(outcome: Outcome) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)


@contextmanager
def _alert_on_refusal(db, now: datetime) -> Iterator[None]:
    """A sale or top-up above the limit is refused and rolls back; its alert is committed on its own."""
    try:
        yield
    except OverLimit as refusal:
        with transaction(db) as s:
            alerts.record_over_limit(s, refusal.merchant_id, refusal.evidence, now)
        raise


def _pin_if_needed(db, settings, hasher, actor: acting.Actor, amount: int, pin: str | None) -> None:
    """A relative never knows the elder's PIN: the grant's limits bound their payments (acting.authorize)."""
    user = actor.subject
    if amount > settings.pin_free_limit_fen and not actor.delegated:
        check_pin(db, settings, hasher, user.id, pin)
    else:
        refuse_if_locked(user)


def _bank_key(key: str) -> str:
    """The funding operation's own key, derived from the purchase's: a retry finds the same bank debit."""
    return "prepaid-" + hashlib.sha256(key.encode()).hexdigest()[:40]


def _pay_in_from_bank(db, gateway, user: User, bank_card_id: int, amount: int, key: str) -> None:
    funding.top_up(db, gateway, user, schemas.FundingIn(bank_card_id=bank_card_id, amount_fen=amount),
                   _bank_key(key))


# ---- merchant -----------------------------------------------------------------------------------

@router.post("/v1/prepaid/merchants/{merchant_id}/products", status_code=201, response_model=wire.ProductOut)
def define_product(merchant_id: int, data: wire.ProductIn, user: CurrentUser, db: DbDep,
                   clock: ClockDep) -> wire.ProductOut:
    with transaction(db) as s:
        merchant = service.owned_merchant(s, user, merchant_id)
        product = service.define_product(s, merchant, name=data.name, face_value_fen=data.face_value_fen,
                                         bonus_value_fen=data.bonus_value_fen, validity_days=data.validity_days,
                                         named=data.named, now=clock())
        return views.product_out(s, product)


@router.patch("/v1/prepaid/merchants/{merchant_id}/products/{product_id}", response_model=wire.ProductOut)
def put_on_sale(merchant_id: int, product_id: int, data: wire.ProductOnSaleIn, user: CurrentUser,
                db: DbDep, clock: ClockDep) -> wire.ProductOut:
    with transaction(db) as s:
        merchant = service.owned_merchant(s, user, merchant_id)
        return views.product_out(s, service.set_on_sale(s, merchant, product_id, data.on_sale, clock()))


@router.get("/v1/prepaid/merchants/{merchant_id}/products/{product_id}/qr", response_model=wire.ProductQrOut)
def product_qr(merchant_id: int, product_id: int, user: CurrentUser, db: DbDep) -> wire.ProductQrOut:
    """The QR the merchant shows at the counter to sell this card (the customer scans it to buy)."""
    with transaction(db) as s:
        merchant = service.owned_merchant(s, user, merchant_id)
        product = s.get(PrepaidProduct, product_id)
        if product is None or product.merchant_id != merchant.id:
            raise NotFound(f"{merchant.name} has no card product {product_id}.")
        return wire.ProductQrOut(product_id=product.id, qr_payload=views.product_qr(s, product))


@router.get("/v1/prepaid/merchants/{merchant_id}", response_model=wire.PrepaidMerchantOut)
def merchant_overview(merchant_id: int, user: CurrentUser, db: DbDep, clock: ClockDep) -> wire.PrepaidMerchantOut:
    """The merchant's escrowed funds, outstanding card balances, what has been released to it, its alerts."""
    with transaction(db) as s:
        service.owned_merchant(s, user, merchant_id)
        return views.merchant_out(s, _profile(s, merchant_id), clock())


@router.get("/v1/prepaid/merchants/{merchant_id}/cards", response_model=list[wire.CardOut])
def merchant_cards(merchant_id: int, user: CurrentUser, db: DbDep, clock: ClockDep,
                   status: Annotated[str | None, Query(pattern="^(active|closed)$")] = None) -> list[wire.CardOut]:
    with transaction(db) as s:
        service.owned_merchant(s, user, merchant_id)
        return views.cards_of_merchant(s, merchant_id, clock(), status=status)


@router.get("/v1/prepaid/merchants/{merchant_id}/alerts", response_model=list[wire.AlertOut])
def merchant_alerts(merchant_id: int, user: CurrentUser, db: DbDep, open_only: bool = False) -> list[wire.AlertOut]:
    with transaction(db) as s:
        service.owned_merchant(s, user, merchant_id)
        return views.alerts_list(s, merchant_id=merchant_id, open_only=open_only)


@router.post("/v1/prepaid/merchants/{merchant_id}/charges", status_code=201, response_model=wire.ChargeOut)
def charge(merchant_id: int, data: wire.ChargeIn, user: CurrentUser, db: DbDep, clock: ClockDep,
           idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Charge a card for what the customer consumed; escrow releases exactly that to the merchant."""
    def act(s) -> wire.ChargeOut:
        merchant = service.owned_merchant(s, user, merchant_id)
        done = service.charge_card(s, merchant, data.card_id, data.amount_fen, data.description, clock())
        return wire.ChargeOut(card_id=done.card.id, transfer_id=done.transfer_id, amount_fen=done.amount,
                              released_fen=done.released, card_balance_fen=done.balance_after)

    request = data.model_dump() | {"route": "prepaid_charge", "merchant_id": merchant_id}
    return _reply(run_once(db, scope=f"user:{user.id}", key=idempotency_key, request=request, action=act))


@router.post("/v1/prepaid/merchants/{merchant_id}/escrow/withdrawals", status_code=201,
             response_model=wire.EscrowWithdrawalOut)
def withdraw_escrow(merchant_id: int, data: wire.EscrowWithdrawalIn, user: CurrentUser, db: DbDep, clock: ClockDep,
                    idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Ratio policy only: move escrow above the required share to the merchant's settlement account."""
    def act(s) -> wire.EscrowWithdrawalOut:
        merchant = service.owned_merchant(s, user, merchant_id)
        transfer_id, b = service.withdraw_escrow(s, merchant, data.amount_fen, clock())
        return wire.EscrowWithdrawalOut(transfer_id=transfer_id, amount_fen=data.amount_fen, escrow_fen=b.escrow,
                                        required_fen=b.required)

    request = data.model_dump() | {"route": "prepaid_escrow_withdrawal", "merchant_id": merchant_id}
    return _reply(run_once(db, scope=f"user:{user.id}", key=idempotency_key, request=request, action=act))


@router.post("/v1/prepaid/merchants/{merchant_id}/closing-notice", status_code=201,
             response_model=wire.ClosingNoticeOut)
def closing_notice(merchant_id: int, user: CurrentUser, db: DbDep, clock: ClockDep) -> wire.ClosingNoticeOut:
    """Give notice of closing: sales stop now, holders are told, the shop closes after the notice period."""
    with transaction(db) as s:
        merchant = service.owned_merchant(s, user, merchant_id)
        pm, outstanding, told = service.give_closing_notice(s, merchant, clock())
        return wire.ClosingNoticeOut(merchant_id=merchant_id, closes_at=pm.closes_at, outstanding_fen=outstanding,
                                     holders_notified=told)


# ---- consumer -----------------------------------------------------------------------------------

@router.get("/v1/prepaid/products", response_model=list[wire.ProductOut])
def products_on_sale(user: CurrentUser, db: DbDep, merchant_id: int | None = None) -> list[wire.ProductOut]:
    with transaction(db) as s:
        return views.products_on_sale(s, merchant_id=merchant_id)


def _product_id(data: wire.BuyCardIn) -> int:
    if (data.product_id is None) == (data.qr_payload is None):
        raise ValidationFailed("Give either product_id or qr_payload (the scanned card QR), not both or neither.")
    if data.product_id is not None:
        return data.product_id
    try:
        _merchant_id, product_id, _amount = views.product_from_qr(data.qr_payload)
    except (EmvcoError, ValueError) as exc:
        raise InvalidQr(f"This is not a prepaid-card QR ({exc}). Ask the shop to show the card's QR again.") from None
    return product_id


@router.post("/v1/prepaid/cards", status_code=201, response_model=wire.CardOut)
def buy_card(data: wire.BuyCardIn, actor: CurrentActor, db: DbDep, settings: SettingsDep, hasher: HasherDep,
             gateway: GatewayDep, clock: ClockDep, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Buy a card with wallet funds, or with a linked bank card (the bank pays into the wallet first,
    under a key derived from this request's, so a retry never debits the bank twice)."""
    product_id, now = _product_id(data), clock()
    user = actor.subject

    def before_paying() -> None:
        # Runs only when there is no stored answer to replay: PIN, then every check, then the bank.
        with transaction(db) as s:
            price = service.get_product(s, product_id).face_value_fen
        _pin_if_needed(db, settings, hasher, actor, price, data.pin)
        with transaction(db) as s:
            # Before any bank debit: a relative out of scope or over the limit stops here (counted in act).
            acting.authorize(s, actor, acting.Scope.PAY_MERCHANTS, price, count=False)
            service.precheck_sale(s, s.get(User, user.id), product_id, now)
        if data.bank_card_id is not None:
            _pay_in_from_bank(db, gateway, user, data.bank_card_id, price, require_key(idempotency_key))

    def act(s) -> wire.CardOut:
        product = service.get_product(s, product_id)
        acting.authorize(s, actor, acting.Scope.PAY_MERCHANTS, product.face_value_fen)
        card = service.buy_card(s, s.get(User, user.id), product_id, now)
        acting.record(s, actor, action="buy_prepaid_card", scope=acting.Scope.PAY_MERCHANTS,
                      amount=product.face_value_fen, transfer_id=card.purchase_transfer_id, payee=product.name,
                      what=f"bought the prepaid card {product.name} ({acting.yuan(product.face_value_fen)} CNY)")
        return views.card_out(s, card, now)

    request = data.model_dump(exclude={"pin", "qr_payload"}) | {"route": "prepaid_buy", "product_id": product_id}
    with _alert_on_refusal(db, now):
        return _reply(run_once(db, scope=f"user:{user.id}", key=idempotency_key, request=request, action=act,
                               guard=before_paying))


@router.get("/v1/prepaid/cards", response_model=list[wire.CardOut])
def my_cards(user: CurrentUser, db: DbDep, clock: ClockDep) -> list[wire.CardOut]:
    with transaction(db) as s:
        return views.cards_of_holder(s, user.id, clock())


@router.get("/v1/prepaid/cards/{card_id}", response_model=wire.CardDetail)
def card_detail(card_id: int, user: CurrentUser, db: DbDep, clock: ClockDep) -> wire.CardDetail:
    """Balance, validity and the card's full history; each entry's transfer_id has a journal proof at
    /v1/wallet/transfers/{id}/proof."""
    with transaction(db) as s:
        return views.card_detail(s, service.holder_card(s, user, card_id), clock())


@router.post("/v1/prepaid/cards/{card_id}/top-ups", status_code=201, response_model=wire.CardOut)
def top_up_card(card_id: int, data: wire.CardTopUpIn, actor: CurrentActor, db: DbDep, settings: SettingsDep,
                hasher: HasherDep, gateway: GatewayDep, clock: ClockDep,
                idempotency_key: IdempotencyKey = None) -> JSONResponse:
    now, user = clock(), actor.subject

    def before_paying() -> None:
        _pin_if_needed(db, settings, hasher, actor, data.amount_fen, data.pin)
        with transaction(db) as s:
            acting.authorize(s, actor, acting.Scope.PAY_MERCHANTS, data.amount_fen, count=False)  # counted in act
            service.precheck_top_up(s, s.get(User, user.id), card_id, data.amount_fen, now)
        if data.bank_card_id is not None:
            _pay_in_from_bank(db, gateway, user, data.bank_card_id, data.amount_fen, require_key(idempotency_key))

    def act(s) -> wire.CardOut:
        acting.authorize(s, actor, acting.Scope.PAY_MERCHANTS, data.amount_fen)
        card = service.top_up_card(s, s.get(User, user.id), card_id, data.amount_fen, now)
        acting.record(s, actor, action="top_up_prepaid_card", scope=acting.Scope.PAY_MERCHANTS, amount=data.amount_fen,
                      transfer_id=acting.last_wallet_transfer(s, user.id) if actor.delegated else None,
                      what=f"topped up your prepaid card {card_id} with {acting.yuan(data.amount_fen)} CNY")
        return views.card_out(s, card, now)

    request = data.model_dump(exclude={"pin"}) | {"route": "prepaid_top_up", "card_id": card_id}
    with _alert_on_refusal(db, now):
        return _reply(run_once(db, scope=f"user:{user.id}", key=idempotency_key, request=request, action=act,
                               guard=before_paying))


@router.post("/v1/prepaid/cards/{card_id}/refund", status_code=201, response_model=wire.CardRefundOut)
def refund_card(card_id: int, data: wire.CardRefundIn, actor: CurrentActor, db: DbDep, clock: ClockDep,
                idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Return the card: in full within the cooling-off period if unused, else its remaining balance."""
    user = actor.subject

    def act(s) -> wire.CardRefundOut:
        acting.authorize(s, actor, acting.Scope.MANAGE_CARDS)
        done = service.refund_card(s, s.get(User, user.id), card_id, data.kind, clock())
        acting.record(s, actor, action="refund_prepaid_card", scope=acting.Scope.MANAGE_CARDS, amount=done.to_holder,
                      transfer_id=done.transfer_id,
                      what=f"returned your prepaid card {card_id}; {acting.yuan(done.to_holder)} CNY came back")
        return wire.CardRefundOut(card_id=card_id, kind=done.kind, card_balance_fen=done.balance,
                                  refunded_fen=done.to_holder, returned_to_merchant_fen=done.to_merchant,
                                  transfer_id=done.transfer_id, wallet_balance_fen=wallet_balance(s, user.id))

    request = data.model_dump() | {"route": "prepaid_refund", "card_id": card_id}
    return _reply(run_once(db, scope=f"user:{user.id}", key=idempotency_key, request=request, action=act))


@router.post("/v1/prepaid/complaints", status_code=201, response_model=wire.ComplaintOut)
def complain(data: wire.ComplaintIn, user: CurrentUser, db: DbDep, clock: ClockDep) -> wire.ComplaintOut:
    with transaction(db) as s:
        complaint = service.file_complaint(s, s.get(User, user.id), data.merchant_id, data.category, data.text,
                                           clock())
        return views.complaint_out(s, complaint)


@router.get("/v1/prepaid/complaints", response_model=list[wire.ComplaintOut])
def my_complaints(user: CurrentUser, db: DbDep) -> list[wire.ComplaintOut]:
    with transaction(db) as s:
        return views.complaints_list(s, user_id=user.id)


# ---- regulator ----------------------------------------------------------------------------------

@router.get("/v1/regulator/prepaid/merchants", response_model=list[wire.PrepaidMerchantOut])
def coverage_table(regulator: Regulator, db: DbDep, clock: ClockDep,
                   outstanding_only: bool = False) -> list[wire.PrepaidMerchantOut]:
    """Every enrolled merchant: outstanding card balances, escrow held, coverage, open alerts (least covered first)."""
    with transaction(db) as s:
        return views.coverage_table(s, clock(), outstanding_only=outstanding_only)


@router.get("/v1/regulator/prepaid/alerts", response_model=list[wire.AlertOut])
def regulator_alerts(regulator: Regulator, db: DbDep, open_only: bool = True,
                     merchant_id: int | None = None) -> list[wire.AlertOut]:
    with transaction(db) as s:
        return views.alerts_list(s, merchant_id=merchant_id, open_only=open_only)


@router.post("/v1/regulator/prepaid/alerts/{alert_id}/acknowledge", response_model=wire.AlertOut)
def acknowledge_alert(alert_id: int, regulator: Regulator, db: DbDep, clock: ClockDep) -> wire.AlertOut:
    with transaction(db) as s:
        alert = s.get(PrepaidAlert, alert_id, with_for_update=True)
        if alert is None:
            raise NotFound(f"There is no alert {alert_id}.")
        return views.alert_out(s, alerts.acknowledge(s, alert, regulator.id, clock()))


@router.put("/v1/regulator/prepaid/merchants/{merchant_id}/policy", response_model=wire.PrepaidMerchantOut)
def set_merchant_policy(merchant_id: int, data: wire.MerchantPolicyIn, regulator: Regulator, db: DbDep,
                        clock: ClockDep, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Full (100 %, release per consumption) or ratio escrow. A stricter policy tops escrow up from the
    merchant's settlement balance at once, so it can move money: it needs an Idempotency-Key."""
    def act(s) -> wire.PrepaidMerchantOut:
        now = clock()
        pm = service.set_merchant_policy(s, regulator, get_merchant(s, merchant_id), escrow_policy=data.escrow_policy,
                                         issuer_type=data.issuer_type, now=now)
        return views.merchant_out(s, pm, now)

    request = data.model_dump() | {"route": "prepaid_merchant_policy", "merchant_id": merchant_id}
    return _reply(run_once(db, scope=f"user:{regulator.id}", key=idempotency_key, request=request, action=act,
                           status_code=200))


@router.post("/v1/regulator/prepaid/merchants/{merchant_id}/default", status_code=201, response_model=wire.DefaultOut)
def declare_default(merchant_id: int, regulator: Regulator, db: DbDep, clock: ClockDep,
                    idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Declare the merchant in default: every outstanding card balance goes from escrow to its holder's
    wallet in one transfer, every card closes, sales stop, every holder is told."""
    def act(s) -> wire.DefaultOut:
        r = service.declare_default(s, regulator, get_merchant(s, merchant_id), clock())
        return wire.DefaultOut(merchant_id=r.merchant_id, cards_closed=r.cards_closed, holders=r.holders,
                               refunded_fen=r.refunded, unrecovered_fen=r.unrecovered,
                               returned_to_merchant_fen=r.returned_to_merchant, transfer_id=r.transfer_id)

    request = {"route": "prepaid_default", "merchant_id": merchant_id}
    return _reply(run_once(db, scope=f"user:{regulator.id}", key=idempotency_key, request=request, action=act))


@router.get("/v1/regulator/prepaid/policy", response_model=wire.ProgrammePolicy)
def get_policy(regulator: Regulator, db: DbDep) -> wire.ProgrammePolicy:
    with transaction(db) as s:
        return wire.ProgrammePolicy(**current_policy(s).as_dict())


@router.put("/v1/regulator/prepaid/policy", response_model=wire.ProgrammePolicy)
def put_policy(data: wire.ProgrammePolicy, regulator: Regulator, db: DbDep, clock: ClockDep,
               idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Change the programme's numbers. Raising a ratio tops escrow up from settlement balances at once."""
    def act(s) -> wire.ProgrammePolicy:
        service.apply_programme_policy(s, regulator, PolicyValues(**data.model_dump()), clock())
        return data

    request = data.model_dump() | {"route": "prepaid_policy"}
    return _reply(run_once(db, scope=f"user:{regulator.id}", key=idempotency_key, request=request, action=act,
                           status_code=200))


@router.get("/v1/regulator/prepaid/complaints", response_model=list[wire.ComplaintOut])
def regulator_complaints(regulator: Regulator, db: DbDep, open_only: bool = True,
                         merchant_id: int | None = None) -> list[wire.ComplaintOut]:
    with transaction(db) as s:
        return views.complaints_list(s, merchant_id=merchant_id, open_only=open_only)


@router.post("/v1/regulator/prepaid/complaints/{complaint_id}/resolve", response_model=wire.ComplaintOut)
def resolve_complaint(complaint_id: int, data: wire.ComplaintResolveIn, regulator: Regulator, db: DbDep,
                      clock: ClockDep) -> wire.ComplaintOut:
    with transaction(db) as s:
        return views.complaint_out(s, service.resolve_complaint(s, complaint_id, data.resolution, clock()))


def _profile(s, merchant_id: int) -> PrepaidMerchant:
    pm = s.get(PrepaidMerchant, merchant_id)
    if pm is None:
        raise PrepaidNotEnrolled("This shop sells no prepaid cards yet: define a card product first.")
    return pm
