"""In Chromium: a Korean elder in care mode presses the voice button and says a payment; the app
reads it back on screen (and aloud), waits, and pays once after her spoken "yes".

The speech comes from WAV files (espeak-ng) through the app's documented test seam
`ANXIN_VOICE_AUDIO`, into the real Korean Vosk model in the app process: the same path a
microphone feeds. The app serves in this process, so the variable is set before she signs in.
"""

from __future__ import annotations

import os
import uuid

import httpx

from tests.e2e.world import PASSWORD, _login, _person
from tests.voice.audio_fixtures import korean_model_path, speak_to_wav
from voice.recognizer import SpeechModel

SHOPS = (("Morning Bakery", "빵집"), ("Sunny Pharmacy", "약국"), ("Corner Store", "편의점"))


def korean_elder_with_shops(api: str) -> str:
    """할머니 with money, who has paid three Korean-named shops before."""
    username = "halmoni"
    with httpx.Client(base_url=api, timeout=30) as http:
        _person(http, username, "김순자", roles=["consumer"], top_up_fen=50_000)
        for index, (name, local) in enumerate(SHOPS):      # the corner store last: her most recent shop
            owner = _person(http, f"koshop-e2e-{index}", name, roles=["merchant"])
            shop = http.post("/v1/merchants", json={"name": name, "local_name": local, "category": "supermarket",
                                                    "region": "weihai-huancui", "city": "Weihai"}, headers=owner)
            shop.raise_for_status()
            http.post("/v1/payments/merchant", json={"merchant_id": shop.json()["id"], "amount_fen": 300},
                      headers={**_login(http, username), "Idempotency-Key": uuid.uuid4().hex}).raise_for_status()
    return username


def balance(api: str, username: str) -> int:
    with httpx.Client(base_url=api) as http:
        return http.get("/v1/wallet", headers=_login(http, username)).json()["balance_fen"]


def test_the_elder_pays_by_voice_after_the_read_back(app_in_browser, world, tmp_path, monkeypatch):
    username = korean_elder_with_shops(world.api)
    said = speak_to_wav("편의점 에 이십 원 결제 해 주세요", tmp_path / "1-pay.wav", "ko+m3", 150)
    yes = speak_to_wav("네", tmp_path / "2-yes.wav", "ko+m3", 140)
    monkeypatch.setenv("ANXIN_VOICE_AUDIO", f"{said}{os.pathsep}{yes}")
    SpeechModel.shared(korean_model_path()).get(timeout=120)   # loaded once per process; the app shares it
    before = balance(world.api, username)

    app = app_in_browser
    app.open()
    app.tap("signin-language-ko")                               # she reads Korean: chosen before signing in
    app.sign_in_home(username, PASSWORD, care=True)
    app.tap("voice-button")
    readback = app.wait_for_words("voice-said", "결제할까요")
    assert readback.startswith("편의점에 이십 원을 결제할까요?"), readback
    app.screenshot("90-care-voice-readback")
    assert balance(world.api, username) == before                # one utterance moves no money

    app.tap("voice-button")
    done = app.wait_for_words("voice-said", "결제했습니다")
    assert "편의점에 이십 원을 결제했습니다." in done, done
    assert balance(world.api, username) == before - 2000
