"""The voice input the client uses: a model found and loaded off the caller's thread, a grammar
with the user's merchants and family, and audio in -> `Heard` out, one utterance at a time.

    engine = VoiceEngine("ko")                 # finds the model now (SpeechModelMissing if none)
    engine.start_loading()                     # returns at once; loads on a background thread
    for utterance in engine.listen(MicrophoneSource(), state=dialogue.state):   # or wav_source(path)
        reply = dialogue.hear(utterance.heard)

`state` picks the dialogue state's smaller grammar (`voice.dialogue.STATE_INTENTS`): while a
payment waits for "yes", only yes/no/cancel/repeat/help can be heard. None: every command.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from voice.audio import Endpointer, SpeechAudio, SpeechEnded, SpeechStarted, events, read_wav
from voice.dialogue import STATE_INTENTS, State
from voice.grammar import CommandGrammar, DynamicSlots, VocabularyReport, build_grammar
from voice.intents import Heard
from voice.interpret import Policy, interpret
from voice.models import ModelLocation, find_model
from voice.recognizer import GrammarRecognizer, Recognition, SpeechModel
from voice.vocabulary import Vocabulary, VocabularyUnavailable, read_vocabulary


@dataclass(frozen=True)
class Utterance:
    heard: Heard
    recognition: Recognition
    start_s: float          # where the speech was in the stream
    end_s: float
    decode_s: float         # end of speech -> Heard: the wait a person notices


class VoiceEngine:
    def __init__(self, locale: str, model_path: str | Path | None = None, *, slots: DynamicSlots = DynamicSlots(),
                 policy: Policy = Policy(), alternatives: int = 5):
        self.locale = locale
        self.location: ModelLocation = find_model(locale, model_path)
        self.model = SpeechModel.shared(self.location.path)
        self.policy = policy
        self.alternatives = alternatives
        self._slots = slots
        self._lock = threading.Lock()  # one utterance at a time through the recognisers
        self._model = None
        self._recognizers: dict[State | None, GrammarRecognizer] = {}  # built on first use per state
        self._vocabulary: Vocabulary | None = None
        self._grammar: CommandGrammar | None = None
        self._ready: Future | None = None

    # ------------------------------------------------------------ loading

    def start_loading(self) -> Future:
        """Load the model, read its vocabulary and build the grammar on a background thread."""
        if self._ready is None:
            model_future = self.model.load_async()
            self._ready = Future()

            def finish(done: Future) -> None:
                try:
                    self._prepare(done.result())
                    self._ready.set_result(self)
                except BaseException as exc:  # noqa: BLE001 (handed to whoever waits)
                    self._ready.set_exception(exc)

            model_future.add_done_callback(finish)
        return self._ready

    @property
    def ready(self) -> bool:
        return self._ready is not None and self._ready.done() and self._ready.exception() is None

    def wait_ready(self, timeout: float | None = None) -> VoiceEngine:
        return self.start_loading().result(timeout)

    def _prepare(self, model) -> None:
        try:
            self._vocabulary = read_vocabulary(self.location.path)
        except VocabularyUnavailable:
            self._vocabulary = None  # the grammar still works; words it lacks are just not reported
        self._model = model
        self._grammar = build_grammar(self.locale, self._slots, self._vocabulary)
        self._recognizers = {None: GrammarRecognizer(model, self._grammar, alternatives=self.alternatives)}

    @property
    def grammar(self) -> CommandGrammar:
        self.wait_ready()
        return self._grammar  # type: ignore[return-value]

    @property
    def vocabulary_report(self) -> VocabularyReport | None:
        """Template words and slot values the model cannot recognise (None: the model has no readable word list)."""
        return self.grammar.report

    def update_slots(self, slots: DynamicSlots) -> VocabularyReport | None:
        """New recent merchants or family: rebuild the grammar (the vocabulary check runs again here)."""
        self.wait_ready()
        grammar = build_grammar(self.locale, slots, self._vocabulary)
        with self._lock:
            self._recognizers[None].set_grammar(grammar)
            self._recognizers = {None: self._recognizers[None]}  # the states' grammars are rebuilt on next use
            self._grammar, self._slots = grammar, slots
        return grammar.report

    def _recognizer_for(self, state: State | None) -> GrammarRecognizer:
        """The recogniser listening with `state`'s smaller grammar (call with the lock held)."""
        if state not in self._recognizers:
            grammar = build_grammar(self.locale, self._slots, self._vocabulary, STATE_INTENTS[state])
            self._recognizers[state] = GrammarRecognizer(self._model, grammar, alternatives=self.alternatives)
        return self._recognizers[state]

    def grammar_for(self, state: State | None) -> CommandGrammar:
        self.wait_ready()
        with self._lock:
            return self._recognizer_for(state).grammar

    # ------------------------------------------------------------ hearing

    def listen(self, source: Iterable[bytes], endpointer: Endpointer | None = None, *,
               state: State | None = None) -> Iterator[Utterance]:
        """Utterances from a stream, split on silence; each is decoded while it is spoken."""
        self.wait_ready()
        with self._lock:
            recognizer = self._recognizer_for(state)
            start_s = 0.0
            for event in events(source, endpointer or Endpointer()):
                if isinstance(event, SpeechStarted):
                    start_s = event.start_s
                    recognizer.accept(event.pcm)
                elif isinstance(event, SpeechAudio):
                    recognizer.accept(event.pcm)
                elif isinstance(event, SpeechEnded):
                    began = time.perf_counter()
                    recognition = recognizer.finish()
                    heard = interpret(recognition, recognizer.grammar, self.policy)
                    yield Utterance(heard, recognition, start_s, event.segment.end_s, time.perf_counter() - began)

    def hear_pcm(self, pcm: bytes, *, state: State | None = None) -> Utterance:
        """One clip as one utterance (push-to-talk held for exactly this), no endpointing."""
        self.wait_ready()
        with self._lock:
            recognizer = self._recognizer_for(state)
            began = time.perf_counter()
            recognition = recognizer.recognise(pcm)
            heard = interpret(recognition, recognizer.grammar, self.policy)
            return Utterance(heard, recognition, 0.0, len(pcm) / 32_000, time.perf_counter() - began)

    def hear_wav(self, path: str | Path, *, state: State | None = None) -> Utterance:
        return self.hear_pcm(read_wav(path), state=state)
