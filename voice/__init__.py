"""Offline voice commands (Vosk, grammar mode) and spoken answers (pyttsx3). Produces commands; never moves money.

The pieces, each its own module:
- `models`     find a speech model for a locale; `install_model` for `anxin voice install-model`
- `vocabulary` the words a model knows, read from its files (for the build-time grammar check)
- `templates`  Rhasspy-style sentence templates (assets/voice/<locale>/commands.ini)
- `grammar`    the recogniser's phrase list and the intent map, built from the templates + slots
- `amounts`    spoken money per locale: parse to fen, say fen
- `recognizer` Vosk: a lazily loaded model, words with confidences, n-best alternatives
- `interpret`  recognition -> command, or an explicit rejection
- `audio`      WAV files, the microphone (optional `sounddevice`), endpointing on silence
- `engine`     all of the above behind one object for the client
- `dialogue`   the multi-turn conversation and the commands it hands the client
- `speech`     text-to-speech on a worker thread, degrading to on-screen text
See docs/voice.md for the interface the client calls.
"""

from voice.dialogue import (CallFamily, CardBalance, CheckBalance, ClaimCoupons, Command, ConfirmedPayment, Dialogue,
                            PaymentNeedsPin, ReadMessages, Reply, ShowPaymentCode, State)
from voice.grammar import DynamicSlots, build_grammar
from voice.intents import Heard, Intent, IntentName, SlotValue
from voice.locales import load_locale
from voice.models import SpeechModelMissing, find_model

__all__ = [
    "CallFamily", "CardBalance", "CheckBalance", "ClaimCoupons", "Command", "ConfirmedPayment", "Dialogue",
    "DynamicSlots", "Heard", "Intent", "IntentName", "PaymentNeedsPin", "ReadMessages", "Reply", "ShowPaymentCode",
    "SlotValue", "SpeechModelMissing", "State", "build_grammar", "find_model", "load_locale",
]
