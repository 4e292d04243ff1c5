"""The command grammar of one locale: the recogniser's phrase list and the intent map, from one expansion.

`build_grammar(locale, slots, vocabulary)` expands the locale's templates, fills the slots
(`$amount` from spoken amounts, `$merchant` and `$family` from the user's recent merchants and
family), and, given the model's vocabulary, reports at build time every template word the
model does not know and every merchant or family name it cannot say. Phrases with such words
are left out of the phrase list (Vosk would drop the word and hear a different sentence).

`grammar.match(text)` is the intent map: every intent whose expansion is exactly `text`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from voice.amounts import AMOUNT_TOKENS, parse_amount, say_amount
from voice.intents import Intent, IntentName, SlotValue
from voice.locales import VoiceLocale, load_locale
from voice.templates import Slot, TemplateError
from voice.tokens import CHARACTER_LOCALES, tokenize
from voice.vocabulary import Vocabulary

AMOUNT_SLOT = "amount"
DYNAMIC_SLOT_NAMES = ("merchant", "family")

# Amounts put into the recogniser's phrase list. The grammar is a bigram model, so these need
# not list every amount: they teach it how number words follow each other in the locale.
_SAMPLE_YUAN = (list(range(1, 21)) + list(range(25, 100, 5)) + list(range(100, 1000, 100)) + [120, 150, 250]
                + list(range(1000, 10_000, 1000)) + [1500, 2500, 10_000, 12_000, 20_000, 50_000])
AMOUNT_SAMPLES_FEN = tuple([y * 100 for y in _SAMPLE_YUAN] + [50, 5, 1250, 350, 1205, 99])


@dataclass(frozen=True)
class DynamicSlots:
    """The values that change per user: recent merchants and family members, with how each is said."""
    merchants: tuple[SlotValue, ...] = ()
    family: tuple[SlotValue, ...] = ()

    def values(self, name: str) -> tuple[SlotValue, ...]:
        return {"merchant": self.merchants, "family": self.family}[name]


@dataclass(frozen=True)
class VocabularyReport:
    """What the model cannot recognise, found when the grammar is built."""
    source: str
    missing_words: dict[str, tuple[str, ...]] = field(default_factory=dict)  # template word -> intents using it
    unsayable: dict[str, tuple[str, ...]] = field(default_factory=dict)      # slot -> values the model cannot say

    @property
    def ok(self) -> bool:
        return not self.missing_words and not self.unsayable

    def describe(self) -> str:
        if self.ok:
            return f"every grammar word is in the model's vocabulary ({self.source})"
        lines = [f"grammar words the speech model ({self.source}) does not know:"]
        lines += [f"  {word!r} (in {', '.join(intents)})" for word, intents in self.missing_words.items()]
        lines += [f"  ${slot}: cannot say {', '.join(map(repr, values))}" for slot, values in self.unsayable.items()]
        return "\n".join(lines)


_Element = tuple[str, ...] | Slot  # literal tokens, or a slot


@dataclass(frozen=True)
class _Pattern:
    intent: IntentName
    skeleton: tuple[str | Slot, ...]
    elements: tuple[_Element, ...]
    min_tokens: int


class CommandGrammar:
    """`intents`: only these commands (a dialogue state's smaller grammar); None: every command."""

    def __init__(self, locale: VoiceLocale, slots: DynamicSlots = DynamicSlots(),
                 vocabulary: Vocabulary | None = None, intents: Collection[IntentName] | None = None):
        self.locale = locale
        self.code = locale.code
        self.slots = slots
        self.vocabulary = vocabulary
        self.intents = frozenset(intents) if intents is not None else frozenset(IntentName)
        self._amount_tokens = AMOUNT_TOKENS[self.code]
        self._slot_tokens = {name: [(tokenize(v.spoken, self.code), v) for v in slots.values(name)
                                    if tokenize(v.spoken, self.code)]
                             for name in DYNAMIC_SLOT_NAMES}
        self.patterns = self._patterns()
        self.phrases, self.report = self._phrases()

    # ------------------------------------------------------------ the intent map

    def _patterns(self) -> list[_Pattern]:
        known = set(IntentName)
        patterns = []
        for group in self.locale.templates:
            if group.intent not in known:
                raise TemplateError(f"{self.code}: [{group.intent}] is not an intent this wallet knows")
            for skeleton in group.skeletons:
                elements: list[_Element] = []
                for item in skeleton:
                    if isinstance(item, Slot):
                        if item.name != AMOUNT_SLOT and item.name not in DYNAMIC_SLOT_NAMES:
                            raise TemplateError(f"{self.code}: [{group.intent}] uses unknown slot ${item.name}")
                        elements.append(item)
                    elif elements and not isinstance(elements[-1], Slot):
                        elements[-1] = elements[-1] + tokenize(item, self.code)
                    else:
                        elements.append(tokenize(item, self.code))
                min_tokens = sum(1 if isinstance(e, Slot) else len(e) for e in elements)
                patterns.append(_Pattern(IntentName(group.intent), skeleton, tuple(elements), min_tokens))
        return [p for p in patterns if p.intent in self.intents]

    def match(self, text: str | Sequence[str]) -> list[Intent]:
        """Every distinct intent (with its slots) whose templates say exactly this."""
        tokens = tokenize(text, self.code) if isinstance(text, str) else tuple(text)
        found: dict[Intent, None] = {}
        for pattern in self.patterns:
            if pattern.min_tokens > len(tokens):
                continue
            for slots in self._match(pattern.elements, 0, tokens, 0, {}):
                found[Intent(pattern.intent, slots)] = None
        return list(found)

    def parse(self, text: str) -> Intent | None:
        """The one intent `text` says, or None if it says none or several."""
        intents = self.match(text)
        return intents[0] if len(intents) == 1 else None

    def _match(self, elements, ei: int, tokens, ti: int, slots: dict) -> Iterable[dict]:
        if ei == len(elements):
            if ti == len(tokens):
                yield dict(slots)
            return
        element = elements[ei]
        if not isinstance(element, Slot):
            end = ti + len(element)
            if tokens[ti:end] == element:
                yield from self._match(elements, ei + 1, tokens, end, slots)
            return
        if element.name == AMOUNT_SLOT:
            stop = ti
            while stop < len(tokens) and tokens[stop] in self._amount_tokens:
                stop += 1
            for end in range(stop, ti, -1):
                fen = parse_amount(tokens[ti:end], self.code)
                if fen is not None:
                    yield from self._match(elements, ei + 1, tokens, end, {**slots, AMOUNT_SLOT: fen})
            return
        for value_tokens, value in self._slot_tokens[element.name]:
            end = ti + len(value_tokens)
            if tokens[ti:end] == value_tokens:
                yield from self._match(elements, ei + 1, tokens, end, {**slots, element.name: value})

    def ambiguities(self) -> list[tuple[str, list[Intent]]]:
        """Phrases of the grammar that mean more than one thing (a template mistake)."""
        return [(phrase, intents) for phrase in self.phrases if len(intents := self.match(phrase)) > 1]

    # ------------------------------------------------------------ the recogniser's phrase list

    def slot_phrases(self, name: str) -> list[str]:
        if name == AMOUNT_SLOT:
            said = [say_amount(fen, self.code) for fen in AMOUNT_SAMPLES_FEN]
            return list(dict.fromkeys(said + list(self.locale.amount_examples)))
        return [value.spoken for value in self.slots.values(name)]

    def _phrases(self) -> tuple[list[str], VocabularyReport | None]:
        missing: dict[str, dict[str, None]] = defaultdict(dict)
        unsayable: dict[str, dict[str, None]] = defaultdict(dict)
        slot_words: dict[str, list[list[str]]] = {}
        for name in (AMOUNT_SLOT, *DYNAMIC_SLOT_NAMES):
            slot_words[name] = []
            for spoken in self.slot_phrases(name):
                words = self._recogniser_words(spoken)
                if words is None:
                    unsayable[name][spoken] = None
                else:
                    slot_words[name].append(words)
        for example in self.locale.amount_examples:
            if parse_amount(tokenize(example, self.code), self.code) is None:
                raise TemplateError(f"{self.code}: amount example {example!r} is not an amount")

        phrases: dict[str, None] = {}
        enumerated: set[tuple[IntentName, str]] = set()
        for pattern in self.patterns:
            literal_missing = [w for w in pattern.skeleton if isinstance(w, str) and not self._known(w)]
            for word in literal_missing:
                missing[word][pattern.intent.value] = None
            if literal_missing:
                continue
            # The grammar is a bigram model estimated from these phrases: listing every amount in
            # every sentence would make number words so frequent that they creep into everything
            # heard. So each intent lists a slot's values once; its other sentences use one value.
            slot_names = {item.name for item in pattern.skeleton if isinstance(item, Slot)}
            full = {name for name in slot_names if (pattern.intent, name) not in enumerated}
            enumerated |= {(pattern.intent, name) for name in full}
            for filled in self._fillings(pattern.skeleton, slot_words, full):
                phrases[" ".join(filled)] = None
        report = None
        if self.vocabulary is not None:
            report = VocabularyReport(str(self.vocabulary.source),
                                      {w: tuple(i) for w, i in missing.items()},
                                      {s: tuple(v) for s, v in unsayable.items()})
        return list(phrases), report

    @staticmethod
    def _fillings(skeleton, slot_words: dict[str, list[list[str]]], full: set[str]) -> Iterable[list[str]]:
        """Slots named in `full` take each of their values once, the others their first value (linear, not a product)."""
        positions = [i for i, item in enumerate(skeleton) if isinstance(item, Slot)]
        if any(not slot_words[skeleton[i].name] for i in positions):
            return  # a slot with no sayable values: this sentence cannot be said now
        base = {i: slot_words[skeleton[i].name][0] for i in positions}
        variants = [base] + [{**base, i: words} for i in positions if skeleton[i].name in full
                             for words in slot_words[skeleton[i].name][1:]]
        for chosen in variants:
            yield [w for i, item in enumerate(skeleton) for w in (chosen[i] if i in chosen else [item])]

    def _known(self, word: str) -> bool:
        return self.vocabulary is None or word in self.vocabulary

    def _recogniser_words(self, spoken: str) -> list[str] | None:
        """The model's words for a slot value; a word it lacks is split into words it has (이백 -> 이 백)."""
        words = spoken.lower().split() if self.code not in CHARACTER_LOCALES else spoken.split()
        if self.vocabulary is None:
            return words
        result = []
        for word in words:
            if word in self.vocabulary:
                result.append(word)
            elif self.code in CHARACTER_LOCALES and (pieces := _segment(word, self.vocabulary)):
                result.extend(pieces)
            else:
                return None
        return result


def _segment(word: str, vocabulary: Vocabulary) -> list[str] | None:
    """Split a word into the fewest known words (dynamic programming over characters)."""
    best: list[list[str] | None] = [[]] + [None] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(end):
            piece = word[start:end]
            if best[start] is not None and piece in vocabulary:
                candidate = best[start] + [piece]
                if best[end] is None or len(candidate) < len(best[end]):
                    best[end] = candidate
    return best[len(word)]


def build_grammar(locale: str | VoiceLocale, slots: DynamicSlots = DynamicSlots(),
                  vocabulary: Vocabulary | None = None, intents: Collection[IntentName] | None = None) -> CommandGrammar:
    return CommandGrammar(load_locale(locale) if isinstance(locale, str) else locale, slots, vocabulary, intents)
