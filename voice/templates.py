"""Rhasspy-style sentence templates: the voice commands are data, not code.

A template file (`assets/voice/<locale>/commands.ini`) has one section per intent and one
sentence template per line:

    # a comment
    polite = [please]                       # a rule: name = template, used as <polite>
    [check_balance]
    <polite> (what is | what's) my balance
    how much money [do] i have

    [pay]
    pay $merchant $amount

- `(a | b)` alternatives, `[a]` optional words (`[a | b]`: optional alternatives),
- `$name` a slot, filled from a list at grammar-build time (merchants, family, amounts),
- `<name>` a rule defined in the same file (rules may use rules defined before them).

Expansion turns every template into all the word sequences it allows: the recogniser's phrase
list and the intent map are both built from that one expansion, so they cannot disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import product
from pathlib import Path

# An expansion bigger than this is almost certainly a template mistake (and would swamp the grammar).
MAX_EXPANSIONS_PER_TEMPLATE = 20_000

_TOKEN = re.compile(r"\s*(?:(?P<punct>[()\[\]|])|(?P<slot>\$[\w-]+)|(?P<rule><[\w.-]+>)|(?P<word>[^\s()\[\]|$<>]+))")
_SECTION = re.compile(r"^\[(?P<name>[\w-]+)\]\s*$")
_RULE = re.compile(r"^(?P<name>[\w-]+)\s*=\s*(?P<body>.+)$")


class TemplateError(ValueError):
    def __init__(self, message: str, source: str = "", line: int = 0):
        where = f"{source}:{line}: " if source else ""
        super().__init__(f"{where}{message}")


@dataclass(frozen=True)
class Slot:
    """A place in a sentence that a value from the named list fills."""
    name: str

    def __str__(self) -> str:
        return f"${self.name}"


Item = str | Slot  # a literal word, or a slot
Skeleton = tuple[Item, ...]


@dataclass(frozen=True)
class IntentTemplates:
    intent: str
    sentences: tuple[str, ...]
    skeletons: tuple[Skeleton, ...]  # every expansion, in template order, no duplicates


def _tokens(text: str, source: str, line: int) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise TemplateError(f"cannot read {text[pos:]!r}", source, line)
        kind = m.lastgroup
        tokens.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


class _Parser:
    """Recursive descent over: expr := seq ('|' seq)* ; seq := item* ; item := word | slot | rule | (expr) | [expr]."""

    def __init__(self, tokens, rules: dict[str, list[Skeleton]], source: str, line: int):
        self.tokens, self.pos, self.rules, self.source, self.line = tokens, 0, rules, source, line

    def error(self, message: str) -> TemplateError:
        return TemplateError(message, self.source, self.line)

    def parse(self) -> list[Skeleton]:
        result = self.expr()
        if self.pos != len(self.tokens):
            raise self.error(f"unexpected {self.tokens[self.pos][1]!r}")
        return result

    def expr(self) -> list[Skeleton]:
        options = self.seq()
        while self.pos < len(self.tokens) and self.tokens[self.pos] == ("punct", "|"):
            self.pos += 1
            options = options + self.seq()
        return options

    def seq(self) -> list[Skeleton]:
        parts: list[list[Skeleton]] = []
        while self.pos < len(self.tokens):
            kind, value = self.tokens[self.pos]
            if kind == "punct" and value in "|)]":
                break
            self.pos += 1
            if kind == "word":
                parts.append([(value,)])
            elif kind == "slot":
                parts.append([(Slot(value[1:]),)])
            elif kind == "rule":
                name = value[1:-1]
                if name not in self.rules:
                    raise self.error(f"unknown rule <{name}> (define it above its first use)")
                parts.append(self.rules[name])
            elif value in "([":
                inner = self.expr()
                closing = ")" if value == "(" else "]"
                if self.pos >= len(self.tokens) or self.tokens[self.pos] != ("punct", closing):
                    raise self.error(f"missing {closing!r}")
                self.pos += 1
                parts.append(inner + [()] if value == "[" else inner)
        combos = 1
        for part in parts:
            combos *= len(part)
            if combos > MAX_EXPANSIONS_PER_TEMPLATE:
                raise self.error(f"expands to more than {MAX_EXPANSIONS_PER_TEMPLATE} sentences")
        return [tuple(item for piece in pieces for item in piece) for pieces in product(*parts)] if parts else [()]


def expand(template: str, rules: dict[str, list[Skeleton]] | None = None, *, source: str = "", line: int = 0) -> list[Skeleton]:
    """Every word sequence one template allows, without duplicates, in order."""
    skeletons = _Parser(_tokens(template, source, line), rules or {}, source, line).parse()
    unique = list(dict.fromkeys(s for s in skeletons if s))
    if not unique:
        raise TemplateError("the template allows saying nothing", source, line)
    return unique


def parse_templates(text: str, source: str = "<templates>") -> list[IntentTemplates]:
    rules: dict[str, list[Skeleton]] = {}
    sections: dict[str, tuple[list[str], list[Skeleton]]] = {}
    current: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if m := _SECTION.match(line):
            current = m.group("name")
            if current in sections:
                raise TemplateError(f"intent [{current}] appears twice", source, number)
            sections[current] = ([], [])
        elif m := _RULE.match(line):
            rules[m.group("name")] = _rule_expansion(m.group("body"), rules, source, number)
        elif current is None:
            raise TemplateError("a sentence before any [intent] section", source, number)
        else:
            sentences, skeletons = sections[current]
            sentences.append(line)
            skeletons.extend(expand(line, rules, source=source, line=number))
    return [IntentTemplates(name, tuple(sentences), tuple(dict.fromkeys(skeletons)))
            for name, (sentences, skeletons) in sections.items()]


def _rule_expansion(body: str, rules, source: str, line: int) -> list[Skeleton]:
    # A rule may expand to nothing (e.g. "polite = [please]"), unlike a sentence.
    return list(dict.fromkeys(_Parser(_tokens(body, source, line), rules, source, line).parse()))


def load_templates(path: Path) -> list[IntentTemplates]:
    return parse_templates(path.read_text(encoding="utf-8"), source=str(path))
