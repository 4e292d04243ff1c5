"""Templates -> the recogniser's phrase list and the intent map, for every locale, from text."""

from __future__ import annotations

import re

import pytest

from voice.grammar import DynamicSlots, build_grammar
from voice.intents import Intent, IntentName, SlotValue
from voice.locales import available_locales, load_locale
from voice.templates import Slot, TemplateError, expand, parse_templates

LOTUS = SlotValue("lotus noodles", 1)
SON = SlotValue("my son", "son")
SLOTS = {
    "en": DynamicSlots((LOTUS, SlotValue("sunshine market", 2)), (SON,)),
    "zh-CN": DynamicSlots((SlotValue("莲花面馆", 1), SlotValue("阳光超市", 2)), (SlotValue("儿子", "son"),)),
    "ko": DynamicSlots((SlotValue("편의점", 1), SlotValue("약국", 2)), (SlotValue("아들", "son"),)),
}


def test_template_syntax_alternatives_optionals_slots_rules():
    rules = {"polite": expand("[please]") + [()]}
    assert expand("(check | show) my [wallet] balance") == [
        ("check", "my", "wallet", "balance"), ("check", "my", "balance"),
        ("show", "my", "wallet", "balance"), ("show", "my", "balance")]
    assert expand("pay $merchant [$amount]") == [("pay", Slot("merchant"), Slot("amount")), ("pay", Slot("merchant"))]
    assert expand("<polite> help", rules) == [("please", "help"), ("help",)]


def test_template_file_sections_and_rules():
    groups = parse_templates("polite = [please | kindly]\n[help]\n<polite> help  # comment\nwhat can i say\n")
    assert [g.intent for g in groups] == ["help"]
    assert groups[0].skeletons == (("please", "help"), ("kindly", "help"), ("help",), ("what", "can", "i", "say"))


@pytest.mark.parametrize(("text", "message"), [
    ("[help]\n(open | close\n", "missing ')'"),
    ("[help]\n<nope> help\n", "unknown rule <nope>"),
    ("help me\n", "before any [intent]"),
    ("[help]\nhelp )\n", "unexpected ')'"),
    ("[help]\nhelp $\n", "cannot read '$'"),
    ("[help]\nhelp\n[help]\nhelp\n", "appears twice"),
])
def test_template_mistakes_are_reported_with_their_line(text, message):
    with pytest.raises(TemplateError, match=re.escape(message)):
        parse_templates(text, "commands.ini")


def test_every_locale_has_every_intent_and_every_reply():
    assert available_locales() == ["en", "ko", "zh-CN"]
    english = load_locale("en")
    for code in available_locales():
        locale = load_locale(code)
        assert {g.intent for g in locale.templates} == set(IntentName), code
        assert set(locale.replies) == set(english.replies), code
        for key in english.replies:  # the same {fields}, so the code can fill any locale
            assert locale.reply_fields(key) == english.reply_fields(key), (code, key)


@pytest.mark.parametrize("code", ["en", "zh-CN", "ko"])
def test_no_phrase_of_a_grammar_means_two_things(code):
    grammar = build_grammar(code, SLOTS[code])
    assert len(grammar.phrases) > 100
    assert grammar.ambiguities() == []
    for phrase in grammar.phrases:  # the phrase list and the intent map agree
        assert len(grammar.match(phrase)) == 1, phrase


@pytest.mark.parametrize(("code", "text", "intent"), [
    ("en", "pay lotus noodles twelve yuan fifty", Intent(IntentName.PAY, {"merchant": LOTUS, "amount": 1250})),
    ("en", "please pay fifty fen to lotus noodles", Intent(IntentName.PAY, {"merchant": LOTUS, "amount": 50})),
    ("en", "What's my balance, please?", Intent(IntentName.CHECK_BALANCE)),
    ("en", "show me my payment code", Intent(IntentName.SHOW_PAYMENT_CODE)),
    ("en", "how much is left on my prepaid card", Intent(IntentName.CARD_BALANCE)),
    ("en", "read me my messages", Intent(IntentName.READ_MESSAGES)),
    ("en", "claim the city coupons", Intent(IntentName.CLAIM_COUPONS)),
    ("en", "ask my son for help", Intent(IntentName.CALL_FAMILY, {"family": SON})),
    ("en", "say that again", Intent(IntentName.REPEAT)),
    ("en", "never mind", Intent(IntentName.CANCEL)),
    ("en", "a hundred and twenty yuan", Intent(IntentName.AMOUNT, {"amount": 12000})),
    ("zh-CN", "给莲花面馆付十二块五", Intent(IntentName.PAY, {"merchant": SlotValue("莲花面馆", 1), "amount": 1250})),
    ("zh-CN", "帮我 查 一下 余额", Intent(IntentName.CHECK_BALANCE)),
    ("zh-CN", "打开付款码", Intent(IntentName.SHOW_PAYMENT_CODE)),
    ("zh-CN", "给儿子打电话", Intent(IntentName.CALL_FAMILY, {"family": SlotValue("儿子", "son")})),
    ("zh-CN", "是的", Intent(IntentName.YES)),
    ("zh-CN", "不对", Intent(IntentName.NO)),
    ("zh-CN", "一百二", Intent(IntentName.AMOUNT, {"amount": 12000})),
    ("ko", "편의점에 만 이천 원 결제 해 줘", Intent(IntentName.PAY, {"merchant": SlotValue("편의점", 1), "amount": 1200000})),
    ("ko", "아들에게 전화 해 주세요", Intent(IntentName.CALL_FAMILY, {"family": SlotValue("아들", "son")})),
    ("ko", "결제 코드 보여 줘", Intent(IntentName.SHOW_PAYMENT_CODE)),
    ("ko", "네", Intent(IntentName.YES)),
])
def test_text_to_intent(code, text, intent):
    assert build_grammar(code, SLOTS[code]).match(text) == [intent]


@pytest.mark.parametrize(("code", "text"), [
    ("en", "pay the moon a lot"), ("en", "yes yes"), ("en", "pay unknown shop twelve yuan"),
    ("zh-CN", "今天天气很好"), ("zh-CN", "是是"), ("ko", "아니요 아니요"), ("ko", "오늘 날씨가 좋네요"),
])
def test_what_is_not_a_command_matches_nothing(code, text):
    assert build_grammar(code, SLOTS[code]).match(text) == []


def test_slots_are_dynamic():
    before = build_grammar("en", DynamicSlots())
    after = build_grammar("en", SLOTS["en"])
    assert before.match("pay lotus noodles five yuan") == []
    assert after.match("pay lotus noodles five yuan")[0].merchant == LOTUS
    assert "pay lotus noodles" in " | ".join(after.phrases) and "lotus" not in " ".join(before.phrases)
