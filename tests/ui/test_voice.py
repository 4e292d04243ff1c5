"""The voice assistant wired into the app: the button on care-mode screens, spoken payments against
the real server (in-process, SQLite) with the real Korean Vosk model, and English and Chinese from
text through intents, the dialogue, the wallet and speech.

Audio comes from WAV files through `WavFilesInput`, the app's documented test seam
(`ANXIN_VOICE_AUDIO`): the same recogniser, dialogue and actions the microphone feeds.
"""

from __future__ import annotations

import os
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.device import RecentMerchant
from app.voice_assistant import ENV_VOICE_LIMIT, OpenPayment, OpenScreen, VoiceAssistant, voice_limit_setting
from app.voice_io import SpeechOutput, WavFilesInput, audio_input, speech_rate_factor
from tests.e2e.world import PASSWORD, _login
from tests.ui.test_screens import balance_of, sign_in, signed_in_home
from tests.ui.ui_support import FakePage, InlineRunner, find, has, label_or_text, tap, walk
from tests.voice.audio_fixtures import korean_model_path, speak_to_wav
from ui.shell import Shell
from ui.views.pay import PayScreen
from voice.amounts import say_amount
from voice.audio import read_wav
from voice.dialogue import State
from voice.speech import CARE_MODE_RATE
from wallet_api.coupons.models import CouponRedemption
from wallet_api.db import transaction
from wallet_api.ledger.verify import verify_ledger
from wallet_api.payments.models import Payment

KOREAN_SHOPS = (("Corner Store", "편의점"), ("Sunny Pharmacy", "약국"), ("Morning Bakery", "빵집"))


@pytest.fixture(scope="module")
def ko_model_path():
    return korean_model_path()


@pytest.fixture(scope="module")
def spoken(tmp_path_factory):
    """espeak-ng Korean, as in tests/voice (these phrases and voices are recognised exactly)."""
    folder = tmp_path_factory.mktemp("spoken-app")
    return {
        "pay": speak_to_wav("편의점 에 이십 원 결제 해 주세요", folder / "pay.wav", "ko+m3", 150),
        "yes": speak_to_wav("네", folder / "yes.wav", "ko+m3", 140),
        "no": speak_to_wav("아니요", folder / "no.wav", "ko+m3", 140),
    }


def korean_shops(client) -> dict[str, int]:
    """Three shops with Korean names (the Korean model cannot say Chinese or English names)."""
    ids = {}
    for index, (name, local) in enumerate(KOREAN_SHOPS):
        owner = f"koshop{index}"
        client.post("/v1/auth/register", json={"username": owner, "password": PASSWORD, "display_name": name,
                                               "roles": ["merchant"]}).raise_for_status()
        token = client.post("/v1/auth/login", json={"username": owner, "password": PASSWORD}).json()["access_token"]
        made = client.post("/v1/merchants", json={"name": name, "local_name": local, "category": "supermarket",
                                                  "region": "weihai-huancui", "city": "Weihai"},
                           headers={"Authorization": f"Bearer {token}"})
        made.raise_for_status()
        ids[local] = made.json()["id"]
    return ids


def korean_care_shell(world, make_session, client, ko_model_path, audio: list):
    """Nainai signed in, care mode, Korean, with the three shops as her recent shops on this device."""
    shops = korean_shops(client)
    session = make_session()
    page = FakePage()
    shell = Shell(page, session, runner=InlineRunner(),
                  voice_assistant=lambda s: VoiceAssistant(s, audio=WavFilesInput(audio), model_path=ko_model_path))
    sign_in(shell, page, "nainai")
    tap(page, "setup-care-on")
    lotus = world.shops["lotus"]     # a Chinese name: the Korean model cannot hear it
    session.device.remember_merchant("nainai", RecentMerchant(lotus.id, lotus.name, lotus.local_name))
    for name, local in reversed(KOREAN_SHOPS):
        session.device.remember_merchant("nainai", RecentMerchant(shops[local], name, local))
    session.save_preferences(language="ko")
    shell.apply_preferences()
    return shell, page, shops


def payments_of(db, amount_fen: int, merchant_id: int | None = None) -> int:
    query = select(func.count()).select_from(Payment).where(Payment.amount == amount_fen)
    if merchant_id is not None:
        query = query.where(Payment.merchant_id == merchant_id)
    with db() as s:
        return s.scalar(query)


def journal_verifies(app) -> bool:
    with transaction(app.state.db) as s:
        return verify_ledger(s, app.state.signer.public_key_hex).ok


# ---- the button -------------------------------------------------------------------------------

def test_care_mode_screens_have_the_big_voice_button_and_standard_mode_does_not(world, make_shell):
    shell, page = signed_in_home(make_shell, "nainai", care=True)
    node = find(page, "voice-button")
    button = next(c for c in walk(node) if c.__class__.__name__ == "Button")
    assert button.content == "Press and speak"                           # its words: its accessible name
    assert button.height >= 72 > 60 and button.expand
    tap(page, "home-pay")
    assert has(page, "voice-button")                                      # on every screen, not just home
    standard, page2 = signed_in_home(make_shell, "jianguo", device="other")
    assert not has(page2, "voice-button")
    standard.session.save_preferences(voice_enabled=True)                 # the setting turns it on there too
    standard.apply_preferences()
    assert has(page2, "voice-button")


def test_no_speech_model_for_the_language_is_said_in_words(world, make_shell, tmp_path, monkeypatch):
    monkeypatch.setenv("ANXIN_DATA_DIR", str(tmp_path / "no-models"))
    monkeypatch.setattr("voice.models.model_packages", lambda: [])   # this machine: only the Korean package
    shell, page = signed_in_home(make_shell, "nainai", care=True)
    shell.voice._make_assistant = lambda s: VoiceAssistant(s, audio=WavFilesInput([]))
    tap(page, "voice-button")
    assert "anxin voice install-model" in label_or_text(page, "voice-problem")
    assert not shell.voice.listening and has(page, "voice-button")


# ---- a whole spoken payment, the way the button does it ---------------------------------------

def test_a_spoken_payment_reads_back_waits_for_yes_and_moves_money_once(
        world, make_session, client, db, app, ko_model_path, spoken, tmp_path):
    shell, page, shops = korean_care_shell(world, make_session, client, ko_model_path, [spoken["pay"], spoken["yes"]])
    before = balance_of(client, "nainai")

    tap(page, "voice-button")                           # "편의점 에 이십 원 결제 해 주세요"
    readback = label_or_text(page, "voice-said")
    assert readback.startswith("편의점에 이십 원을 결제할까요?")   # the amount in words, then a question
    assert shell.voice.assistant.state == State.CONFIRM
    assert balance_of(client, "nainai") == before and payments_of(db, 2000) == 0   # one utterance moves nothing
    assert readback in shell.voice.speech.said            # spoken, not only shown
    assert label_or_text(page, "voice-not-by-voice") == "음성으로 고를 수 없는 곳: 莲花面馆"
    saved = shell.voice.speech.save(readback, tmp_path / "readback.wav").result(timeout=30)
    assert len(read_wav(saved.path)) > 2 * 16_000 * 2      # more than two seconds of speech

    tap(page, "voice-button")                           # "네"
    said = label_or_text(page, "voice-said")
    assert "편의점에 이십 원을 결제했습니다." in said
    assert balance_of(client, "nainai") == before - 2000
    assert payments_of(db, 2000) == payments_of(db, 2000, shops["편의점"]) == 1   # once, to that shop
    assert journal_verifies(app)
    assert shell.voice.assistant.state == State.IDLE


def test_a_spoken_no_stops_and_nothing_moves(world, make_session, client, db, ko_model_path, spoken):
    shell, page, _shops = korean_care_shell(world, make_session, client, ko_model_path, [spoken["pay"], spoken["no"]])
    before = balance_of(client, "nainai")
    tap(page, "voice-button")
    assert shell.voice.assistant.state == State.CONFIRM
    tap(page, "voice-button")                           # "아니요"
    assert label_or_text(page, "voice-said") == "멈췄습니다. 결제하지 않았습니다."
    assert balance_of(client, "nainai") == before and payments_of(db, 2000) == 0


# ---- English and Chinese: text -> intent -> dialogue -> the wallet -> speech ----------------------

def signed_in_assistant(make_session, username: str, language: str) -> VoiceAssistant:
    session = make_session()
    session.sign_in(username, PASSWORD)
    session.save_preferences(language=language)
    return VoiceAssistant(session, audio=WavFilesInput([]))


def test_english_payment_by_text_pays_once_after_yes(world, make_session, client, db):
    assistant = signed_in_assistant(make_session, "nainai", "en")
    lotus = world.shops["lotus"]
    assistant.session.device.remember_merchant("nainai", RecentMerchant(lotus.id, lotus.name, lotus.local_name))
    before = balance_of(client, "nainai")
    asked = assistant.hear_text("pay lotus noodles")
    assert asked.say == ["How much do you want to pay Lotus Noodles?"] and asked.state == State.ASK_AMOUNT
    readback = assistant.hear_text("twelve yuan fifty")
    assert readback.say[0].startswith("Pay twelve yuan fifty to Lotus Noodles?") and readback.paid_fen is None
    paid = assistant.hear_text("yes")
    assert paid.paid_fen == 1250 and paid.say[-1] == "Paid twelve yuan fifty to Lotus Noodles."
    again = assistant.hear_text("yes")                  # a second yes confirms nothing
    assert again.paid_fen is None
    assert balance_of(client, "nainai") == before - 1250 and payments_of(db, 1250) == 1


def test_above_what_the_server_allows_without_a_pin_goes_to_the_screen(world, make_shell, client):
    shell, page = signed_in_home(make_shell, "nainai", care=True)
    lotus = world.shops["lotus"]
    shell.session.device.remember_merchant("nainai", RecentMerchant(lotus.id, lotus.name, lotus.local_name))
    before = balance_of(client, "nainai")
    assistant = shell.voice.assistant
    assistant.hear_text("pay lotus noodles one hundred yuan")
    turn = assistant.hear_text("yes")                   # confirmed by voice, but 100 > 50 CNY needs the PIN
    assert turn.go == OpenPayment(assistant._merchants[lotus.id], 10_000) and turn.paid_fen is None
    assert "PIN" in turn.say[-1] and balance_of(client, "nainai") == before
    shell.voice._answered(turn)                         # what the button does with the turn
    assert isinstance(shell.screen, PayScreen) and shell.screen.step == "summary"
    assert label_or_text(page, "summary-amount") == "CN¥100.00"
    assert "Lotus Noodles" in shell.announcement      # the screen's read-back, spoken too


def test_above_the_voice_limit_never_gets_a_spoken_yes(world, make_session, client):
    assistant = signed_in_assistant(make_session, "nainai", "en")
    lotus = world.shops["lotus"]
    assistant.session.device.remember_merchant("nainai", RecentMerchant(lotus.id, lotus.name, lotus.local_name))
    turn = assistant.hear_text("pay lotus noodles three hundred yuan")
    assert isinstance(turn.go, OpenPayment) and turn.go.amount_fen == 30_000
    assert "more than two hundred yuan" in turn.say[0] and assistant.state == State.IDLE


def test_the_voice_limit_is_a_client_setting_and_a_lower_one_sends_a_smaller_payment_to_the_screen(
        world, make_session, client, monkeypatch):
    monkeypatch.delenv(ENV_VOICE_LIMIT, raising=False)
    assert voice_limit_setting() == voice_limit_setting("") == 20_000          # 200 CNY unless set
    for wrong in ("abc", "0", "-5", "12.5"):
        with pytest.raises(ValueError, match="ANXIN_VOICE_LIMIT_FEN must be a whole number of fen"):
            voice_limit_setting(wrong)
    lotus = world.shops["lotus"]
    default = signed_in_assistant(make_session, "nainai", "en")
    default.session.device.remember_merchant("nainai", RecentMerchant(lotus.id, lotus.name, lotus.local_name))
    asked = default.hear_text("pay lotus noodles forty yuan")
    assert asked.state == State.CONFIRM and asked.go is None       # under 200 CNY: read back, a "yes" may pay

    monkeypatch.setenv(ENV_VOICE_LIMIT, "3000")                     # 30 CNY
    lower = signed_in_assistant(make_session, "nainai", "en")
    assert lower.voice_limit_fen == 3000
    before = balance_of(client, "nainai")
    turn = lower.hear_text("pay lotus noodles forty yuan")
    assert isinstance(turn.go, OpenPayment) and turn.go.amount_fen == 4000 and turn.paid_fen is None
    assert "more than thirty yuan" in turn.say[0] and lower.state == State.IDLE
    assert lower.hear_text("yes").paid_fen is None and balance_of(client, "nainai") == before


def _city_coupon_for(client, claimer: str, value_fen: int) -> int:
    """The city (made by `domains`) issues a no-threshold dining coupon; `claimer` claims one. Its campaign id."""
    city = _login(client, "city")
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    campaign = client.post("/v1/coupons/campaigns", headers=city, json={
        "name": "Lunch Coupons", "categories": ["dining"], "region": "weihai", "shape": "no_threshold",
        "value_fen": value_fen, "total_quantity": 5, "subsidy_budget_fen": 5 * value_fen,
        "batches": [{"release_at": past, "quantity": 5}]})
    campaign.raise_for_status()
    client.post(f"/v1/coupons/campaigns/{campaign.json()['id']}/funding", json={"amount_fen": 5 * value_fen},
                headers={**city, "Idempotency-Key": uuid.uuid4().hex}).raise_for_status()
    client.post(f"/v1/coupons/campaigns/{campaign.json()['id']}/claims",
                headers={**_login(client, claimer), "Idempotency-Key": uuid.uuid4().hex}).raise_for_status()
    return campaign.json()["id"]


def test_a_voice_payment_reads_back_the_best_coupon_and_a_yes_uses_it_once(world, domains, make_session, client, db):
    campaign_id = _city_coupon_for(client, "nainai", 500)           # CN¥5.00 off any meal
    assistant = signed_in_assistant(make_session, "nainai", "en")
    lotus = world.shops["lotus"]
    assistant.session.device.remember_merchant("nainai", RecentMerchant(lotus.id, lotus.name, lotus.local_name))
    proposal = assistant.session.coupons.best_for(lotus.id, 4000)  # what Pay's summary would propose
    assert proposal.coupon.campaign_id == campaign_id and proposal.you_pay_fen == 3500
    before = balance_of(client, "nainai")

    readback = assistant.hear_text("pay lotus noodles forty yuan")
    assert readback.say == ["Pay forty yuan to Lotus Noodles? With your coupon Lunch Coupons, you pay thirty five "
                            "yuan. Say yes to pay, or no to stop."]
    assert assistant.hear_text("repeat").say == readback.say   # said again as it was
    paid = assistant.hear_text("yes")
    assert paid.paid_fen == 4000 and paid.say[-1] == ("Paid forty yuan to Lotus Noodles: your coupon Lunch Coupons "
                                                      "paid five yuan, you paid thirty five yuan.")
    assert assistant.hear_text("yes").paid_fen is None             # a second yes confirms nothing
    assert balance_of(client, "nainai") == before - 3500
    with db() as s:                                                # one redemption, of one payment, amounts as said
        used = s.scalars(select(CouponRedemption).where(CouponRedemption.coupon_id == proposal.coupon.id)).all()
        assert [(r.amount_fen, r.subsidy_fen) for r in used] == [(4000, 500)]
    assert payments_of(db, 4000, lotus.id) == 1
    receipt = assistant.session.receipt(used[0].payment_id)
    assert (receipt.amount_fen, receipt.subsidy_fen, receipt.coupon_id) == (4000, 500, proposal.coupon.id)
    assert [c.id for c in assistant.session.client.my_coupons(status="redeemed")] == [proposal.coupon.id]
    assert assistant.session.coupons.best_for(lotus.id, 4000) is None  # used: nothing more to propose
    again = assistant.hear_text("pay lotus noodles forty yuan")
    assert again.say == ["Pay forty yuan to Lotus Noodles? Say yes to pay, or no to stop."]


def test_chinese_balance_payment_messages_and_small_talk(world, make_session, client, db, tmp_path):
    assistant = signed_in_assistant(make_session, "nainai", "zh-CN")
    lotus = world.shops["lotus"]
    assistant.session.device.remember_merchant("nainai", RecentMerchant(lotus.id, lotus.name, lotus.local_name))
    before = balance_of(client, "nainai")
    balance = assistant.hear_text("帮我查一下余额")
    assert balance.say[-1] == f"您的钱包里有{say_amount(before, 'zh-CN')}。"
    for chatter in ("今天天气真好", "好的好的", "是"):   # small talk, and a yes with nothing to confirm
        assert assistant.hear_text(chatter).paid_fen is None
    readback = assistant.hear_text("给莲花面馆付十二块")
    assert readback.say[0].startswith("给莲花面馆付十二元，对吗？") and readback.state == State.CONFIRM
    for chatter in ("今天天气真好", "明天再说"):         # not a yes: asked again, nothing paid
        assert assistant.hear_text(chatter).paid_fen is None
    paid = assistant.hear_text("是")
    assert paid.paid_fen == 1200 and paid.say[-1] == "已给莲花面馆付十二元。"
    assert balance_of(client, "nainai") == before - 1200 and payments_of(db, 1200) == 1
    speech = SpeechOutput("zh-CN", care_mode=True)
    spoken = speech.save(paid.say[-1], tmp_path / "paid.wav").result(timeout=30)
    assert len(read_wav(spoken.path)) > 16_000 * 2      # about a second of Mandarin, at least
    messages = assistant.hear_text("读一下消息")
    assert isinstance(messages.go, OpenScreen) and messages.go.name == "messages" and len(messages.say) >= 2


def test_security_messages_are_spoken_once_when_home_shows(world, make_shell, db):
    from wallet_api.auth.models import User
    from wallet_api.notifications.service import notify
    from wallet_api.schemas import NotificationCategory
    shell, page = signed_in_home(make_shell, "nainai", care=True)
    with transaction(db) as s:                          # the server writes a security message to her inbox
        user = s.scalar(select(User).where(User.username == "nainai"))
        notify(s, user.id, NotificationCategory.SECURITY, "test.security", "Someone tried to sign in as you.")
    shell.home()
    assert shell.voice.speech.said[-1] == "Security message: Someone tried to sign in as you."
    count = len(shell.voice.speech.said)
    shell.home()
    assert len(shell.voice.speech.said) == count        # each message is said once


def test_speech_rate_follows_the_setting_and_care_mode_is_slower():
    assert speech_rate_factor(True, 100) == CARE_MODE_RATE < speech_rate_factor(False, 100) == 1.0
    assert speech_rate_factor(True, 70) < speech_rate_factor(True, 100) < speech_rate_factor(True, 120)


def test_the_audio_source_is_the_microphone_unless_the_test_seam_names_wav_files(tmp_path, spoken):
    from app.voice_io import MicrophoneInput
    assert isinstance(audio_input(""), MicrophoneInput)
    files = audio_input(f"{spoken['yes']}{os.pathsep}{spoken['no']}")
    assert isinstance(files, WavFilesInput) and files.remaining == [spoken["yes"], spoken["no"]]
    assert b"".join(files.open()) == read_wav(spoken["yes"])
    assert files.remaining == [spoken["no"]]


def test_without_microphone_support_a_press_says_how_to_get_it(world, make_shell, monkeypatch):
    from app.voice_io import MicrophoneInput
    monkeypatch.setitem(sys.modules, "sounddevice", None)   # as on a machine without it: import fails
    shell, page = signed_in_home(make_shell, "nainai", care=True)
    shell.voice._make_assistant = lambda s: VoiceAssistant(s, audio=MicrophoneInput(), model_path=korean_model_path())
    shell.session.save_preferences(language="ko")
    shell.apply_preferences()
    tap(page, "voice-button")
    assert "sounddevice" in label_or_text(page, "voice-problem") and "PortAudio" in label_or_text(page, "voice-problem")
    assert not shell.voice.listening


@pytest.mark.parametrize(("words", "screen", "module", "cls"), [
    ("show my payment code", "payment_code", "ui.views.payment_code", "PaymentCodeScreen"),
    ("check my card balance", "cards", "ui.views.cards", "CardsScreen"),
    ("claim the coupons", "coupons", "ui.views.coupons", "CouponsScreen"),
    ("call my family", "family", "ui.views.family", "FamilyScreen"),
])
def test_spoken_commands_open_their_screens(world, make_shell, words, screen, module, cls):
    import importlib
    shell, page = signed_in_home(make_shell, "nainai", care=True)
    turn = shell.voice.assistant.hear_text(words)
    assert turn.go == OpenScreen(screen) and turn.say
    shell.voice._answered(turn)
    assert isinstance(shell.screen, getattr(importlib.import_module(module), cls)) and has(page, "voice-button")


def test_the_relatives_who_help_her_can_be_called_by_name(world, make_session):
    elder = signed_in_assistant(make_session, "nainai", "en")
    elder.session.family.invite("jianguo")
    son = make_session("son-device")
    son.sign_in("jianguo", PASSWORD)
    son.family.accept(son.family.links().looking_after[0])
    turn = elder.hear_text("call li jianguo")
    assert turn.say == ["Calling Li Jianguo."] and turn.go == OpenScreen("family")
    assert elder.dialogue.grammar.slots.family[0].value == "jianguo"
    chinese = signed_in_assistant(make_session, "nainai", "zh-CN")
    assert [f.spoken for f in chinese.dialogue.grammar.slots.family] == ["李建国"]   # the name in her language
