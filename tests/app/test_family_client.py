"""The family client core against the real server (real app, SQLite and PostgreSQL): inviting, the
act-for switch that makes every call carry the elder, plain words for a grant, revocation, the QR
invite and setting an elder up from scratch."""

from __future__ import annotations

import pytest

from app.actions import WalletSession
from app.anxin_client import AnxinClient
from app.device import DeviceMemory
from app.errors import ActingRefused, NotAuthenticated
from app.family import done_by_in_words, grant_in_words, suggested_grant
from app.i18n import SUPPORTED, Translator
from app.journal_trust import PinnedJournalKeys
from app.problems import explain
from app.qr import decode_qr_image
from app.session import MemoryTokenStore
from app.state import AppState
from tests.fakes import FakeOsKeychain
from wallet_api.schemas import BankCardIn, FundingIn, MerchantIn, MerchantPaymentIn, RegisterIn, SetPinIn
from wallet_api.schemas.family import GrantIn, Scope

PASSWORD = "a long enough password"
SERVER = "http://testserver"


@pytest.fixture
def make_session(client, tmp_path):
    def make(name: str) -> WalletSession:
        wallet = AnxinClient(SERVER, http=client, tokens=MemoryTokenStore(), retries=0)
        return WalletSession(wallet, AppState(SERVER), DeviceMemory(tmp_path / name / "device.json"),
                             PinnedJournalKeys(tmp_path / name / "keys.json"), keychain=FakeOsKeychain())
    return make


def person(make_session, username: str, display_name: str, *, roles=("consumer",)) -> WalletSession:
    session = make_session(username)
    session.client.register(RegisterIn(username=username, password=PASSWORD, display_name=display_name,
                                       roles=list(roles)))
    session.sign_in(username, PASSWORD)
    return session


@pytest.fixture
def family(make_session):
    elder = person(make_session, "nainai", "Nainai")
    elder.set_pin(PASSWORD, "135790")
    card = elder.client.add_bank_card(BankCardIn(card_number="6222020000000090001", holder_name="Nainai"))
    elder.client.top_up(FundingIn(bank_card_id=card.id, amount_fen=100_000))
    son = person(make_session, "jianguo", "Jianguo")
    shopkeeper = person(make_session, "lotus", "Lotus", roles=("merchant",))
    shop = shopkeeper.client.create_merchant(MerchantIn(name="Lotus Noodles", local_name="莲花面馆",
                                                        category="dining", region="weihai-huancui", city="Weihai"))
    return elder, son, shop


def test_invite_accept_and_act_for_the_elder(family):
    elder, son, shop = family
    invited = elder.family.invite("jianguo")
    assert invited.status == "invited"
    pending = son.family.links().looking_after[0]
    assert son.family.accept(pending).status == "active"

    link = son.family.links().looking_after[0]
    assert son.family.act_for(link) == 100_000              # the elder's balance, read acting for her
    assert (son.state.acting_for, son.state.acting_for_name) == ("nainai", "Nainai")
    receipt = son.client.pay_merchant(MerchantPaymentIn(merchant_id=shop.id, amount_fen=8_800))
    assert receipt.payer == "Nainai"
    # Family management stays personal while acting: the son's own list, not refused.
    assert [x.elder.username for x in son.family.links().looking_after] == ["nainai"]
    son.family.stop_acting()
    assert son.state.acting_for is None and son.state.balance_fen == 0

    line = elder.history().items[0]
    assert (line.amount_fen, line.done_by) == (-8_800, "Jianguo")
    assert done_by_in_words(line, Translator("en")) == "Done by Jianguo for you"
    assert done_by_in_words(line, Translator("zh-CN")) == "由 Jianguo 替您完成"
    note = elder.messages()[0]
    assert (note.category.value, note.message_key, note.params["actor"]) == ("security", "notice.family.pay_merchant",
                                                                              "Jianguo")
    assert [a.action for a in elder.family.actions(link)] == ["pay_merchant"]


def test_a_grant_in_plain_words_in_every_language(family):
    elder, son, _shop = family
    link = elder.family.invite("jianguo", GrantIn(scopes=[Scope.VIEW, Scope.PAY_BILLS], per_payment_limit_fen=5_000,
                                                  per_day_limit_fen=20_000))
    en = grant_in_words(link.grant, Translator("en"), relative="Jianguo")
    assert en[0] == "Jianguo may do this for you:"
    assert "Pay bills (water, power, gas, phone)" in en
    assert "At most CN¥50.00 per payment" in en
    assert en[-2:] == ["Until you end it", Translator("en")("family.grant.never")]
    assert not any("shops" in line for line in en)           # not granted, not said
    for locale in SUPPORTED:
        t = Translator(locale)
        lines = grant_in_words(link.grant, t, elder="Nainai")
        assert len(lines) == 7 and all(lines) and not any("{" in line or "family." in line for line in lines)


def test_the_elder_edits_the_grant_and_the_relative_hears_why_he_is_refused(family):
    elder, son, shop = family
    elder.family.invite("jianguo")
    son.family.act_for(son.family.accept(son.family.links().looking_after[0]))
    link = elder.family.links().looked_after_by[0]
    elder.family.edit_grant(link, GrantIn(scopes=[Scope.VIEW], per_payment_limit_fen=100, per_day_limit_fen=100))
    with pytest.raises(ActingRefused) as refused:
        son.client.pay_merchant(MerchantPaymentIn(merchant_id=shop.id, amount_fen=100))
    assert refused.value.code == "scope_missing" and not refused.value.permission_gone
    sentence = explain(refused.value, Translator("en")).sentence(Translator("en"))
    assert sentence == ("This is not part of what you may do for this person. "
                        "Nothing was done. Ask them to allow it in Family.")
    assert elder.refresh_balance() == 100_000


def test_over_the_limit_the_relative_is_told_the_limit(family):
    elder, son, shop = family
    elder.family.invite("jianguo", suggested_grant(per_payment_fen=1_000, per_day_fen=1_000))
    son.family.act_for(son.family.accept(son.family.links().looking_after[0]))
    with pytest.raises(ActingRefused) as refused:
        son.client.pay_merchant(MerchantPaymentIn(merchant_id=shop.id, amount_fen=1_500))
    t = Translator("en")
    assert explain(refused.value, t).next_step(t) == (
        "Nothing was paid. The limit is CN¥10.00. Pay less, or ask them to raise the limit in Family.")


def test_revocation_reaches_the_relative_at_once(family):
    elder, son, _shop = family
    elder.family.invite("jianguo")
    link = son.family.accept(son.family.links().looking_after[0])
    son.family.act_for(link)
    elder.family.end(elder.family.links().looked_after_by[0])
    with pytest.raises(ActingRefused) as refused:
        son.refresh_balance()
    assert refused.value.code == "delegation_ended" and refused.value.permission_gone
    with pytest.raises(ActingRefused):
        son.family.act_for(link)                            # cannot switch to it again either
    assert son.state.acting_for is None


def test_an_invite_qr_the_relative_scans(family):
    elder, son, _shop = family
    qr = elder.family.invite_qr()
    scanned = decode_qr_image(qr.png)                       # what the relative's camera reads off the screen
    assert scanned == qr.payload
    link = son.family.accept_qr(scanned)
    assert (link.status, link.elder.username) == ("active", "nainai")
    assert sorted(link.grant.scopes) == sorted(s.value for s in suggested_grant().scopes)


def test_setting_up_an_elder_on_her_phone_leaves_no_relative_sign_in_behind(make_session, client):
    phone = person(make_session, "jianguo", "Jianguo")
    made = phone.family.set_up_elder("laolao", "Laolao")
    preview = phone.family.preview_setup(made.setup_token)
    assert preview.relative.username == "jianguo" and preview.status == "setup"
    phone.family.finish_elder_setup(made.setup_token, PASSWORD, "135790")
    assert phone.state.user.username == "laolao" and phone.state.user.pin_set
    assert phone.state.prefs.care_mode is True and phone.state.prefs.language == "zh-CN"
    # This phone is now the elder's: it acts as her, and the son's own session is over.
    assert phone.client.me().username == "laolao"
    with pytest.raises(NotAuthenticated):                   # her PIN changes only with her own password
        phone.client.set_pin(SetPinIn(pin="000000", password="wrong password!"))
    son = make_session("son-phone")
    son.sign_in("jianguo", PASSWORD)
    link = son.family.links().looking_after[0]
    assert link.status == "active"
    son.family.act_for(link)
    card = son.client.add_bank_card(BankCardIn(card_number="6222020000000090001", holder_name="Laolao"))
    son.client.top_up(FundingIn(bank_card_id=card.id, amount_fen=5_000))
    assert phone.refresh_balance() == 5_000
