"""Speech out with pyttsx3: the locale's voice, a slower rate in care mode, and never a blocked caller.

One worker thread per process owns the pyttsx3 engine and takes jobs from a queue; `say()` and
`save()` return a Future at once. One worker because neither pyttsx3 nor espeak-ng is
thread-safe: `pyttsx3.init()` hands every caller the same engine, and libespeak-ng is one
global instance, so two threads speaking at once deadlock. Each Speaker's jobs carry its voice
and rate. Security messages jump the queue. Each job is exactly one `say` or `save_to_file`
followed by one `runAndWait()`: a `say()` after a `save_to_file()` in the same run overwrites
the saved file (see the platform notes).

Without a speech engine (no espeak-ng, no audio player) nothing fails: every text still goes to
`on_text` for the screen, and `notice` says, in the locale's words, that answers are shown only.
"""

from __future__ import annotations

import itertools
import queue
import shutil
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from voice.locales import VoiceLocale, load_locale

NORMAL_WPM = 180        # words per minute in standard mode (espeak-ng's own default is 175)
CARE_MODE_RATE = 0.75   # care mode speaks at three quarters of that: slower, for older listeners
_URGENT, _NORMAL = 0, 1


@dataclass(frozen=True)
class Spoken:
    text: str
    spoken: bool                # False: shown only (no engine)
    path: Path | None = None    # set for save()


def _pyttsx3_engine():
    import pyttsx3

    return pyttsx3.init()


class _Worker:
    """The one thread that talks to a speech engine."""

    _by_factory: dict[Callable, _Worker] = {}
    _lock = threading.Lock()

    @classmethod
    def for_factory(cls, factory: Callable) -> _Worker:
        with cls._lock:
            if factory not in cls._by_factory:
                cls._by_factory[factory] = cls(factory)
            return cls._by_factory[factory]

    def __init__(self, factory: Callable):
        self._factory = factory
        self.engine = None
        self.problem: str | None = None
        self.jobs: queue.PriorityQueue = queue.PriorityQueue()
        self._order = itertools.count()
        threading.Thread(target=self._run, name="anxin-speech", daemon=True).start()

    def submit(self, priority: int, job: Callable[[], object]) -> Future:
        future: Future = Future()
        self.jobs.put((priority, next(self._order), job, future))
        return future

    def _run(self) -> None:
        try:
            self.engine = self._factory()
        except Exception as exc:  # noqa: BLE001 (pyttsx3 raises whatever its driver raises)
            self.problem = f"no speech engine: {exc}"
        while True:
            _, _, job, future = self.jobs.get()
            try:
                future.set_result(job())
            except Exception as exc:  # noqa: BLE001 (one bad job must not stop the speaker)
                future.set_exception(exc)


class Speaker:
    """Speaks one locale's words. Cheap to create; every Speaker shares the process's speech worker."""

    def __init__(self, locale: str | VoiceLocale, *, care_mode: bool = True, rate_factor: float | None = None,
                 engine_factory: Callable[[], object] | None = None,
                 on_text: Callable[[str], None] | None = None):
        self.locale = load_locale(locale) if isinstance(locale, str) else locale
        self.rate_factor = rate_factor if rate_factor is not None else (CARE_MODE_RATE if care_mode else 1.0)
        self.on_text = on_text  # called on the speech thread with every text: hand it to the UI thread
        self.voice_id: str | None = None
        self.problem: str | None = None  # why speech is unavailable or inaudible, for logs
        self._worker = _Worker.for_factory(engine_factory or _pyttsx3_engine)
        self.ready: Future = self._worker.submit(_URGENT, self._start)  # True: speech works; False: text only

    # ------------------------------------------------------------ the caller's side (never blocks)

    @property
    def rate(self) -> int:
        return max(60, round(NORMAL_WPM * self.rate_factor))

    @property
    def available(self) -> bool:
        return self.ready.done() and self.ready.result()

    @property
    def notice(self) -> str | None:
        """What to show the person when answers cannot be spoken (None while unknown or when all is well)."""
        if not self.ready.done() or (self.ready.result() and self.problem is None):
            return None
        return self.locale.reply("speech_unavailable")

    def say(self, text: str, *, urgent: bool = False) -> Future:
        return self._worker.submit(_URGENT if urgent else _NORMAL, lambda: self._speak(text, None))

    def save(self, text: str, path: str | Path) -> Future:
        """Speak into a WAV file (the client can play it, a test can listen to it)."""
        return self._worker.submit(_NORMAL, lambda: self._speak(text, Path(path)))

    def security_message(self, text: str) -> Future:
        """An incoming security message: said before anything waiting, in the locale's words."""
        return self.say(self.locale.reply("security_message", text=text), urgent=True)

    def set_rate_factor(self, factor: float) -> None:
        self.rate_factor = factor  # read by the next job

    def close(self, timeout: float | None = 10.0) -> None:
        """Wait until everything this Speaker queued has been said (the worker itself lives on)."""
        self._worker.submit(_NORMAL, lambda: None).result(timeout)

    # ------------------------------------------------------------ on the worker thread

    def _start(self) -> bool:
        engine = self._worker.engine
        if engine is None:
            self.problem = self._worker.problem
            return False
        self.voice_id = _pick_voice(engine, self.locale)
        if self.voice_id is None:
            self.problem = f"the speech engine has no {self.locale.code} voice"
            return False
        if sys.platform.startswith("linux") and shutil.which("aplay") is None:
            self.problem = "no audio player (aplay): speech can be saved to files but not heard"
        return True

    def _speak(self, text: str, path: Path | None) -> Spoken:
        if self.on_text is not None:
            self.on_text(text)
        engine = self._worker.engine
        if not self.ready.result() or engine is None:
            return Spoken(text, spoken=False)
        engine.setProperty("voice", self.voice_id)
        engine.setProperty("rate", self.rate)
        said = text
        if _is_espeak(engine):
            # espeak-ng applies a changed rate parameter once and then sticks to it; its embedded
            # speed command (Ctrl-A, "<wpm>S") at the start of the text is honoured every time.
            said = f"\x01{self.rate}S {text}"
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            for _attempt in range(3):
                # pyttsx3's espeak driver now and then ends a run before the synthesis it started
                # (its loop can stop on the first pump); the run is cheap, so try it again.
                engine.save_to_file(said, str(path))
                engine.runAndWait()
                if path.is_file() and path.stat().st_size > 44:
                    break
            if not path.is_file() or path.stat().st_size <= 44:  # a bare WAV header is no speech
                raise RuntimeError(f"the speech engine wrote no audio to {path}")
            return Spoken(text, spoken=True, path=path)
        engine.say(said)
        engine.runAndWait()
        return Spoken(text, spoken=self.problem is None)


def _is_espeak(engine) -> bool:
    driver = getattr(getattr(engine, "proxy", None), "_driver", None)
    return type(driver).__module__.endswith(".espeak")


def _pick_voice(engine, locale: VoiceLocale) -> str | None:
    voices = engine.getProperty("voices") or []
    by_id = {v.id: v for v in voices}
    for wanted in locale.tts_voices:
        if wanted in by_id:
            return wanted
    for wanted in locale.tts_voices:
        for voice in voices:
            languages = [lang.decode() if isinstance(lang, bytes) else str(lang) for lang in (voice.languages or [])]
            if wanted in (lang.lower() for lang in languages):
                return voice.id
    return None
