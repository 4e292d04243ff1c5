"""The payment dialogue, from text, in every locale: it asks, reads back, and pays only on a clear yes."""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.voice.test_grammar import SLOTS
from voice.dialogue import (CallFamily, CheckBalance, ConfirmedPayment, Dialogue, Offer, PaymentNeedsPin,
                            ShowPaymentCode, State)
from voice.grammar import build_grammar
from voice.intents import Heard, Intent, IntentName, Rejection, SlotValue
from voice.locales import load_locale

LOTUS = SlotValue("lotus noodles", 1)


@functools.cache
def grammar(code: str):
    return build_grammar(code, SLOTS[code])


def dialogue(code: str = "en", **options) -> Dialogue:
    return Dialogue(load_locale(code), grammar(code), **options)


def test_a_complete_command_is_read_back_and_paid_only_after_yes():
    d = dialogue()
    first = d.hear_text("pay lotus noodles twelve yuan fifty")
    assert first.command is None and first.state == State.CONFIRM
    assert first.say == "Pay twelve yuan fifty to lotus noodles? Say yes to pay, or no to stop."
    second = d.hear_text("yes")
    assert isinstance(second.command, ConfirmedPayment)
    assert (second.command.merchant, second.command.amount_fen) == (LOTUS, 1250)
    assert second.say == "Paying twelve yuan fifty to lotus noodles." and second.state == State.IDLE
    assert d.hear_text("yes").command is None  # the confirmation is used up: nothing moves twice


def test_an_offered_coupon_is_read_back_and_the_yes_carries_exactly_that_offer():
    asked: list[tuple[SlotValue, int]] = []

    def offer(merchant: SlotValue, amount_fen: int) -> Offer:
        asked.append((merchant, amount_fen))
        return Offer(ref=7, name="Lunch Coupons", you_pay_fen=amount_fen - 500)

    d = dialogue(offer=offer)
    first = d.hear_text("pay lotus noodles forty yuan")
    assert first.state == State.CONFIRM and asked == [(LOTUS, 4000)]
    assert first.say == ("Pay forty yuan to lotus noodles? With your coupon Lunch Coupons, you pay thirty five yuan. "
                         "Say yes to pay, or no to stop.")
    assert d.hear_text("repeat").say == first.say
    assert d.hear_text("maybe").say == ("Please say yes to pay forty yuan to lotus noodles; with your coupon Lunch "
                                        "Coupons you pay thirty five yuan. Or say no to stop.")
    yes = d.hear_text("yes")
    assert yes.command.offer == Offer(7, "Lunch Coupons", 3500) and yes.command.amount_fen == 4000
    assert d.hear_text("yes").command is None and len(asked) == 1


@pytest.mark.parametrize("code", ["en", "zh-CN", "ko"])
def test_every_locale_says_the_offer_with_the_same_fields(code):
    locale = load_locale(code)
    for key in ("confirm_payment", "say_yes_or_no"):
        assert locale.reply_fields(key + "_offer") == locale.reply_fields(key) | {"coupon", "you_pay"}
    assert locale.reply_fields("paid_offer") == locale.reply_fields("paid") | {"coupon", "subsidy", "you_pay"}


def test_it_asks_for_what_is_missing():
    d = dialogue()
    assert d.hear_text("make a payment").say == "Who do you want to pay?"
    assert d.hear_text("to lotus noodles").say == "How much do you want to pay lotus noodles?"
    reply = d.hear_text("fifty fen")
    assert reply.state == State.CONFIRM and reply.say.startswith("Pay fifty fen to lotus noodles?")
    assert d.hear_text("yes please").command.amount_fen == 50


@pytest.mark.parametrize("stop", ["no", "cancel", "never mind"])
@pytest.mark.parametrize("at", [0, 1, 2])
def test_no_or_cancel_stops_at_any_point(stop, at):
    d = dialogue()
    steps = ["i want to pay", "lotus noodles", "twelve yuan"][:at + 1]
    for step in steps:
        assert d.hear_text(step).command is None
    reply = d.hear_text(stop)
    assert reply.say == "Stopped. Nothing was paid." and reply.state == State.IDLE
    assert d.hear_text("yes").command is None


def test_above_the_voice_limit_the_screen_asks_for_the_pin():
    d = dialogue()
    reply = d.hear_text("pay lotus noodles two hundred yuan and one fen")
    assert reply.command == PaymentNeedsPin(LOTUS, 20001) and reply.state == State.IDLE
    assert "more than two hundred yuan" in reply.say and "PIN" in reply.say
    assert d.hear_text("yes").command is None
    at_limit = d.hear_text("pay lotus noodles two hundred yuan")
    assert at_limit.state == State.CONFIRM and isinstance(d.hear_text("yes").command, ConfirmedPayment)
    lower = dialogue(voice_limit_fen=1000).hear_text("pay lotus noodles twelve yuan")
    assert isinstance(lower.command, PaymentNeedsPin)


def test_unclear_or_unsure_yes_asks_again_and_three_strikes_stop():
    d = dialogue()
    d.hear_text("pay lotus noodles twelve yuan")
    unsure_yes = Heard(None, "yes", 0.4, True, Rejection.LOW_CONFIDENCE, guess=Intent(IntentName.YES))
    inexact_yes = Heard(Intent(IntentName.YES), "uh yes", 0.9, exact=False, how="best, 1 trimmed")
    assert d.hear(unsure_yes).say == "Please say yes to pay twelve yuan to lotus noodles, or no to stop."
    assert d.hear(inexact_yes).command is None and d.state == State.CONFIRM
    third = d.hear_text("what's my balance")  # unexpected while confirming: not obeyed, counted
    assert third.command is None and third.say == "I stopped because I could not understand you. Nothing was paid."
    assert d.state == State.IDLE


def test_silence_re_asks_the_question_without_counting():
    d = dialogue()
    d.hear_text("pay lotus noodles twelve yuan")
    for _ in range(5):
        assert d.hear(Heard.silence()).say.startswith("Pay twelve yuan to lotus noodles?")
    assert isinstance(d.hear_text("confirm").command, ConfirmedPayment)
    assert dialogue().hear(Heard.silence()).say is None


def test_other_commands_repeat_and_help():
    d = dialogue()
    assert d.hear_text("repeat").say == "I have not said anything yet."
    reply = d.hear_text("check my balance")
    assert reply.command == CheckBalance() and reply.say == "Checking your balance."
    assert d.hear_text("say that again").say == "Checking your balance."
    assert d.hear_text("show me my payment code").command == ShowPaymentCode()
    assert d.hear_text("ask my son for help").command == CallFamily(SlotValue("my son", "son"))
    assert d.hear_text("call my family").command == CallFamily()
    assert "payment code" in d.hear_text("what can i say").say
    assert d.hear_text("the weather is nice").say == "Sorry, I did not catch that. Please say it again."


def test_chinese_payment():
    d = dialogue("zh-CN")
    assert d.hear_text("给莲花面馆付钱").say == "要付给莲花面馆多少钱？"
    readback = d.hear_text("十二块五")
    assert readback.say == "给莲花面馆付十二元五角，对吗？说“是”就付款，说“不”就不付。"
    paid = d.hear_text("是的")
    assert paid.command.amount_fen == 1250 and paid.command.merchant == SlotValue("莲花面馆", 1)
    assert d.hear_text("付款给莲花面馆三十块").state == State.CONFIRM
    assert d.hear_text("取消").say == "已停止，没有付款。"


def test_korean_payment():
    d = dialogue("ko")
    readback = d.hear_text("편의점 에 오십 원 결제 해 줘")
    assert readback.say.startswith("편의점에 오십 원을 결제할까요?")
    paid = d.hear_text("네").command
    assert (paid.merchant, paid.amount_fen) == (SlotValue("편의점", 1), 5000)
    d.hear_text("약국 에 결제 해 줘")
    assert d.hear_text("아니요").say == "멈췄습니다. 결제하지 않았습니다."


def test_each_confirmation_has_its_own_id():
    d = dialogue()
    ids = set()
    for _ in range(3):
        d.hear_text("pay lotus noodles one yuan")
        ids.add(d.hear_text("yes").command.confirmation_id)
    assert len(ids) == 3


INTENTS = [Intent(IntentName.PAY, {"merchant": LOTUS, "amount": 500}), Intent(IntentName.PAY, {"merchant": LOTUS}),
           Intent(IntentName.PAY), Intent(IntentName.AMOUNT, {"amount": 900}), Intent(IntentName.MERCHANT, {"merchant": LOTUS}),
           Intent(IntentName.YES), Intent(IntentName.NO), Intent(IntentName.CANCEL), Intent(IntentName.REPEAT),
           Intent(IntentName.HELP), Intent(IntentName.CHECK_BALANCE)]
HEARD = st.one_of(
    st.builds(Heard, intent=st.sampled_from(INTENTS), text=st.just("x"), confidence=st.floats(0, 1),
              exact=st.booleans()),
    st.just(Heard.silence()),
    st.builds(Heard, intent=st.none(), text=st.just("junk"), confidence=st.floats(0, 1),
              rejected=st.sampled_from(list(Rejection)), guess=st.sampled_from(INTENTS)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(HEARD, max_size=12))
def test_money_moves_only_on_a_clear_yes_right_after_a_complete_read_back(utterances):
    d = dialogue()
    previous = None
    for heard in utterances:
        reply = d.hear(heard)
        if isinstance(reply.command, ConfirmedPayment):
            assert heard.intent == Intent(IntentName.YES) and heard.exact and heard.confidence >= 0.7
            assert previous is not None and previous.state == State.CONFIRM
            assert previous.say in (d.locale.reply("confirm_payment", merchant="lotus noodles", amount=a) for a in
                                    ("five yuan", "nine yuan")) or "Please say yes" in previous.say
            assert reply.command.amount_fen in (500, 900)
        previous = reply
    # and a single utterance never pays
    for heard in utterances:
        assert not isinstance(dialogue().hear(heard).command, ConfirmedPayment)
