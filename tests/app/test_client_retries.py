"""Retries happen only where repeating is harmless, and money moves under one key per call."""

from __future__ import annotations

import re

import httpx
import pytest
from tests.app.client_fakes import body_of, funding_body, ok, problem, receipt_body, refund_body, user_body

from app.errors import BankError, ConnectionLost, InsufficientFunds, NotFound, ServerUnavailable
from wallet_api.schemas import (
    FundingIn, FundingOut, MerchantPaymentIn, P2PPaymentIn, Receipt, RefundIn, RefundOut, RegisterIn, WalletOut,
)

WALLET = {"account_id": 4, "balance_fen": 5_000, "currency": "CNY"}

# (path, reply body, call) for every money-moving method.
MONEY_MOVING = [
    ("/v1/wallet/top-ups", funding_body("top_up"),
     lambda c, **kw: c.top_up(FundingIn(bank_card_id=1, amount_fen=10_000), **kw)),
    ("/v1/wallet/withdrawals", funding_body("withdrawal"),
     lambda c, **kw: c.withdraw(FundingIn(bank_card_id=1, amount_fen=10_000), **kw)),
    ("/v1/payments/merchant", receipt_body(),
     lambda c, **kw: c.pay_merchant(MerchantPaymentIn(merchant_id=2, amount_fen=1_250), **kw)),
    ("/v1/payments/p2p", receipt_body(kind="p2p", merchant_id=None),
     lambda c, **kw: c.pay_person(P2PPaymentIn(to_username="bob", amount_fen=1_250), **kw)),
    ("/v1/payments/5/refunds", refund_body(),
     lambda c, **kw: c.refund(5, RefundIn(amount_fen=250, reason="cold noodles"), **kw)),
]
MONEY_IDS = ["top_up", "withdraw", "pay_merchant", "pay_person", "refund"]


def test_get_is_retried_on_503_with_exponential_backoff(wallet_client, fake, sleeps):
    fake.on("GET", "/v1/wallet", problem(503, "service_unavailable"), problem(503, "service_unavailable"),
            ok(200, WALLET))
    assert wallet_client.wallet() == WalletOut(**WALLET)
    assert len(fake.requests) == 3
    assert sleeps == [0.2, 0.4]


@pytest.mark.parametrize("status", [502, 504])
def test_get_is_retried_on_gateway_errors(wallet_client, fake, status):
    fake.on("GET", "/v1/wallet", httpx.Response(status, text="gateway"), ok(200, WALLET))
    assert wallet_client.wallet().balance_fen == 5_000
    assert len(fake.requests) == 2


def test_503_retry_after_is_honoured(wallet_client, fake, sleeps):
    fake.on("GET", "/v1/wallet", problem(503, "service_unavailable", headers={"Retry-After": "2"}), ok(200, WALLET))
    wallet_client.wallet()
    assert sleeps == [2.0]


def test_503_retry_after_is_capped_at_five_seconds(wallet_client, fake, sleeps):
    fake.on("GET", "/v1/wallet", problem(503, "service_unavailable", headers={"Retry-After": "120"}),
            ok(200, WALLET))
    wallet_client.wallet()
    assert sleeps == [5.0]


def test_unparseable_retry_after_falls_back_to_backoff(wallet_client, fake, sleeps):
    fake.on("GET", "/v1/wallet",
            problem(503, "service_unavailable", headers={"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}),
            ok(200, WALLET))
    wallet_client.wallet()
    assert sleeps == [0.2]


@pytest.mark.parametrize("failure", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"),
                                     httpx.RemoteProtocolError("server hung up")])
def test_get_is_retried_on_connection_failures(wallet_client, fake, failure):
    fake.on("GET", "/v1/wallet", failure, ok(200, WALLET))
    assert wallet_client.wallet().account_id == 4
    assert len(fake.requests) == 2


def test_connection_failure_after_all_retries_is_connection_lost(wallet_client, fake, sleeps):
    fake.on("GET", "/v1/wallet", httpx.ConnectError("refused"))
    with pytest.raises(ConnectionLost):
        wallet_client.wallet()
    assert len(fake.requests) == 4          # the first try and 3 retries
    assert sleeps == [0.2, 0.4, 0.8]


def test_persistent_503_ends_as_server_unavailable(wallet_client, fake):
    fake.on("GET", "/v1/wallet", problem(503, "service_unavailable"))
    with pytest.raises(ServerUnavailable) as caught:
        wallet_client.wallet()
    assert caught.value.status == 503
    assert len(fake.requests) == 4


def test_other_4xx_is_never_retried(wallet_client, fake):
    fake.on("GET", "/v1/payments/99", problem(404, "not_found"))
    with pytest.raises(NotFound):
        wallet_client.payment(99)
    assert len(fake.requests) == 1


def test_post_without_idempotency_key_is_not_retried(wallet_client, fake):
    fake.on("POST", "/v1/auth/register", problem(503, "service_unavailable"), ok(201, user_body()))
    with pytest.raises(ServerUnavailable):
        wallet_client.register(RegisterIn(username="alice", password="long enough", display_name="Alice"))
    assert len(fake.requests) == 1


def test_post_without_idempotency_key_is_not_retried_after_a_timeout(wallet_client, fake):
    fake.on("POST", "/v1/auth/register", httpx.ReadTimeout("slow"), ok(201, user_body()))
    with pytest.raises(ConnectionLost):
        wallet_client.register(RegisterIn(username="alice", password="long enough", display_name="Alice"))
    assert len(fake.requests) == 1


@pytest.mark.parametrize(("path", "reply", "call"), MONEY_MOVING, ids=MONEY_IDS)
def test_money_moving_call_reuses_one_generated_key_for_all_retries(wallet_client, fake, path, reply, call):
    fake.on("POST", path, httpx.ReadTimeout("answer lost"), problem(503, "service_unavailable"),
            httpx.Response(504, text="gateway timeout"), ok(201, reply))
    result = call(wallet_client)
    assert result.model_dump(mode="json") == type(result).model_validate(reply).model_dump(mode="json")
    keys = {r.headers.get("Idempotency-Key") for r in fake.requests}
    assert len(fake.requests) == 4
    assert len(keys) == 1
    assert re.fullmatch(r"[0-9a-f]{32}", keys.pop())


@pytest.mark.parametrize(("path", "reply", "call"), MONEY_MOVING, ids=MONEY_IDS)
def test_each_money_moving_call_gets_its_own_key(wallet_client, fake, path, reply, call):
    fake.on("POST", path, ok(201, reply))
    call(wallet_client)
    call(wallet_client)
    first, second = (r.headers["Idempotency-Key"] for r in fake.requests)
    assert first != second


@pytest.mark.parametrize(("path", "reply", "call"), MONEY_MOVING, ids=MONEY_IDS)
def test_caller_supplied_key_is_sent_as_given(wallet_client, fake, path, reply, call):
    fake.on("POST", path, ok(201, reply))
    call(wallet_client, idempotency_key="order-2026-11-22-0001")
    assert fake.requests[0].headers["Idempotency-Key"] == "order-2026-11-22-0001"


def test_refusal_of_a_keyed_post_is_not_retried(wallet_client, fake):
    fake.on("POST", "/v1/payments/p2p", problem(409, "insufficient_funds", balance_fen=100))
    with pytest.raises(InsufficientFunds) as caught:
        wallet_client.pay_person(P2PPaymentIn(to_username="bob", amount_fen=1_250, pin="123456"))
    assert caught.value.extra["balance_fen"] == 100
    assert len(fake.requests) == 1


def test_bank_timeout_after_retries_is_a_bank_error(wallet_client, fake):
    fake.on("POST", "/v1/wallet/top-ups", problem(504, "bank_timeout"))
    with pytest.raises(BankError):
        wallet_client.top_up(FundingIn(bank_card_id=1, amount_fen=10_000))
    assert len(fake.requests) == 4
    assert len({r.headers["Idempotency-Key"] for r in fake.requests}) == 1


def test_request_bodies_are_the_schema_json(wallet_client, fake):
    fake.on("POST", "/v1/payments/merchant", ok(201, receipt_body()))
    receipt = wallet_client.pay_merchant(MerchantPaymentIn(qr_payload="000201...", amount_fen=1_250, pin="123456",
                                                    memo=" lunch "))
    assert isinstance(receipt, Receipt)
    assert body_of(fake.requests[0]) == {"merchant_id": None, "qr_payload": "000201...", "amount_fen": 1_250,
                                         "pin": "123456", "memo": "lunch", "coupon_id": None, "funding": None}


def test_zero_retries_means_one_attempt(fake, sleeps):
    from app.api_client import WalletClient
    http = httpx.Client(transport=httpx.MockTransport(fake))
    wallet_client = WalletClient("http://wallet.test", http=http, retries=0, sleep=sleeps.append)
    fake.on("GET", "/v1/wallet", problem(503, "service_unavailable"))
    with pytest.raises(ServerUnavailable):
        wallet_client.wallet()
    assert len(fake.requests) == 1 and sleeps == []


def test_results_are_typed_models(wallet_client, fake):
    fake.on("POST", "/v1/wallet/withdrawals", ok(201, funding_body("withdrawal", status="pending")))
    fake.on("POST", "/v1/payments/5/refunds", ok(201, refund_body()))
    assert wallet_client.withdraw(FundingIn(bank_card_id=1, amount_fen=500)) == FundingOut(
        **funding_body("withdrawal", status="pending"))
    assert isinstance(wallet_client.refund(5, RefundIn(amount_fen=250)), RefundOut)
