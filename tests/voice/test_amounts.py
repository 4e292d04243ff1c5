"""Spoken amounts: what people say, to integer fen, and back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voice.amounts import AmountError, parse_amount, say_amount
from voice.tokens import tokenize


def heard(text: str, locale: str) -> int | None:
    return parse_amount(tokenize(text, locale), locale)


@pytest.mark.parametrize(("text", "fen"), [
    ("twelve yuan fifty", 1250), ("twelve yuan and five fen", 1205), ("fifty fen", 50), ("twelve", 1200),
    ("a hundred and twenty yuan", 12000), ("one hundred twenty yuan", 12000), ("twelve point five yuan", 1250),
    ("two thousand three hundred yuan", 230000), ("twenty-five yuan", 2500), ("five kuai", 500),
])
def test_english(text, fen):
    assert heard(text, "en") == fen


@pytest.mark.parametrize(("text", "fen"), [
    ("十二块五", 1250), ("十二元五角五分", 1255), ("十二块零五分", 1205), ("五毛", 50), ("五分", 5), ("十二块", 1200),
    ("一百二", 12000), ("两千", 200000), ("一万二", 1200000), ("一百零二块", 10200), ("三块半", 350),
    ("十二 块 五 毛 钱", 1250), ("两块五毛", 250),
])
def test_chinese(text, fen):
    assert heard(text, "zh-CN") == fen


@pytest.mark.parametrize(("text", "fen"), [
    ("만 이천 원", 1200000), ("만이천원", 1200000), ("십이 원 오십 전", 1250), ("십이 원 오십", 1250), ("오십 전", 50),
    ("이백 원", 20000), ("이 백 원", 20000), ("천 원", 100000), ("삼십 원", 3000),
])
def test_korean(text, fen):
    assert heard(text, "ko") == fen


@pytest.mark.parametrize(("text", "locale"), [
    ("yuan", "en"), ("twenty twenty", "en"), ("hundred hundred", "en"), ("twelve yuan one hundred", "en"),
    ("pay the shop", "en"), ("块", "zh-CN"), ("十二块五五", "zh-CN"), ("원", "ko"), ("오십 원 오백 전", "ko"), ("", "ko"),
])
def test_what_is_not_one_amount_is_refused(text, locale):
    assert heard(text, locale) is None


def test_saying_is_unambiguous_and_in_the_locales_words():
    assert say_amount(1250, "en") == "twelve yuan fifty"
    assert say_amount(1205, "en") == "twelve yuan and five fen"
    assert say_amount(1250, "zh-CN") == "十二元五角"
    assert say_amount(1205, "zh-CN") == "十二元零五分"
    assert say_amount(1_200_000, "ko") == "만 이천 원"
    assert say_amount(20000, "zh-CN") == "两百元"


@pytest.mark.parametrize("locale", ["en", "zh-CN", "ko"])
@given(fen=st.integers(min_value=1, max_value=99_999_999_99))
def test_what_is_said_parses_back_to_the_same_fen(locale, fen):
    assert heard(say_amount(fen, locale), locale) == fen


def test_nonsense_amounts_cannot_be_said():
    for bad in (0, -5, 12.5, True):
        with pytest.raises(AmountError):
            say_amount(bad, "en")
    with pytest.raises(AmountError):
        say_amount(100, "fr")
