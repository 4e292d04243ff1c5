"""Voice fixtures: the real Korean Vosk model, loaded once per session, and spoken fixtures made with espeak-ng."""

from __future__ import annotations

import pytest

from tests.voice.audio_fixtures import FAMILY, MERCHANTS, korean_model_path, make_fixtures
from voice.engine import VoiceEngine
from voice.grammar import DynamicSlots


@pytest.fixture(scope="session")
def ko_model_path():
    return korean_model_path()


@pytest.fixture(scope="session")
def ko_engine(ko_model_path) -> VoiceEngine:
    engine = VoiceEngine("ko", ko_model_path, slots=DynamicSlots(MERCHANTS, FAMILY))
    engine.wait_ready(timeout=120)
    return engine


@pytest.fixture(scope="session")
def spoken(tmp_path_factory):
    return make_fixtures(tmp_path_factory.mktemp("spoken-ko"))
