"""Audio in: WAV files in any rate and channel count, endpointing on silence, the optional microphone."""

from __future__ import annotations

import array
import math

import pytest

from tests.voice.audio_fixtures import silence, white_noise, write_wav
from voice.audio import (Endpointer, MicrophoneSource, MicrophoneUnavailable, chunks, microphone_available, read_wav,
                         segments)


def tone(seconds: float, rate: int = 16000, amplitude: int = 8000) -> array.array:
    return array.array("h", (int(amplitude * math.sin(2 * math.pi * 220 * i / rate)) for i in range(int(seconds * rate))))


def test_utterances_are_split_on_silence():
    stream = silence(0.5) + tone(0.8) + silence(1.0) + tone(0.5) + silence(0.2)
    found = list(segments(chunks(stream.tobytes())))
    assert len(found) == 2
    first, second = found
    assert 0.15 <= first.start_s <= 0.5 and 1.3 <= first.end_s <= 2.0   # includes a little audio before it
    assert 1.95 <= second.start_s <= 2.3
    assert second.end_s == pytest.approx(len(stream) / 16000, abs=0.05)  # closed when the stream ended


def test_silence_and_steady_noise_alone_make_no_utterance():
    assert list(segments(chunks(silence(3).tobytes()))) == []
    quiet_room = white_noise(3, amplitude=300)
    assert list(segments(chunks(quiet_room.tobytes()))) == []


def test_speech_is_found_above_the_noise_floor():
    noise = white_noise(4, amplitude=300)
    speech = tone(0.6, amplitude=6000)
    mixed = array.array("h", noise)
    for i, s in enumerate(speech):
        mixed[32000 + i] = max(-32768, min(32767, mixed[32000 + i] + s))
    assert len(list(segments(chunks(mixed.tobytes())))) == 1


def test_a_long_utterance_is_cut_at_the_maximum():
    endpointer = Endpointer(max_utterance_s=1.0)
    assert len(list(segments(chunks((silence(0.5) + tone(3.5)).tobytes()), endpointer))) == 4  # 1 s, 1 s, 1 s, the rest


def test_wav_files_are_converted_to_16k_mono(tmp_path):
    eight_k = write_wav(tmp_path / "8k.wav", tone(1.0, rate=8000), rate=8000)
    assert len(read_wav(eight_k)) == 2 * 16000
    stereo = tmp_path / "stereo.wav"
    import wave

    with wave.open(str(stereo), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(array.array("h", [1000, 3000] * 16000).tobytes())
    pcm = array.array("h", read_wav(stereo))
    assert len(pcm) == 16000 and set(pcm) == {2000}


def test_the_microphone_is_optional():
    # sounddevice (PortAudio) is not a dependency; this machine has neither.
    assert microphone_available() is False
    with pytest.raises(MicrophoneUnavailable, match="sounddevice"):
        MicrophoneSource()
