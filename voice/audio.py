"""Audio in: WAV files and the microphone as streams of 16 kHz mono 16-bit chunks, and endpointing on silence.

The microphone needs PortAudio through the optional `sounddevice` package; without it,
`microphone_available()` is False and the client offers typed commands only. Nothing here
imports `sounddevice` unless a microphone is asked for.
"""

from __future__ import annotations

import array
import math
import threading
import wave
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_RATE = 16_000
CHUNK_MS = 30
_BYTES_PER_SAMPLE = 2


class AudioError(RuntimeError):
    pass


class MicrophoneUnavailable(AudioError):
    pass


def read_wav(path: str | Path, sample_rate: int = SAMPLE_RATE) -> bytes:
    """A WAV file as 16-bit mono PCM at `sample_rate` (channels are averaged, other rates resampled)."""
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != _BYTES_PER_SAMPLE or wav.getcomptype() != "NONE":
            raise AudioError(f"{path}: only 16-bit PCM WAV files are supported")
        channels, rate = wav.getnchannels(), wav.getframerate()
        samples = array.array("h", wav.readframes(wav.getnframes()))
    if channels > 1:
        samples = array.array("h", (sum(samples[i:i + channels]) // channels for i in range(0, len(samples), channels)))
    if rate != sample_rate:
        samples = _resample(samples, rate, sample_rate)
    return samples.tobytes()


def _resample(samples: array.array, source_rate: int, target_rate: int) -> array.array:
    """Linear interpolation: enough for speech going into a recogniser that works at 16 kHz."""
    if not samples:
        return samples
    count = max(1, round(len(samples) * target_rate / source_rate))
    step = source_rate / target_rate
    last = len(samples) - 1
    out = array.array("h")
    for i in range(count):
        pos = i * step
        j = min(int(pos), last)
        frac = pos - j
        nxt = samples[min(j + 1, last)]
        out.append(int(samples[j] + (nxt - samples[j]) * frac))
    return out


def chunks(pcm: bytes, chunk_ms: int = CHUNK_MS, sample_rate: int = SAMPLE_RATE) -> Iterator[bytes]:
    size = sample_rate * chunk_ms // 1000 * _BYTES_PER_SAMPLE
    for start in range(0, len(pcm), size):
        yield pcm[start:start + size]


def wav_source(path: str | Path, chunk_ms: int = CHUNK_MS) -> Iterator[bytes]:
    """A WAV file as the stream a microphone would give."""
    return chunks(read_wav(path), chunk_ms)


def microphone_available() -> bool:
    try:
        import sounddevice  # noqa: F401
    except (ImportError, OSError):  # OSError: the package is there but PortAudio is not
        return False
    return True


class MicrophoneSource:
    """The default input device, while push-to-talk is held: iterate it, and call stop() on release."""

    def __init__(self, chunk_ms: int = CHUNK_MS, max_seconds: float = 20.0):
        try:
            import sounddevice
        except (ImportError, OSError) as exc:
            raise MicrophoneUnavailable(
                "No microphone support: install the optional 'sounddevice' package (and PortAudio, "
                "Debian: libportaudio2) to speak commands.") from exc
        self._sounddevice = sounddevice
        self._blocksize = SAMPLE_RATE * chunk_ms // 1000
        self._max_chunks = int(max_seconds * 1000 / chunk_ms)
        self._stopped = threading.Event()

    def stop(self) -> None:
        self._stopped.set()

    def __iter__(self) -> Iterator[bytes]:
        with self._sounddevice.RawInputStream(samplerate=SAMPLE_RATE, channels=1, dtype="int16",
                                              blocksize=self._blocksize) as stream:
            for _ in range(self._max_chunks):
                if self._stopped.is_set():
                    return
                data, _overflowed = stream.read(self._blocksize)
                yield bytes(data)


def rms_dbfs(pcm: bytes) -> float:
    samples = array.array("h", pcm)
    if not samples:
        return -120.0
    power = sum(s * s for s in samples) / len(samples)
    return 10 * math.log10(power / 32768.0 ** 2) if power else -120.0


@dataclass
class Segment:
    """One stretch of speech found by the endpointer, with a little audio before it."""
    pcm: bytearray = field(default_factory=bytearray)
    start_s: float = 0.0
    end_s: float = 0.0


class Endpointer:
    """Energy endpointing: speech starts after `start_ms` above the threshold, ends after `silence_ms` below it.

    The threshold follows the quietest recent frames (the room's noise floor) plus `margin_db`,
    never below `min_speech_dbfs`, so a quiet room and a noisy one both work.
    """

    def __init__(self, *, silence_ms: int = 600, start_ms: int = 90, preroll_ms: int = 300,
                 max_utterance_s: float = 15.0, margin_db: float = 12.0, min_speech_dbfs: float = -45.0,
                 frame_ms: int = CHUNK_MS):
        self.frame_bytes = SAMPLE_RATE * frame_ms // 1000 * _BYTES_PER_SAMPLE
        self.frame_s = frame_ms / 1000
        self.silence_frames = max(1, silence_ms // frame_ms)
        self.start_frames = max(1, start_ms // frame_ms)
        self.max_frames = int(max_utterance_s / self.frame_s)
        self.margin_db, self.min_speech_dbfs = margin_db, min_speech_dbfs
        self._preroll: deque[bytes] = deque(maxlen=max(1, preroll_ms // frame_ms))
        self._floor: deque[float] = deque(maxlen=int(3.0 / self.frame_s))  # ~3 s of history
        self._pending = bytearray()
        self._frames_seen = 0
        self._loud_run = 0
        self._quiet_run = 0
        self._current: Segment | None = None
        self._current_frames = 0

    def threshold_dbfs(self) -> float:
        floor = min(self._floor) if self._floor else -90.0
        return max(self.min_speech_dbfs, floor + self.margin_db)

    def feed(self, pcm: bytes) -> list[Event]:
        """Audio in; what happened in it out (speech started, speech audio, speech ended)."""
        self._pending += pcm
        events: list[Event] = []
        while len(self._pending) >= self.frame_bytes:
            frame = bytes(self._pending[:self.frame_bytes])
            del self._pending[:self.frame_bytes]
            self._frame(frame, events)
        return events

    def flush(self) -> list[Event]:
        """The source ended (push-to-talk released): close the utterance in progress, if any."""
        if self._current is None:
            return []
        segment, self._current = self._current, None
        tail = bytes(self._pending)
        segment.pcm += tail
        segment.end_s = self._frames_seen * self.frame_s
        self._pending.clear()
        return [SpeechAudio(tail), SpeechEnded(segment)] if tail else [SpeechEnded(segment)]

    def _frame(self, frame: bytes, events: list[Event]) -> None:
        level = rms_dbfs(frame)
        loud = level > self.threshold_dbfs()
        self._frames_seen += 1
        if not loud or self._current is None:
            self._floor.append(level)
        if self._current is None:
            self._preroll.append(frame)
            self._loud_run = self._loud_run + 1 if loud else 0
            if self._loud_run >= self.start_frames:
                start = self._frames_seen - len(self._preroll)
                preroll = b"".join(self._preroll)
                self._current = Segment(bytearray(preroll), start * self.frame_s)
                self._current_frames, self._quiet_run = len(self._preroll), 0
                self._preroll.clear()
                events.append(SpeechStarted(preroll, self._current.start_s))
            return
        self._current.pcm += frame
        self._current_frames += 1
        events.append(SpeechAudio(frame))
        self._quiet_run = 0 if loud else self._quiet_run + 1
        if self._quiet_run >= self.silence_frames or self._current_frames >= self.max_frames:
            segment, self._current = self._current, None
            segment.end_s = self._frames_seen * self.frame_s
            self._loud_run = 0
            events.append(SpeechEnded(segment))


@dataclass(frozen=True)
class SpeechStarted:
    pcm: bytes  # the audio just before and at the start of speech
    start_s: float


@dataclass(frozen=True)
class SpeechAudio:
    pcm: bytes


@dataclass(frozen=True)
class SpeechEnded:
    segment: Segment


Event = SpeechStarted | SpeechAudio | SpeechEnded


def events(source: Iterable[bytes], endpointer: Endpointer | None = None) -> Iterator[Event]:
    endpointer = endpointer or Endpointer()
    for chunk in source:
        yield from endpointer.feed(chunk)
    yield from endpointer.flush()


def segments(source: Iterable[bytes], endpointer: Endpointer | None = None) -> Iterator[Segment]:
    """Just the finished utterances of a stream."""
    return (e.segment for e in events(source, endpointer) if isinstance(e, SpeechEnded))
