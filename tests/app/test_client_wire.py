"""What each WalletClient method puts on the wire (method, path, query) and the model it returns.

Only request shaping is checked here; what the real server does with the requests is for the
integration tests against wallet_api.main:create_app.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from tests.app.client_fakes import (
    NOW, body_of, funding_body, history_item, ok, problem, receipt_body, refund_body, tokens_body, user_body,
)
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.testclient import TestClient

from app.api_client import WalletClient
from app.errors import NotFound, PinLocked
from wallet_api.schemas import (
    BankCardIn, BankCardOut, CheckpointOut, FundingIn, FundingOut, HistoryPage, JournalKeyOut, MerchantIn,
    MerchantOut, NotificationOut, P2PPaymentIn, PreferencesIn, PreferencesOut, QrIn, QrOut, RealNameIn, Receipt,
    RefundIn, RefundOut, RegisterIn, SetPinIn, TokensOut, UserOut, WalletOut,
)

CARD = {"id": 1, "bank_name": "ICBC", "last4": "4321", "holder_name": "Alice", "status": "active"}
MERCHANT = {"id": 2, "name": "Noodle Bar", "local_name": None, "category": "dining", "region": "Shanghai",
            "city": "Shanghai", "status": "active", "qr_payload": "000201..."}
NOTE = {"id": 9, "category": "transactional", "message_key": "note.paid", "params": {"amount_fen": 100},
        "text": "You paid 1.00", "created_at": NOW, "read_at": None}
CHECKPOINT = {"seq": 1, "created_at": NOW, "transfer_count": 3, "first_transfer_id": 1, "last_transfer_id": 3,
              "merkle_root": "aa" * 32, "prev_root": "00" * 32, "key_id": "0123456789abcdef", "signature": "bb" * 64}

# (call, method, path, reply status, reply body, model returned or None)
ENDPOINTS = [
    (lambda c: c.register(RegisterIn(username="alice", password="long enough", display_name="Alice")),
     "POST", "/v1/auth/register", 201, user_body(), UserOut),
    (lambda c: c.refresh("refresh-token-x"), "POST", "/v1/auth/refresh", 200, tokens_body(), TokensOut),
    (lambda c: c.me(), "GET", "/v1/me", 200, user_body(), UserOut),
    (lambda c: c.set_pin(SetPinIn(pin="123456", password="pw")), "PUT", "/v1/me/pin", 204, None, None),
    (lambda c: c.verify_real_name(RealNameIn(real_name="Li Hua", national_id="11010519491231002X")),
     "POST", "/v1/me/real-name", 200, user_body(real_name_verified=True), UserOut),
    (lambda c: c.preferences(), "GET", "/v1/me/preferences", 200, {"marketing_allowed": False, "language": "en"},
     PreferencesOut),
    (lambda c: c.wallet(), "GET", "/v1/wallet", 200, {"account_id": 4, "balance_fen": 0, "currency": "CNY"},
     WalletOut),
    (lambda c: c.add_bank_card(BankCardIn(card_number="6222020200112233445", holder_name="Alice")),
     "POST", "/v1/bank-cards", 201, CARD, BankCardOut),
    (lambda c: c.bank_cards(), "GET", "/v1/bank-cards", 200, [CARD], BankCardOut),
    (lambda c: c.remove_bank_card(1), "DELETE", "/v1/bank-cards/1", 204, None, None),
    (lambda c: c.top_up(FundingIn(bank_card_id=1, amount_fen=100)), "POST", "/v1/wallet/top-ups", 201,
     funding_body(), FundingOut),
    (lambda c: c.payment(5), "GET", "/v1/payments/5", 200, receipt_body(), Receipt),
    (lambda c: c.refund(5, RefundIn(amount_fen=250)), "POST", "/v1/payments/5/refunds", 201, refund_body(),
     RefundOut),
    (lambda c: c.create_merchant(MerchantIn(name="Noodle Bar", category="dining", region="Shanghai",
                                            city="Shanghai")),
     "POST", "/v1/merchants", 201, MERCHANT, MerchantOut),
    (lambda c: c.my_merchants(), "GET", "/v1/merchants/mine", 200, [MERCHANT], MerchantOut),
    (lambda c: c.merchant(2), "GET", "/v1/merchants/2", 200, MERCHANT, MerchantOut),
    (lambda c: c.merchant_payments(2), "GET", "/v1/merchants/2/payments", 200, [receipt_body()], Receipt),
    (lambda c: c.parse_qr(QrIn(payload="000201...")), "POST", "/v1/merchants/qr/parse", 200,
     {"merchant_id": 2, "merchant_name": "Noodle Bar", "local_name": None, "amount_fen": None}, QrOut),
    (lambda c: c.mark_notification_read(9), "POST", "/v1/notifications/9/read", 204, None, None),
    (lambda c: c.journal_key(), "GET", "/v1/journal/key", 200,
     {"public_key": "cc" * 32, "key_id": "0123456789abcdef", "algorithm": "Ed25519"}, JournalKeyOut),
    (lambda c: c.latest_checkpoint(), "GET", "/v1/journal/checkpoints/latest", 200, CHECKPOINT, CheckpointOut),
]


@pytest.mark.parametrize(("call", "method", "path", "status", "reply", "model"), ENDPOINTS,
                         ids=[f"{e[1]} {e[2]}" for e in ENDPOINTS])
def test_method_hits_its_endpoint_and_returns_its_model(wallet_client, fake, call, method, path, status, reply, model):
    fake.on(method, path, ok(status, reply))
    result = call(wallet_client)
    (request,) = fake.requests
    assert (request.method, request.url.path) == (method, path)
    if model is None:
        assert result is None
    elif isinstance(reply, list):
        assert [type(item) for item in result] == [model] * len(reply)
    else:
        assert isinstance(result, model)


def test_patch_preferences_sends_only_what_was_set(wallet_client, fake):
    fake.on("PATCH", "/v1/me/preferences", ok(200, {"marketing_allowed": True, "language": "ko"}))
    assert wallet_client.update_preferences(PreferencesIn(language="ko")).language == "ko"
    assert body_of(fake.requests[0]) == {"language": "ko"}


def test_history_sends_only_given_filters(wallet_client, fake):
    fake.on("GET", "/v1/wallet/history", ok(200, {"items": [history_item(1)], "next_cursor": None}))
    page = wallet_client.history(limit=20, direction="out", since=datetime(2026, 11, 1, tzinfo=UTC))
    assert isinstance(page, HistoryPage)
    assert dict(fake.requests[0].url.params) == {"limit": "20", "direction": "out",
                                                 "since": "2026-11-01T00:00:00+00:00"}


def test_iter_history_follows_cursors_and_keeps_filters(wallet_client, fake):
    fake.on("GET", "/v1/wallet/history",
            ok(200, {"items": [history_item(9), history_item(8)], "next_cursor": 8}),
            ok(200, {"items": [history_item(7)], "next_cursor": None}))
    items = list(wallet_client.iter_history(kind="payment", limit=2))
    assert [i.posting_id for i in items] == [9, 8, 7]
    assert [dict(r.url.params) for r in fake.requests] == [{"limit": "2", "kind": "payment"},
                                                           {"limit": "2", "kind": "payment", "cursor": "8"}]


def test_iter_history_stops_on_a_cursor_that_does_not_move(wallet_client, fake):
    fake.on("GET", "/v1/wallet/history", ok(200, {"items": [history_item(9)], "next_cursor": 9}))
    assert len(list(wallet_client.iter_history(cursor=9))) == 1
    assert len(fake.requests) == 1


@pytest.mark.parametrize(("unread_only", "sent"), [(True, "true"), (False, "false")])
def test_notifications_filter(wallet_client, fake, unread_only, sent):
    fake.on("GET", "/v1/notifications", ok(200, [NOTE]))
    (note,) = wallet_client.notifications(unread_only=unread_only)
    assert isinstance(note, NotificationOut)
    assert fake.requests[0].url.params["unread_only"] == sent


def test_health_needs_no_session(wallet_client, fake, tokens):
    tokens.save("access-1", "refresh-token-1")
    fake.on("GET", "/healthz", ok(200, {"status": "ok"}))
    assert wallet_client.health() == {"status": "ok"}
    assert "Authorization" not in fake.requests[0].headers


def test_transfer_proof_path(wallet_client, fake):
    fake.on("GET", "/v1/wallet/transfers/12/proof", problem(404, "not_found"))
    with pytest.raises(NotFound):
        wallet_client.transfer_proof(12)
    assert fake.requests[0].url.path == "/v1/wallet/transfers/12/proof"


def test_works_over_starlette_testclient():
    # Integration tests will hand the client a TestClient for the real app; the plumbing must fit.
    api = FastAPI()

    @api.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @api.post("/v1/payments/p2p")
    def locked():
        return JSONResponse({"type": "x", "title": "Payments locked", "status": 423, "detail": "wait",
                             "code": "pin_locked", "message_key": "error.pin_locked",
                             "locked_until": "2026-11-22T11:15:00Z"}, status_code=423,
                            media_type="application/problem+json")

    with TestClient(api) as http:
        wallet_client = WalletClient("http://testserver", http=http)
        assert wallet_client.health() == {"status": "ok"}
        with pytest.raises(PinLocked) as caught:
            wallet_client.pay_person(P2PPaymentIn(to_username="bob", amount_fen=100, pin="123456"))
    assert caught.value.locked_until == datetime(2026, 11, 22, 11, 15, tzinfo=UTC)


def test_own_http_client_is_created_and_closed():
    wallet_client = WalletClient("http://wallet.test/")
    http = wallet_client._t.http
    assert isinstance(http, httpx.Client)
    wallet_client.close()
    assert http.is_closed
