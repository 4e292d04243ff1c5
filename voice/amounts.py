"""Spoken amounts of money, per locale: parse what a person says into integer fen, and say fen.

The wallet's currency is the yuan (CNY, 100 fen). Each locale says it its own way:
- en:    "twelve yuan fifty", "twelve yuan and five fen", "fifty fen", "a hundred and twenty yuan"
- zh-CN: "十二块五", "十二元五角五分", "十二块零五分", "五毛", "一百二" (=120), "两千"
- ko:    "만 이천 원", "십이 원 오십 전", "오십 전"; 원 is how Korean speakers in China say 元
         (its Sino-Korean reading), 전 is the Korean word for a hundredth.

Parsers take the locale's tokens (words for en; single characters for zh-CN and ko, so the
recogniser's word segmentation does not matter) and return None for anything that is not
exactly one amount. A bare number ("twelve", "十二", "십이") is yuan.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

FEN_PER_YUAN = 100
# Nobody pays a hundred million yuan by voice; bounding the parsers keeps them simple and exact.
MAX_YUAN = 99_999_999


class AmountError(ValueError):
    pass


# ---------------------------------------------------------------- English

_EN_UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen".split())}
_EN_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if i >= 2}
_EN_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000}
_EN_YUAN = {"yuan", "kuai", "rmb", "renminbi"}
_EN_FEN = {"fen", "cent", "cents"}
EN_AMOUNT_WORDS = frozenset(_EN_UNITS) | set(_EN_TENS) | set(_EN_SCALES) | _EN_YUAN | _EN_FEN | {"a", "and", "point"}


def _en_number(words: Sequence[str]) -> int | None:
    """'one hundred and twenty' -> 120. None unless the words are exactly one number."""
    if not words:
        return None
    total, group, last = 0, None, None  # last: the kind of the previous word, to refuse "twenty twenty"
    for i, word in enumerate(words):
        if word == "a" and i + 1 < len(words) and words[i + 1] in _EN_SCALES and group is None:
            group, last = 1, "unit"
        elif word == "and":
            if last != "scale" or i + 1 == len(words):
                return None
            last = "and"
        elif word in _EN_UNITS:
            if last in ("unit", "teen") or (last == "tens" and (_EN_UNITS[word] == 0 or _EN_UNITS[word] >= 10)):
                return None
            if word == "zero" and len(words) > 1:
                return None
            group = (group or 0) + _EN_UNITS[word]
            last = "teen" if _EN_UNITS[word] >= 10 else "unit"
        elif word in _EN_TENS:
            if last in ("unit", "teen", "tens"):
                return None
            group = (group or 0) + _EN_TENS[word]
            last = "tens"
        elif word in _EN_SCALES:
            scale = _EN_SCALES[word]
            # "eight hundred thousand" is fine; "thousand thousand" and "hundred hundred" are not.
            if group is None or last == "and" or (last == "scale" and (scale == 100 or group % 100)):
                return None
            if scale == 100:
                if group >= 100:
                    return None
                group *= 100
            else:
                # "two million three thousand" counts down; "three thousand two million" does not.
                if group >= 1000 or (total and total % (scale * 1000)):
                    return None
                total += group * scale
                group = None
            last = "scale"
        else:
            return None
    if last == "and":
        return None
    return total + (group or 0)


def _en_parse(words: Sequence[str]) -> int | None:
    words = [w for w in words if w]
    if not words:
        return None
    yuan_at = next((i for i, w in enumerate(words) if w in _EN_YUAN), None)
    if yuan_at is None and words[-1] in _EN_FEN:  # "fifty fen"
        fen = _en_number(words[:-1])
        return fen if fen is not None and 0 < fen < 100 else None
    if "point" in words:  # "twelve point five yuan"
        p = words.index("point")
        tail = words[p + 1:]
        if tail and tail[-1] in _EN_YUAN:
            tail = tail[:-1]
        yuan = _en_number(words[:p])
        digits = [_EN_UNITS.get(w) for w in tail]
        if yuan is None or not 1 <= len(digits) <= 2 or any(d is None or d > 9 for d in digits):
            return None
        fen = digits[0] * 10 + (digits[1] if len(digits) == 2 else 0)
        return _checked(yuan, fen)
    if yuan_at is None:
        yuan = _en_number(words)
        return _checked(yuan, 0) if yuan else None
    yuan = _en_number(words[:yuan_at])
    rest = words[yuan_at + 1:]
    if yuan is None:
        return None
    if not rest:
        return _checked(yuan, 0) if yuan else None
    if rest[0] == "and":
        rest = rest[1:]
    if rest and rest[-1] in _EN_FEN:
        rest = rest[:-1]
    fen = _en_number(rest)
    if fen is None or not 0 < fen < 100:
        return None
    return _checked(yuan, fen)


def _en_number_words(n: int) -> str:
    if n < 20:
        return list(_EN_UNITS)[n]
    if n < 100:
        tens = [w for w, v in _EN_TENS.items() if v == n // 10 * 10][0]
        return tens if n % 10 == 0 else f"{tens} {list(_EN_UNITS)[n % 10]}"
    for word, scale in sorted(_EN_SCALES.items(), key=lambda kv: -kv[1]):
        if n >= scale:
            head, rest = divmod(n, scale)
            text = f"{_en_number_words(head)} {word}"
            if rest:
                text += (" and " if rest < 100 else " ") + _en_number_words(rest)
            return text
    raise AssertionError(n)


def _en_say(fen: int) -> str:
    yuan, rest = divmod(fen, FEN_PER_YUAN)
    if not yuan:
        return f"{_en_number_words(rest)} fen"
    text = f"{_en_number_words(yuan)} yuan"
    if rest >= 10:
        text += f" {_en_number_words(rest)}"
    elif rest:
        text += f" and {_en_number_words(rest)} fen"
    return text


# ---------------------------------------------------------------- Chinese

_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_ZH_YUAN, _ZH_JIAO, _ZH_FEN = {"块", "元"}, {"毛", "角"}, {"分"}
ZH_AMOUNT_CHARS = frozenset(_ZH_DIGITS) | set(_ZH_SMALL_UNITS) | {"万", "钱", "半"} | _ZH_YUAN | _ZH_JIAO | _ZH_FEN


def _zh_below_10000(chars: str) -> int | None:
    """'一百二十三' -> 123, '一百二' -> 120 (a last digit after a unit counts in the next unit down)."""
    if not chars:
        return None
    if chars[0] == "十":
        chars = "一" + chars
    total, digit, last_unit, zero_seen = 0, None, 10_000, False
    for ch in chars:
        if ch in _ZH_DIGITS:
            if digit is not None:
                return None
            digit = _ZH_DIGITS[ch]
            if digit == 0:
                zero_seen, digit = True, None
        elif ch in _ZH_SMALL_UNITS:
            unit = _ZH_SMALL_UNITS[ch]
            if digit is None or unit >= last_unit:
                return None
            total += digit * unit
            digit, last_unit, zero_seen = None, unit, False
        else:
            return None
    if digit is not None:
        # "一百二" is 120, but "一百零二" is 102 and "十二" is 12.
        total += digit * (last_unit // 10 if last_unit < 10_000 and last_unit > 10 and not zero_seen else 1)
    return total


def _zh_number(chars: str) -> int | None:
    if not chars:
        return None
    if chars.count("万") > 1:
        return None
    if "万" in chars:
        high, low = chars.split("万")
        high_value = _zh_below_10000(high)
        if high_value is None or high_value == 0:
            return None
        if not low:
            return high_value * 10_000
        if len(low) == 1 and low in _ZH_DIGITS and low not in "零〇":
            return high_value * 10_000 + _ZH_DIGITS[low] * 1000  # 一万二 = 12000
        low_value = _zh_below_10000(low.lstrip("零"))
        return None if low_value is None else high_value * 10_000 + low_value
    return _zh_below_10000(chars)


def _zh_digit(chars: str) -> int | None:
    return _ZH_DIGITS[chars] if len(chars) == 1 and chars in _ZH_DIGITS else None


def _zh_parse(tokens: Sequence[str]) -> int | None:
    text = "".join(tokens)
    if not text:
        return None
    text = text[:-1] if text.endswith("钱") else text
    m = re.fullmatch(r"(?:(?P<yuan>[^块元毛角分]+)[块元])?(?P<rest>.*)", text)
    if not m:
        return None
    yuan_part, rest = m.group("yuan"), m.group("rest")
    yuan = 0
    if yuan_part is not None:
        yuan = _zh_number(yuan_part)
        if yuan is None:
            return None
    elif rest and rest[-1] not in _ZH_JIAO | _ZH_FEN:
        value = _zh_number(rest)  # a bare number is yuan
        return _checked(value, 0) if value else None
    if rest == "半" and yuan_part is not None:
        return _checked(yuan, 50)
    fen = _zh_fraction(rest, after_yuan=yuan_part is not None)
    if fen is None or (yuan == 0 and fen == 0):
        return None
    return _checked(yuan, fen)


def _zh_fraction(rest: str, after_yuan: bool) -> int | None:
    """The part after 块: '五' or '五毛' (50), '五毛五' or '五毛五分' (55), '零五分' (5), '' (0)."""
    if not rest:
        return 0
    m = re.fullmatch(r"(?P<jiao>.)(?:[毛角])?(?P<fen>.)?分?", rest)
    if rest.startswith("零"):
        m2 = re.fullmatch(r"零(?P<fen>.)分?", rest)
        if not m2 or not after_yuan:
            return None
        fen = _zh_digit(m2.group("fen"))
        return fen if fen else None
    if rest.endswith("分") and not any(c in rest for c in _ZH_JIAO):
        fen = _zh_number(rest[:-1])  # "五分" alone; "十五分" is not said but is clear
        return fen if fen and fen < 10 else None
    if not m:
        return None
    jiao = _zh_digit(m.group("jiao"))
    has_jiao_unit = any(c in rest for c in _ZH_JIAO)
    if jiao is None or (not after_yuan and not has_jiao_unit):
        return None
    fen_digit = m.group("fen")
    fen = _zh_digit(fen_digit) if fen_digit else 0
    if fen is None:
        return None
    if not has_jiao_unit and fen_digit:
        return None  # "十二块五五" is not how anyone says 12.55
    return jiao * 10 + fen


def _zh_number_words(n: int, *, leading_liang: bool = True) -> str:
    if n == 0:
        return "零"
    if n >= 10_000:
        high, low = divmod(n, 10_000)
        text = _zh_number_words(high, leading_liang=leading_liang) + "万"
        if low:
            text += ("零" if low < 1000 else "") + _zh_number_words(low, leading_liang=False)
        return text
    digits = "零一二三四五六七八九"
    parts, zero_pending = [], False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // unit % 10
        if d == 0:
            zero_pending = bool(parts)
            continue
        if zero_pending:
            parts.append("零")
            zero_pending = False
        if d == 2 and unit >= 100 and not parts and leading_liang:
            parts.append("两" + name)
        elif d == 1 and unit == 10 and not parts and n < 20:
            parts.append("十")
        else:
            parts.append(digits[d] + name)
    return "".join(parts)


def _zh_say(fen: int) -> str:
    yuan, rest = divmod(fen, FEN_PER_YUAN)
    jiao, fen_digit = divmod(rest, 10)
    text = ""
    if yuan:
        text = ("两" if yuan == 2 else _zh_number_words(yuan)) + "元"
    if jiao:
        text += "零一二三四五六七八九"[jiao] + "角"
    if fen_digit:
        text += ("零" if yuan and not jiao else "") + "零一二三四五六七八九"[fen_digit] + "分"
    return text


# ---------------------------------------------------------------- Korean

_KO_DIGITS = {"영": 0, "공": 0, "일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9}
_KO_SMALL_UNITS = {"십": 10, "백": 100, "천": 1000}
KO_AMOUNT_CHARS = frozenset(_KO_DIGITS) | set(_KO_SMALL_UNITS) | {"만", "원", "전"}


def _ko_below_10000(chars: str) -> int | None:
    if not chars:
        return None
    total, digit, last_unit = 0, None, 10_000
    for ch in chars:
        if ch in _KO_DIGITS:
            if digit is not None:
                return None
            digit = _KO_DIGITS[ch]
        elif ch in _KO_SMALL_UNITS:
            unit = _KO_SMALL_UNITS[ch]
            if unit >= last_unit or digit == 0:
                return None
            total += (1 if digit is None else digit) * unit  # 천 = 1000, 백 = 100, 십 = 10
            digit, last_unit = None, unit
        else:
            return None
    if digit is not None:
        if digit == 0 and total:
            return None
        total += digit
    return total


def _ko_number(chars: str) -> int | None:
    if not chars or chars.count("만") > 1:
        return None
    if "만" in chars:
        high, low = chars.split("만")
        high_value = 1 if high == "" else _ko_below_10000(high)  # 만 = 10000
        low_value = 0 if low == "" else _ko_below_10000(low)
        if not high_value or low_value is None:
            return None
        return high_value * 10_000 + low_value
    return _ko_below_10000(chars)


def _ko_parse(tokens: Sequence[str]) -> int | None:
    text = "".join(tokens)
    m = re.fullmatch(r"(?:(?P<yuan>[^원전]+)원)?(?:(?P<fen>[^원전]+)전?)?", text)
    if not text or not m:
        return None
    yuan_part, fen_part = m.group("yuan"), m.group("fen")
    if yuan_part is None:
        if fen_part is None:
            return None
        value = _ko_number(fen_part)
        if text.endswith("전"):
            return value if value and value < 100 else None
        return _checked(value, 0) if value else None  # a bare number is yuan
    yuan = _ko_number(yuan_part)
    if not yuan and yuan != 0:
        return None
    fen = 0
    if fen_part is not None:
        fen = _ko_number(fen_part)
        if fen is None or not 0 < fen < 100:
            return None
    if yuan == 0 and fen == 0:
        return None
    return _checked(yuan, fen)


def _ko_number_words(n: int) -> str:
    """10000 -> '만', 12000 -> '만 이천', 200 -> '이백', 1 -> '일' (groups of 만 apart, as written)."""
    digits = "영일이삼사오육칠팔구"

    def below_10000(m: int) -> str:
        parts = []
        for unit, name in ((1000, "천"), (100, "백"), (10, "십")):
            d = m // unit % 10
            if d:
                parts.append(("" if d == 1 else digits[d]) + name)
        if m % 10:
            parts.append(digits[m % 10])
        return "".join(parts)

    if n == 0:
        return "영"
    high, low = divmod(n, 10_000)
    words = []
    if high:
        words.append("만" if high == 1 else below_10000(high) + "만")
    if low:
        words.append(below_10000(low))
    return " ".join(words)


def _ko_say(fen: int) -> str:
    yuan, rest = divmod(fen, FEN_PER_YUAN)
    words = []
    if yuan:
        words.append(f"{_ko_number_words(yuan)} 원")
    if rest:
        words.append(f"{_ko_number_words(rest)} 전")
    return " ".join(words)


# ---------------------------------------------------------------- the interface

def _checked(yuan: int | None, fen: int) -> int | None:
    if yuan is None or yuan > MAX_YUAN:
        return None
    return yuan * FEN_PER_YUAN + fen


_PARSERS = {"en": _en_parse, "zh-CN": _zh_parse, "ko": _ko_parse}
_SAYERS = {"en": _en_say, "zh-CN": _zh_say, "ko": _ko_say}
# Tokens that can be part of an amount: the grammar matcher only tries spans made of these.
AMOUNT_TOKENS = {"en": EN_AMOUNT_WORDS, "zh-CN": ZH_AMOUNT_CHARS, "ko": KO_AMOUNT_CHARS}


def parse_amount(tokens: Sequence[str], locale: str) -> int | None:
    """Fen for exactly one spoken amount in the locale's tokens, else None."""
    if locale not in _PARSERS:
        raise AmountError(f"no spoken amounts for locale {locale!r}")
    return _PARSERS[locale](list(tokens))


def say_amount(fen: int, locale: str) -> str:
    """How the assistant says an amount: unambiguous, and parsed back to the same fen."""
    if locale not in _SAYERS:
        raise AmountError(f"no spoken amounts for locale {locale!r}")
    if not isinstance(fen, int) or isinstance(fen, bool) or not 0 < fen <= MAX_YUAN * FEN_PER_YUAN + 99:
        raise AmountError(f"cannot say {fen!r} fen")
    return _SAYERS[locale](fen)
