"""Every string the client shows, in English, Simplified Chinese and Korean, and money and dates per locale.

The catalogues are data (`assets/i18n/<locale>.json`, flat `key -> text` with `{name}` fields);
code only names keys. A key missing from a catalogue falls back to English, then to the key
itself, so a gap shows up as readable English rather than a crash.
"""

from __future__ import annotations

import json
import string
from datetime import datetime, tzinfo
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_currency

CATALOGUE_DIR = Path(__file__).resolve().parents[1] / "assets" / "i18n"
SUPPORTED = ("en", "zh-CN", "ko")
DEFAULT = "en"
# Our language tags -> CLDR locales for Babel.
_CLDR = {"en": "en_US", "zh-CN": "zh_Hans_CN", "ko": "ko_KR"}
# Each language named in itself, so a person can find their own in a list.
LANGUAGE_NAMES = {"en": "English", "zh-CN": "简体中文", "ko": "한국어"}


@cache
def catalogue(locale: str) -> dict[str, str]:
    return json.loads((CATALOGUE_DIR / f"{locale}.json").read_text(encoding="utf-8"))


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def supported(locale: str | None) -> str:
    return locale if locale in SUPPORTED else DEFAULT


class _Fields(dict):
    def __missing__(self, name: str) -> str:
        return "…"  # a value the server did not send: say less rather than show a {field}


class Translator:
    def __init__(self, locale: str = DEFAULT, timezone: tzinfo | None = None) -> None:
        self.locale = supported(locale)
        self.cldr = _CLDR[self.locale]
        # Dates show in the device's own zone unless told otherwise.
        self.timezone = timezone or datetime.now().astimezone().tzinfo

    def has(self, key: str) -> bool:
        return key in catalogue(self.locale) or key in catalogue(DEFAULT)

    def __call__(self, key: str, **params: object) -> str:
        text = catalogue(self.locale).get(key) or catalogue(DEFAULT).get(key) or key
        try:
            return text.format_map(_Fields(params)) if params or "{" in text else text
        except (IndexError, ValueError):
            return text  # a translation with a broken field must not take the screen down

    def money(self, fen: int, *, signed: bool = False) -> str:
        """Integer fen -> '¥12.50' / 'CN¥12.50' as the locale writes it; exact (Decimal, no float)."""
        text = format_currency(Decimal(abs(fen)) / 100, "CNY", locale=self.cldr)
        if fen < 0:
            return "-" + text
        return ("+" + text) if signed and fen > 0 else text

    def datetime(self, moment: datetime) -> str:
        return format_datetime(moment, "medium", tzinfo=self.timezone, locale=self.cldr)

    def date(self, moment: datetime) -> str:
        return format_date(moment.astimezone(self.timezone), "long", locale=self.cldr)

    def time(self, moment: datetime) -> str:
        return format_time(moment, "short", tzinfo=self.timezone, locale=self.cldr)


def message_text(note, t: Translator) -> str:
    """An inbox message (`NotificationOut`) in the person's language when its key is known; else
    the server's English."""
    if not t.has(note.message_key):
        return note.text
    params = {k: v for k, v in note.params.items() if isinstance(v, (str, int))}
    if isinstance(params.get("amount_fen"), int):
        params["amount"] = t.money(params["amount_fen"])
    return t(note.message_key, **params)
