"""How each locale cuts text into the tokens that grammars and amounts are matched on.

English is compared word by word. Chinese and Korean are compared character by character
with spaces dropped: recognisers segment them differently ("아들에게" or "아들 에게",
"十二块" or "十二 块"), and what a person said does not depend on that.
"""

from __future__ import annotations

import re
import unicodedata

CHARACTER_LOCALES = frozenset({"zh-CN", "ko"})
SUPPORTED_LOCALES = ("en", "zh-CN", "ko")

_EN_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def tokenize(text: str, locale: str) -> tuple[str, ...]:
    text = unicodedata.normalize("NFKC", text).lower()
    if locale in CHARACTER_LOCALES:
        return tuple(ch for ch in text if ch.isalnum())
    # Hyphens join number words ("twenty-five"); apostrophes stay inside a word ("what's").
    return tuple(_EN_WORD.findall(text.replace("-", " ")))


def join_tokens(tokens, locale: str) -> str:
    return ("" if locale in CHARACTER_LOCALES else " ").join(tokens)
