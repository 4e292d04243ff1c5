"""The voice bar: the push-to-talk button and the assistant's words, on every screen while voice is on.

Voice is on in care mode, and in standard mode when "Read aloud and voice commands" is on. The
bar only shows and routes: the assistant (app/voice_assistant.py) listens, decides and pays, on
a worker thread through `Shell.run`; what it says is shown here and spoken through
`Shell.announce`, the same hook that speaks every payment read-back, result and error.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import flet as ft

from app.voice_assistant import (MicrophoneUnavailable, OpenPayment, OpenScreen, SpeechModelMissing, VoiceAssistant,
                                 VoiceTurn)
from app.voice_io import SpeechOutput

# Screens a spoken command can open: name -> (module, class). One that is not in the app yet is
# said to be missing rather than failing.
SCREENS = {
    "messages": ("ui.views.messages", "MessagesScreen"),
    "payment_code": ("ui.views.payment_code", "PaymentCodeScreen"),
    "cards": ("ui.views.cards", "CardsScreen"),
    "coupons": ("ui.views.coupons", "CouponsScreen"),
    "family": ("ui.views.family", "FamilyScreen"),
}


class VoiceBar:
    def __init__(self, shell: Any, make_assistant: Callable[[Any], VoiceAssistant] | None = None) -> None:
        self.shell = shell
        self._make_assistant = make_assistant or VoiceAssistant
        self._assistant: VoiceAssistant | None = None
        self._speech: SpeechOutput | None = None
        self._speech_for: tuple | None = None
        self.listening = False
        self.heard: str | None = None     # what the recogniser heard last
        self.said: str | None = None      # the assistant's last words
        self.problem: str | None = None   # catalogue key: no speech model, no microphone
        self.unsayable: list[str] = []    # shop and family names the speech model cannot hear

    @property
    def on(self) -> bool:
        state = self.shell.state
        return state.signed_in and (state.prefs.care_mode or state.prefs.voice_enabled)

    @property
    def assistant(self) -> VoiceAssistant:
        if self._assistant is None or self._assistant.session is not self.shell.session:
            self._assistant = self._make_assistant(self.shell.session)
        return self._assistant

    @property
    def speech(self) -> SpeechOutput:
        """The speaker in the person's language and speed, made anew when either changes."""
        prefs = self.shell.state.prefs
        wanted = (prefs.language, prefs.care_mode, prefs.speech_rate_percent)
        if self._speech is None or self._speech_for != wanted:
            self._speech = SpeechOutput(prefs.language, care_mode=prefs.care_mode,
                                        rate_percent=prefs.speech_rate_percent)
            self._speech_for = wanted
        return self._speech

    # ---- on screen -----------------------------------------------------------------------------

    def controls(self) -> list[ft.Control]:
        if not self.on:
            return []
        kit, t = self.shell.kit, self.shell.t
        controls = [kit.voice_button(t("voice.button_stop" if self.listening else "voice.button"), self.press,
                                     listening=self.listening)]
        if self.problem:   # said after a press, not before: a standing warning on every screen would be noise
            controls.append(kit.notice(t(self.problem), "voice-problem", icon=ft.Icons.MIC_OFF))
        if self.heard:
            controls.append(kit.muted(t("voice.you_said", text=self.heard), identifier="voice-heard"))
        if self.said:
            controls.append(kit.notice(self.said, "voice-said", icon=ft.Icons.RECORD_VOICE_OVER))
        if self.unsayable:
            controls.append(kit.muted(t("voice.not_by_voice", names=", ".join(self.unsayable)),
                                      identifier="voice-not-by-voice"))
        if self._speech is not None and (text_only := self._speech.unavailable_notice):
            controls.append(kit.muted(text_only, identifier="voice-text-only"))
        return controls

    # ---- the button ----------------------------------------------------------------------------

    def press(self, _event: Any = None) -> None:
        if self.listening:
            self.assistant.stop_listening()   # the listening turn ends with what it heard so far
            return
        self.listening, self.problem = True, None
        self.shell.run(self.assistant.listen, self._answered, on_error=self._failed, busy_key="voice.listening")

    def _answered(self, turn: VoiceTurn) -> None:
        self.listening = False
        self.unsayable = self.assistant.unsayable_names()
        self.heard = turn.heard or None
        self.said = " ".join(turn.say) or None
        for sentence in turn.say:
            self.shell.announce(sentence)
        if isinstance(turn.go, OpenPayment):
            self._open_payment(turn.go)
        elif isinstance(turn.go, OpenScreen):
            self._open_screen(turn.go.name)

    def _failed(self, error: Exception) -> bool:
        self.listening = False
        if isinstance(error, SpeechModelMissing):
            self.problem = "voice.no_model"
        elif isinstance(error, MicrophoneUnavailable):
            self.problem = "voice.no_microphone"
        else:
            return False          # the shell says what happened, in words (and aloud)
        self.shell.announce(self.shell.t(self.problem))
        return True

    def _open_payment(self, go: OpenPayment) -> None:
        """The summary on the payment screen, filled in; the person confirms (and gives the PIN) there."""
        from dataclasses import replace

        from ui.views.pay import PayScreen
        screen = PayScreen(self.shell)
        self.shell.open(screen)
        screen.choose(replace(go.merchant, fixed_amount_fen=go.amount_fen))

    def _open_screen(self, name: str) -> None:
        module, cls = SCREENS[name]
        try:
            screen = getattr(importlib.import_module(module), cls)
        except (ImportError, AttributeError):
            self.said = self.shell.t("voice.not_here_yet")
            self.shell.announce(self.said)
            return
        self.shell.open(screen(self.shell))

    # ---- speech, from the shell ----------------------------------------------------------------

    def speak(self, text: str) -> None:
        if self.on:
            self.speech.say(text)

    def screen_shown(self, screen: Any) -> None:
        """Home again: say any new security message (each once), before anything else waiting."""
        if not (self.on and getattr(screen, "is_home", False)):
            return

        def say(ok: bool, texts: Any) -> None:
            for text in texts if ok else []:
                self.speech.security_message(text)

        self.shell.runner.submit(self.assistant.unheard_security_messages, say)
