"""The build-time check of the grammar against the real Korean model's vocabulary."""

from __future__ import annotations

import dataclasses

import pytest

from tests.voice.audio_fixtures import FAMILY, MERCHANTS
from voice.grammar import DynamicSlots, build_grammar
from voice.intents import SlotValue
from voice.locales import ASSETS_DIR as ASSETS
from voice.locales import load_locale
from voice.templates import parse_templates
from voice.vocabulary import VocabularyUnavailable, read_vocabulary


@pytest.fixture(scope="module")
def ko_vocabulary(ko_model_path):
    return read_vocabulary(ko_model_path)


def test_the_korean_vocabulary_is_read_from_the_graphs_symbol_table(ko_vocabulary, ko_model_path):
    assert ko_vocabulary.source == ko_model_path / "graph" / "Gr.fst"  # the model ships no words.txt
    assert len(ko_vocabulary) > 500_000
    assert ko_vocabulary.unknown_word == "<UNK>"
    assert {"결제", "아들", "에게", "네", "아니요"} <= ko_vocabulary.words
    assert "아들에게" not in ko_vocabulary and "<eps>" not in ko_vocabulary


def test_the_shipped_korean_commands_are_all_in_the_vocabulary(ko_vocabulary):
    grammar = build_grammar("ko", DynamicSlots(MERCHANTS, FAMILY), ko_vocabulary)
    assert grammar.report.ok, grammar.report.describe()
    assert all(word in ko_vocabulary for phrase in grammar.phrases for word in phrase.split())


def test_unknown_template_words_and_unsayable_names_are_reported_at_build_time(ko_vocabulary):
    base = load_locale("ko")
    text = (ASSETS / "ko" / "commands.ini").read_text(encoding="utf-8").replace("[help]\n", "[help]\n아들에게 도와 줘\n")
    broken = dataclasses.replace(base, templates=tuple(parse_templates(text)))
    slots = DynamicSlots((SlotValue("편의점", 1), SlotValue("Lotus Noodles", 2), SlotValue("국숫집", 3)))
    grammar = build_grammar(broken, slots, ko_vocabulary)
    assert not grammar.report.ok
    assert grammar.report.missing_words == {"아들에게": ("help",), "도와": ("help",)}
    assert grammar.report.unsayable == {"merchant": ("Lotus Noodles",)}
    assert "아들에게 도와 줘" not in grammar.phrases and "도움말" in grammar.phrases
    assert any(p.startswith("국숫집 에") for p in grammar.phrases)  # a known word, kept whole
    assert "Lotus Noodles" in grammar.report.describe()


def test_a_word_the_model_lacks_is_split_into_words_it_has(ko_vocabulary):
    assert "이백" not in ko_vocabulary
    grammar = build_grammar("ko", DynamicSlots(MERCHANTS, FAMILY), ko_vocabulary)
    assert "이 백 원" in grammar.phrases and "이백 원" not in grammar.phrases
    assert grammar.match("이 백 원")[0].amount_fen == 20000 == grammar.match("이백 원")[0].amount_fen


def test_a_model_without_a_word_list_says_so(tmp_path):
    (tmp_path / "graph").mkdir()
    with pytest.raises(VocabularyUnavailable):
        read_vocabulary(tmp_path)
    (tmp_path / "graph" / "words.txt").write_text("<eps> 0\nhello 1\n#0 2\n", encoding="utf-8")
    assert read_vocabulary(tmp_path).words == {"hello"}
