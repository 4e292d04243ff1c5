"""The words a Vosk model can recognise, read from the model's files without loading the model.

A grammar word the model does not know is silently ignored by Vosk at run time ("missing in
vocabulary"), which would quietly change what a command sounds like. Reading the vocabulary lets
the grammar builder report such words when the grammar is built instead.

Models ship their word list in one of two ways:
- `graph/words.txt` (most models with an `HCLG.fst`): one `word id` per line;
- no words.txt, but the output symbol table embedded in the grammar FST `graph/Gr.fst`
  (lookahead models such as the Korean one): OpenFst's binary header, then the table.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_FST_MAGIC = 2125659606           # OpenFst fst.h kFstMagicNumber
_SYMBOL_TABLE_MAGIC = 2125658996  # OpenFst symbol-table.cc kSymbolTableMagicNumber
_HAS_ISYMBOLS, _HAS_OSYMBOLS = 0x1, 0x2

# Symbols of the graph that are not words a person says.
NON_WORDS = frozenset({"<eps>", "!SIL", "<UNK>", "[unk]", "<unk>", "<SPOKEN_NOISE>", "#0", "<s>", "</s>"})


class VocabularyUnavailable(RuntimeError):
    """The model has no word list this module can read."""


@dataclass(frozen=True)
class Vocabulary:
    words: frozenset[str]
    source: Path
    unknown_word: str | None  # the model's symbol for an unknown word, if it has one

    def __contains__(self, word: str) -> bool:
        return word in self.words

    def __len__(self) -> int:
        return len(self.words)

    def missing(self, words: Iterable[str]) -> list[str]:
        """The given words the model does not know, in first-seen order."""
        seen: dict[str, None] = {}
        for word in words:
            if word not in self.words and word not in seen:
                seen[word] = None
        return list(seen)


def read_vocabulary(model_dir: str | Path) -> Vocabulary:
    model_dir = Path(model_dir)
    for words_txt in (model_dir / "graph" / "words.txt", model_dir / "words.txt"):
        if words_txt.is_file():
            symbols = [line.split()[0] for line in words_txt.read_text(encoding="utf-8").splitlines() if line.split()]
            return _vocabulary(symbols, words_txt)
    for fst in (model_dir / "graph" / "Gr.fst", model_dir / "graph" / "HCLG.fst"):
        if fst.is_file():
            with fst.open("rb") as stream:
                symbols = _fst_output_symbols(stream)
            if symbols is not None:
                return _vocabulary(symbols, fst)
    raise VocabularyUnavailable(f"{model_dir} has neither graph/words.txt nor a grammar FST with a symbol table")


def _vocabulary(symbols: list[str], source: Path) -> Vocabulary:
    unknown = next((s for s in ("<UNK>", "[unk]", "<unk>") if s in symbols), None)
    return Vocabulary(frozenset(s for s in symbols if s not in NON_WORDS), source, unknown)


def _fst_output_symbols(stream: BinaryIO) -> list[str] | None:
    """The output symbol table of an OpenFst binary file, or None if it has none."""
    magic, = _unpack(stream, "<i")
    if magic != _FST_MAGIC:
        raise VocabularyUnavailable(f"{getattr(stream, 'name', 'stream')} is not an OpenFst binary file")
    _read_string(stream)  # fst type, e.g. "ngram", "const"
    _read_string(stream)  # arc type
    _version, flags = _unpack(stream, "<ii")
    _unpack(stream, "<Qqqq")  # properties, start state, number of states, number of arcs
    if flags & _HAS_ISYMBOLS:
        input_symbols = _read_symbol_table(stream)
        if not flags & _HAS_OSYMBOLS:
            return input_symbols  # an acceptor keeps one table
    if flags & _HAS_OSYMBOLS:
        return _read_symbol_table(stream)
    return None


def _read_symbol_table(stream: BinaryIO) -> list[str]:
    magic, = _unpack(stream, "<i")
    if magic != _SYMBOL_TABLE_MAGIC:
        raise VocabularyUnavailable("the FST's symbol table is damaged (bad magic number)")
    _read_string(stream)  # the table's name
    _available_key, size = _unpack(stream, "<qq")
    symbols = []
    for _ in range(size):
        symbols.append(_read_string(stream))
        stream.read(8)  # the symbol's key
    return symbols


def _unpack(stream: BinaryIO, fmt: str) -> tuple:
    size = struct.calcsize(fmt)
    data = stream.read(size)
    if len(data) != size:
        raise VocabularyUnavailable("the FST file ends inside its header")
    return struct.unpack(fmt, data)


def _read_string(stream: BinaryIO) -> str:
    length, = _unpack(stream, "<i")
    data = stream.read(length)
    if length < 0 or len(data) != length:
        raise VocabularyUnavailable("the FST file ends inside a string")
    return data.decode("utf-8")
