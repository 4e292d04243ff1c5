"""Exact-intent accuracy of the real Korean model on the spoken fixtures.

    .venv/bin/python -m tests.voice.accuracy        # prints JSON

Two numbers over the same 64 command recordings:
- `whole_grammar`: every command at once (what the recogniser heard before per-state grammars);
- `per_state`: each recording heard in the dialogue state where a person says it, with that
  state's smaller grammar, as the app does: "yes"/"no"/"cancel" while a payment waits for an
  answer, an amount when asked how much, a shop when asked where, every other command when idle.
And for the 16 small-talk recordings, heard in every state: how many became a command at all
(a payment heard this way is only read back, and asked about), and how many became an exact
"yes", the only thing that could move money (must stay 0).
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path

from tests.voice.audio_fixtures import FAMILY, MERCHANTS, Fixture, korean_model_path, make_fixtures
from voice.dialogue import State
from voice.engine import VoiceEngine
from voice.grammar import DynamicSlots
from voice.intents import Intent, IntentName

_ANSWER_STATES = {IntentName.YES: State.CONFIRM, IntentName.NO: State.CONFIRM, IntentName.CANCEL: State.CONFIRM,
                  IntentName.AMOUNT: State.ASK_AMOUNT, IntentName.MERCHANT: State.ASK_MERCHANT}


def state_for(intent: Intent) -> State:
    """The dialogue state in which a person says this."""
    return _ANSWER_STATES.get(intent.name, State.IDLE)


def measure(engine: VoiceEngine, fixtures: list[Fixture]) -> dict:
    commands = [f for f in fixtures if f.expected is not None]
    talk = [f for f in fixtures if f.expected is None]
    whole = [f for f in commands if engine.hear_wav(f.path).heard.intent == f.expected]
    per_state = [f for f in commands if engine.hear_wav(f.path, state=state_for(f.expected)).heard.intent == f.expected]
    talk_heard = [engine.hear_wav(f.path, state=state).heard for f in talk for state in State]
    return {
        "commands": len(commands),
        "whole_grammar": len(whole),
        "per_state": len(per_state),
        "per_state_by_intent": dict(Counter(f.expected.name.value for f in per_state)),
        "small_talk_heard": len(talk_heard),
        "small_talk_as_a_command": sum(h.intent is not None for h in talk_heard),
        "small_talk_as_exact_yes": sum(h.intent is not None and h.intent.name == IntentName.YES and h.exact
                                       for h in talk_heard),
    }


def main() -> None:
    engine = VoiceEngine("ko", korean_model_path(), slots=DynamicSlots(MERCHANTS, FAMILY))
    engine.wait_ready()
    with tempfile.TemporaryDirectory() as folder:
        print(json.dumps(measure(engine, make_fixtures(Path(folder))), indent=1))


if __name__ == "__main__":
    main()
