"""Where the assistant's audio comes from and where its words go, chosen once per app.

Audio in, one stream per press of the voice button:
- the microphone (PortAudio through the optional `sounddevice` package), the default;
- WAV files named by `ANXIN_VOICE_AUDIO` (a documented test seam, not a fake recogniser): a list
  of files and/or folders separated by the OS path separator; each press plays the next file to
  the real recogniser as if it were spoken into the microphone. Tests and demos use it; a
  person never needs it.

Words out: `SpeechOutput` speaks with pyttsx3 on the voice package's one speech thread, at the
person's rate (care mode slower), and keeps every sentence it was given so the screen shows the
same words. With no speech engine it says so once and the words stay on the screen only.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol

from voice.audio import MicrophoneSource, MicrophoneUnavailable, wav_source
from voice.speech import CARE_MODE_RATE, Speaker

ENV_AUDIO = "ANXIN_VOICE_AUDIO"


class AudioInput(Protocol):
    def open(self) -> Iterable[bytes]: ...   # the audio of one press, in 16 kHz mono 16-bit chunks

    def stop(self) -> None: ...              # the button was pressed again: end the current stream


class MicrophoneInput:
    """The machine's default microphone. In `anxin demo` the app's Python side runs on the person's
    own computer, so this is their microphone even though the screen is a browser page."""

    def __init__(self) -> None:
        self._current: MicrophoneSource | None = None

    def open(self) -> Iterable[bytes]:
        self._current = MicrophoneSource()   # raises MicrophoneUnavailable without sounddevice/PortAudio
        return self._current

    def stop(self) -> None:
        if self._current is not None:
            self._current.stop()


class WavFilesInput:
    """Recorded speech instead of the microphone: each press takes the next WAV file."""

    def __init__(self, paths: Iterable[str | Path]) -> None:
        files: list[Path] = []
        for path in map(Path, paths):
            files += sorted(path.glob("*.wav")) if path.is_dir() else [path]
        self._files = files
        self._next = 0
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    @classmethod
    def from_setting(cls, setting: str) -> WavFilesInput:
        return cls(p for p in setting.split(os.pathsep) if p)

    @property
    def remaining(self) -> list[Path]:
        return self._files[self._next:]

    def open(self) -> Iterator[bytes]:
        with self._lock:
            if self._next >= len(self._files):
                raise MicrophoneUnavailable(f"{ENV_AUDIO}: every recorded utterance has been played")
            path = self._files[self._next]
            self._next += 1
        self._stopped.clear()
        return self._play(path)

    def _play(self, path: Path) -> Iterator[bytes]:
        for chunk in wav_source(path):
            if self._stopped.is_set():
                return
            yield chunk

    def stop(self) -> None:
        self._stopped.set()


def audio_input(setting: str | None = None) -> AudioInput:
    """WAV files when `ANXIN_VOICE_AUDIO` (or `setting`) names some, else the microphone."""
    setting = setting if setting is not None else os.environ.get(ENV_AUDIO, "")
    return WavFilesInput.from_setting(setting) if setting else MicrophoneInput()


def speech_rate_factor(care_mode: bool, rate_percent: int) -> float:
    """The person's speaking-speed setting, on top of care mode's slower default."""
    return (CARE_MODE_RATE if care_mode else 1.0) * rate_percent / 100


class SpeechOutput:
    """Speaks one person's sentences in their language; never blocks the caller."""

    def __init__(self, locale: str, *, care_mode: bool, rate_percent: int = 100) -> None:
        self.said: list[str] = []    # everything handed to speech, in order (the screen shows the same)
        self.speaker = Speaker(locale, rate_factor=speech_rate_factor(care_mode, rate_percent))

    @property
    def locale(self) -> str:
        return self.speaker.locale.code

    @property
    def unavailable_notice(self) -> str | None:
        """In the person's language, when sentences can only be shown (no speech engine or voice)."""
        return self.speaker.notice

    def say(self, text: str, *, urgent: bool = False):
        self.said.append(text)
        return self.speaker.say(text, urgent=urgent)

    def security_message(self, text: str):
        """Said before anything else waiting, introduced as a security message."""
        return self.say(self.speaker.locale.reply("security_message", text=text), urgent=True)

    def save(self, text: str, path: str | Path):
        """Into a WAV file instead of the loudspeaker (tests listen to what would be said)."""
        return self.speaker.save(text, path)

    def wait(self, timeout: float | None = 30) -> None:
        self.speaker.close(timeout)
