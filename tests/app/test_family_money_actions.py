"""The client core's family-card and guardian actions against the real server (real app, real SQLite and
PostgreSQL, no fakes): what the screens will call."""

from __future__ import annotations

import uuid

import pytest

from app.actions import WalletSession
from app.errors import Conflict, PaymentWaiting, ValidationError
from app.i18n import Translator
from app.problems import explain
from app.state import MerchantChoice
from tests.app.sessions import registered_session
from wallet_api.schemas import MerchantIn, P2PPaymentIn

PASSWORD = "a long enough password"
PIN = "112233"


@pytest.fixture
def person(client, tmp_path):
    def make(username: str, top_up: int = 0) -> WalletSession:
        return registered_session(client, tmp_path, username, pin=PIN, top_up=top_up)
    return make


def _shop(person, username: str, name: str) -> MerchantChoice:
    owner = person(username)
    out = owner.client.create_merchant(MerchantIn(name=name, category="dining", region="weihai-huancui",
                                                  city="Weihai"))
    return MerchantChoice(out.id, out.name, out.local_name)


def test_giving_choosing_and_pausing_a_family_card(person):
    son, mum = person("jianguo", 500_000), person("nainai", 1_000)
    shop = _shop(person, "lotus", "Lotus Noodles")
    offered = son.give_family_card("nainai", 50_000, "for food")
    [waiting] = mum.family_cards().held
    assert (waiting.id, waiting.status, waiting.giver_username) == (offered.id, "offered", "jianguo")
    assert [c.funding for c in mum.funding_choices(2_000)] == ["wallet"]  # not accepted yet
    assert mum.answer_family_card(offered.id, True).status == "active"

    choices = mum.funding_choices(2_000)
    assert [(c.funding, c.available_fen) for c in choices] == [("wallet", 1_000), (f"family_card:{offered.id}", 50_000)]
    receipt = mum.pay(mum.draft_payment(shop, 2_000, funding=choices[1].funding))
    assert receipt.family_card_id == offered.id and mum.state.balance_fen == 1_000
    assert [u.amount_fen for u in son.family_card_uses(offered.id)] == [2_000]
    assert son.family_cards().given[0].left_this_month_fen == 48_000

    assert son.pause_family_card(offered.id).status == "paused"
    with pytest.raises(Conflict) as paused:
        mum.pay(mum.draft_payment(shop, 500, funding=f"family_card:{offered.id}"))
    assert paused.value.code == "family_card_paused"
    assert son.change_family_card_cap(offered.id, 10_000).monthly_cap_fen == 10_000
    assert mum.close_family_card(offered.id).status == "closed"
    with pytest.raises(ValidationError) as transfer:
        mum.client.pay_person(P2PPaymentIn(to_username="jianguo", amount_fen=100, funding=f"family_card:{offered.id}"))
    assert transfer.value.code == "family_card_not_for_transfers"


def test_the_guardian_approves_and_the_elder_revokes_a_delayed_transfer(person):
    mum, son = person("nainai", 200_000), person("jianguo")
    stranger = person("caller")
    shop = _shop(person, "lotus", "Lotus Noodles")
    invitation = mum.name_guardian("jianguo")
    assert son.guardian_overview().i_guard[0].status == "invited"
    assert son.answer_guardian_invitation(invitation.id, True).status == "active"
    assert mum.guardian_overview().my_guardian.guardian_username == "jianguo"

    with pytest.raises(PaymentWaiting) as held:
        mum.pay(mum.draft_payment(shop, 80_000), pin=PIN)
    pending = held.value.pending
    assert (pending.status, [r.code for r in pending.reasons]) == ("held", ["new_payee"])
    said = explain(held.value, Translator("zh-CN")).sentence(Translator("zh-CN"))
    assert said.startswith("这笔付款正在等您的守护人同意")
    assert mum.state.balance_fen == 120_000 and [p.id for p in mum.waiting_payments()] == [pending.id]
    [asked] = son.approvals()
    assert asked.id == pending.id and asked.payer == "Nainai"
    approved = son.approve(pending.id)
    assert approved.status == "approved" and approved.payment_id is not None
    assert son.approvals() == []

    key = uuid.uuid4().hex
    with pytest.raises(PaymentWaiting) as delayed:
        mum.send("caller", 5_000, key)
    assert delayed.value.pending.status == "delayed" and delayed.value.code == "payment_waiting"
    assert delayed.value.message_key == "error.payment_delayed"
    assert mum.revoke(delayed.value.pending.id).status == "revoked"
    assert mum.state.balance_fen == 120_000 and stranger.refresh_balance() == 0
    with pytest.raises(Conflict) as again:
        son.decline(pending.id)
    assert again.value.code == "pending_payment_closed"
