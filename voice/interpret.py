"""From what the recogniser heard to a command, or an explicit rejection.

A grammar-mode recogniser always answers with grammar words, even for small talk ("아니요
아니요", confidence 1.0), and tends to add a stray grammar word before or after a command. So:

1. nothing at all, or "nothing" is a close runner-up reading -> silence (not an error: the person
   said nothing; noise in a small grammar comes back as its nearest word, e.g. a "예" from white
   noise while a payment waits for yes, but then "nothing" is nearly as likely);
2. the best reading is exactly one command                     -> that command, `exact`;
3. else a close runner-up reading is exactly one command       -> that command, not exact;
4. else the best reading minus at most two stray words at its edges is one command, and the
   command covers at least half of what was heard                -> that command, not exact;
5. else rejected (no match, or ambiguous between two commands);
and any command whose mean word confidence is below `min_confidence` (stricter for steps 3 and 4,
which noise can reach) is rejected as unsure.

Only an `exact`, confident reading counts as "yes" in the dialogue: steps 3 and 4 may find a
command, never a confirmation.
"""

from __future__ import annotations

from dataclasses import dataclass

from voice.grammar import CommandGrammar
from voice.intents import Heard, Intent, Rejection
from voice.recognizer import Recognition


@dataclass(frozen=True)
class Policy:
    min_confidence: float = 0.5       # mean per-word confidence below this: ask again
    min_confidence_inexact: float = 0.75  # the same, for a command found in a runner-up or a trimmed reading
    max_trimmed_words: int = 2        # stray words dropped at the edges of the best reading
    max_alternative_gap: float = 3.0  # log-likelihood behind the best reading, for a runner-up to count
    max_nothing_gap: float = 3.0      # an empty reading this close to the best: it was noise, not words


def interpret(recognition: Recognition, grammar: CommandGrammar, policy: Policy = Policy()) -> Heard:
    if recognition.empty or _nothing_is_as_likely(recognition, policy):
        return Heard.silence()
    confidence = recognition.mean_confidence
    text = recognition.text
    found = _first_match(recognition, grammar, policy)
    if found is None:
        return Heard(None, text, confidence, rejected=Rejection.NO_MATCH)
    intents, exact, how = found
    if len(intents) > 1:
        return Heard(None, text, confidence, rejected=Rejection.AMBIGUOUS, how=how)
    if confidence < (policy.min_confidence if exact else policy.min_confidence_inexact):
        return Heard(None, text, confidence, exact, Rejection.LOW_CONFIDENCE, how, guess=intents[0])
    return Heard(intents[0], text, confidence, exact, None, how)


def _nothing_is_as_likely(recognition: Recognition, policy: Policy) -> bool:
    if not recognition.alternatives:
        return False
    top = recognition.alternatives[0].likelihood
    return any(not a.text.strip() and top - a.likelihood <= policy.max_nothing_gap for a in recognition.alternatives)


def _first_match(recognition: Recognition, grammar: CommandGrammar,
                 policy: Policy) -> tuple[list[Intent], bool, str] | None:
    words = [w.text for w in recognition.words] or recognition.text.split()
    if words and (intents := grammar.match(" ".join(words))):
        return intents, True, "best"
    if recognition.alternatives:
        top = recognition.alternatives[0].likelihood
        for number, alternative in enumerate(recognition.alternatives, 1):
            if top - alternative.likelihood > policy.max_alternative_gap:
                break
            if alternative.text and alternative.text != recognition.text and (intents := grammar.match(alternative.text)):
                return intents, False, f"alternative {number}"
    for trimmed in range(1, policy.max_trimmed_words + 1):
        kept = len(words) - trimmed
        if kept < 1 or kept < trimmed:
            break
        for lead in range(trimmed + 1):
            if intents := grammar.match(" ".join(words[lead:lead + kept])):
                return intents, False, f"best, {trimmed} trimmed"
    return None
