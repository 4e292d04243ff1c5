"""Speech out with the real pyttsx3 + espeak-ng: the locale's voice, care-mode rate, files, never blocking."""

from __future__ import annotations

import threading
import wave

import pytest

from voice.amounts import say_amount
from voice.locales import load_locale
from voice.speech import CARE_MODE_RATE, NORMAL_WPM, Speaker


def duration_s(path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


@pytest.mark.parametrize(("code", "voice"), [("en", "gmw/en-us"), ("zh-CN", "sit/cmn"), ("ko", "ko")])
def test_a_read_back_is_spoken_into_a_wav_in_the_locales_voice(code, voice, tmp_path):
    speaker = Speaker(code)
    try:
        text = load_locale(code).reply("confirm_payment", merchant="Lotus", amount=say_amount(1250, code))
        spoken = speaker.save(text, tmp_path / "readback.wav").result(timeout=30)
    finally:
        speaker.close()
    assert speaker.available and speaker.voice_id == voice
    assert spoken.spoken and spoken.path == tmp_path / "readback.wav"
    with wave.open(str(spoken.path), "rb") as wav:
        assert wav.getframerate() == 22050 and wav.getnchannels() == 1
    assert duration_s(spoken.path) > 1.5  # a whole sentence, not a click


def test_care_mode_speaks_slower(tmp_path):
    text = "Pay twelve yuan fifty to Lotus Noodles? Say yes to pay, or no to stop."
    care, standard = Speaker("en", care_mode=True), Speaker("en", care_mode=False)
    try:
        slow = care.save(text, tmp_path / "care.wav").result(timeout=30)
        fast = standard.save(text, tmp_path / "standard.wav").result(timeout=30)
    finally:
        care.close()
        standard.close()
    assert care.rate == round(NORMAL_WPM * CARE_MODE_RATE) < standard.rate == NORMAL_WPM
    assert duration_s(slow.path) > duration_s(fast.path) * 1.15


def test_saying_never_blocks_the_caller_and_security_messages_go_first(tmp_path):
    shown: list[str] = []
    gate = threading.Event()

    def on_text(text: str) -> None:
        shown.append(text)
        if text == "first":
            gate.wait(timeout=30)  # the worker is busy speaking "first"

    speaker = Speaker("en", on_text=on_text)
    try:
        first = speaker.save("first", tmp_path / "1.wav")
        while not shown:  # the worker has taken "first" and is stuck in it
            threading.Event().wait(0.01)
        later = speaker.save("second", tmp_path / "2.wav")
        urgent = speaker.security_message("Someone tried your PIN.")
        assert not first.done() and not later.done() and not urgent.done()  # returned while the worker is busy
        gate.set()
        for future in (first, later, urgent):
            future.result(timeout=30)
    finally:
        speaker.close()
    assert shown == ["first", "Security message: Someone tried your PIN.", "second"]


def test_without_a_speech_engine_answers_become_text_with_a_notice(tmp_path):
    def no_engine():
        raise RuntimeError("libespeak-ng.so.1: cannot open shared object file")

    shown: list[str] = []
    speaker = Speaker("zh-CN", engine_factory=no_engine, on_text=shown.append)
    try:
        result = speaker.say("正在查余额。").result(timeout=30)
    finally:
        speaker.close()
    assert not speaker.available and not result.spoken and shown == ["正在查余额。"]
    assert speaker.notice == "这台电脑不能朗读，回答会显示在屏幕上。"
    assert "no speech engine" in speaker.problem
