"""Vosk in grammar mode: a lazily loaded model, and a recogniser that reports words, confidences and alternatives.

Each utterance is decoded twice from the same audio, by two Vosk recognisers built on the same
grammar: one gives the best reading with a confidence per word (minimum Bayes risk), the other
the n best readings with their likelihoods. Grammar decoding costs a few tens of milliseconds,
so the second opinion is cheap; `voice.interpret` uses both to accept or reject.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from voice.grammar import CommandGrammar

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float
    start: float
    end: float


@dataclass(frozen=True)
class Alternative:
    text: str
    likelihood: float  # log-likelihood of the whole reading; only differences between readings mean anything


@dataclass(frozen=True)
class Recognition:
    text: str
    words: tuple[Word, ...] = ()
    alternatives: tuple[Alternative, ...] = ()

    @property
    def mean_confidence(self) -> float:
        return sum(w.confidence for w in self.words) / len(self.words) if self.words else 0.0

    @property
    def empty(self) -> bool:
        return not self.text.strip() and not any(a.text.strip() for a in self.alternatives)


def _vosk():
    import vosk

    vosk.SetLogLevel(-1)  # Kaldi's log lines are noise for a user
    return vosk


class SpeechModel:
    """A Vosk model on disk that loads on first need, on a background thread, once.

    Loading takes seconds and hundreds of MB; `load_async()` starts it without blocking the
    caller (the UI thread), and `get()` waits for it.
    """

    _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="anxin-voice-model")
    _shared: dict[Path, SpeechModel] = {}
    _shared_lock = threading.Lock()

    @classmethod
    def shared(cls, path: str | Path) -> SpeechModel:
        """One model per folder per process: every browser session's engine shares its ~550 MB."""
        key = Path(path).resolve()
        with cls._shared_lock:
            if key not in cls._shared:
                cls._shared[key] = cls(key)
            return cls._shared[key]

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._future: Future | None = None
        self._lock = threading.Lock()
        self.loaded_on_thread: str | None = None

    def load_async(self) -> Future:
        with self._lock:
            if self._future is None:
                self._future = self._executor.submit(self._load)
            return self._future

    def _load(self):
        self.loaded_on_thread = threading.current_thread().name
        return _vosk().Model(str(self.path))

    @property
    def ready(self) -> bool:
        return self._future is not None and self._future.done() and self._future.exception() is None

    def get(self, timeout: float | None = None):
        return self.load_async().result(timeout)


class GrammarRecognizer:
    """Feeds audio to Vosk restricted to a command grammar; one utterance at a time, not thread-safe."""

    def __init__(self, model, grammar: CommandGrammar, *, sample_rate: int = SAMPLE_RATE, alternatives: int = 3):
        vosk = _vosk()
        self.sample_rate = sample_rate
        self.alternatives = alternatives
        phrases = self._grammar_json(grammar)
        self._best = vosk.KaldiRecognizer(model, sample_rate, phrases)
        self._best.SetWords(True)
        self._nbest = vosk.KaldiRecognizer(model, sample_rate, phrases)
        self._nbest.SetMaxAlternatives(alternatives)
        self._nbest.SetWords(True)
        self.grammar = grammar

    @staticmethod
    def _grammar_json(grammar: CommandGrammar) -> str:
        if not grammar.phrases:
            raise ValueError(f"the {grammar.code} grammar has no phrase the model can say")
        # ensure_ascii=False: Vosk does not decode \\uXXXX escapes, and would drop every Korean word.
        return json.dumps(grammar.phrases, ensure_ascii=False)

    def set_grammar(self, grammar: CommandGrammar) -> None:
        phrases = self._grammar_json(grammar)
        self._best.SetGrammar(phrases)
        self._nbest.SetGrammar(phrases)
        self.grammar = grammar

    def accept(self, pcm: bytes) -> None:
        if pcm:
            self._best.AcceptWaveform(pcm)
            self._nbest.AcceptWaveform(pcm)

    def finish(self) -> Recognition:
        """The utterance so far, decoded; the recogniser is ready for the next one."""
        best = json.loads(self._best.FinalResult())
        nbest = json.loads(self._nbest.FinalResult())
        self._best.Reset()
        self._nbest.Reset()
        words = tuple(Word(w["word"], float(w.get("conf", 0.0)), float(w["start"]), float(w["end"]))
                      for w in best.get("result", []))
        alternatives = tuple(Alternative(a.get("text", ""), float(a.get("confidence", 0.0)))
                             for a in nbest.get("alternatives", []))
        return Recognition(best.get("text", ""), words, alternatives)

    def recognise(self, pcm: bytes) -> Recognition:
        self.accept(pcm)
        return self.finish()
