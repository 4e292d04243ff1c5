"""The client core against the real server (real app, real SQLite and PostgreSQL): no fakes."""

from __future__ import annotations

import pytest

from app.api_client import WalletClient
from app.errors import InsufficientFunds, NotAuthenticated, PinIncorrect
from app.proof import verify_transfer_proof
from wallet_api.schemas import (BankCardIn, FundingIn, LoginIn, MerchantIn, MerchantPaymentIn, P2PPaymentIn,
                                RegisterIn, SetPinIn)

PASSWORD = "a long enough password"


def signed_in(client, username: str, *, roles=("consumer",)) -> WalletClient:
    wallet = WalletClient("http://testserver", http=client)
    wallet.register(RegisterIn(username=username, password=PASSWORD, display_name=username.title(),
                               roles=list(roles)))
    wallet.login(LoginIn(username=username, password=PASSWORD))
    wallet.set_pin(SetPinIn(pin="112233", password=PASSWORD))
    return wallet


def test_a_consumer_tops_up_pays_and_checks_the_proof_offline(client):
    grandma = signed_in(client, "grandma")
    card = grandma.add_bank_card(BankCardIn(card_number="6222020000000090001", holder_name="Grandma"))
    assert grandma.top_up(FundingIn(bank_card_id=card.id, amount_fen=20_000)).balance_fen == 20_000

    shopkeeper = signed_in(client, "shopkeeper", roles=("merchant",))
    shop = shopkeeper.create_merchant(MerchantIn(name="Corner Shop", local_name="街角小店", category="supermarket",
                                                 region="weihai-huancui", city="Weihai"))

    body = MerchantPaymentIn(qr_payload=shop.qr_payload, amount_fen=6_600, pin="112233")
    receipt = grandma.pay_merchant(body, idempotency_key="grandma-pay-0001")
    again = grandma.pay_merchant(body, idempotency_key="grandma-pay-0001")  # a retry after a lost answer
    assert again.id == receipt.id and receipt.payee == "街角小店"
    assert grandma.wallet().balance_fen == 13_400

    key = grandma.journal_key().public_key
    proof = grandma.transfer_proof(receipt.transfer_id)
    assert verify_transfer_proof(proof, key) == []
    assert [item.amount_fen for item in grandma.iter_history()] == [-6_600, 20_000]


def test_server_refusals_arrive_as_typed_errors(client):
    ming = signed_in(client, "xiaoming")
    signed_in(client, "xiaohong")
    with pytest.raises(InsufficientFunds) as low:
        ming.pay_person(P2PPaymentIn(to_username="xiaohong", amount_fen=100))
    assert low.value.code == "insufficient_funds" and low.value.extra["needed_fen"] == 100

    card = ming.add_bank_card(BankCardIn(card_number="6222020000000090001", holder_name="Ming"))
    ming.top_up(FundingIn(bank_card_id=card.id, amount_fen=90_000))
    with pytest.raises(PinIncorrect) as wrong:
        ming.pay_person(P2PPaymentIn(to_username="xiaohong", amount_fen=60_000, pin="000000"))
    assert wrong.value.attempts_left == 4

    ming.logout()
    with pytest.raises(NotAuthenticated):
        ming.wallet()
