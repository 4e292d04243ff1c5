"""The three catalogues say the same things, every key the code uses exists, money and dates
follow the locale, and every server error code has a sentence and a next step."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timezone, timedelta
from pathlib import Path

import pytest

from app.i18n import SUPPORTED, Translator, catalogue, placeholders

ROOT = Path(__file__).resolve().parents[2]
KEY = re.compile(r"""["']((?:app|nav|busy|signin|register|setup|home|pay|keypad|receipt|journal|history|kind|"""
                 r"""messages|notice|settings|pin|cashier|error|code|cards|coupons|regulator|family|till|"""
                 r"""voice)\.[a-z_0-9.]+)["']""")


def keys_in_code() -> set[str]:
    used = set()
    for path in [*(ROOT / "ui").rglob("*.py"), ROOT / "app" / "problems.py"]:
        used |= set(KEY.findall(path.read_text(encoding="utf-8")))
    return used


def test_every_catalogue_has_the_same_keys_and_fields():
    english = catalogue("en")
    for locale in SUPPORTED:
        other = catalogue(locale)
        assert set(other) == set(english), locale
        wrong = [k for k in english if placeholders(other[k]) != placeholders(english[k])]
        assert wrong == [], (locale, wrong)
        assert all(text.strip() for text in other.values()), locale


def test_every_key_the_code_names_is_in_the_catalogue():
    used = keys_in_code()
    assert len(used) > 100
    assert sorted(k for k in used if k not in catalogue("en")) == []


def test_every_documented_server_error_has_a_sentence_and_a_next_step():
    codes = re.findall(r"^\| `([a-z_]+)` \|", (ROOT / "docs" / "errors.md").read_text(), re.M)
    core = ["not_authenticated", "insufficient_funds", "pin_incorrect", "pin_locked", "invalid_qr",
            "merchant_not_found", "validation_error", "service_unavailable", "internal_error", "bank_declined"]
    assert set(core) <= set(codes)
    for locale in SUPPORTED:
        cat = catalogue(locale)
        missing = [c for c in core if f"error.{c}" not in cat or f"error.{c}.next" not in cat]
        assert missing == [], locale


@pytest.mark.parametrize(("locale", "expected"), [("en", "CN¥1,234.50"), ("zh-CN", "¥1,234.50"), ("ko", "CN¥1,234.50")])
def test_money_is_exact_and_per_locale(locale, expected):
    t = Translator(locale)
    assert t.money(123450) == expected
    assert t.money(-1) == "-" + Translator(locale).money(1)
    assert t.money(1, signed=True).startswith("+")


def test_dates_follow_locale_and_time_zone():
    moment = datetime(2026, 11, 22, 3, 5, tzinfo=UTC)
    beijing = timezone(timedelta(hours=8))
    assert Translator("en", beijing).datetime(moment) == "Nov 22, 2026, 11:05:00\u202fAM"
    assert Translator("zh-CN", beijing).datetime(moment) == "2026年11月22日 11:05:00"
    assert Translator("ko", beijing).date(moment) == "2026년 11월 22일"


def test_a_missing_field_or_key_never_breaks_a_screen():
    t = Translator("zh-CN")
    assert t("error.pin_incorrect.next") == "您还可以再试 … 次。"
    assert t("no.such.key") == "no.such.key"
    assert Translator("fr").locale == "en"
