"""What a person meant (an intent with its slots) and what the recogniser made of an utterance."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType


class IntentName(StrEnum):
    CHECK_BALANCE = "check_balance"
    PAY = "pay"                          # slots: merchant, amount (either may be missing)
    SHOW_PAYMENT_CODE = "show_payment_code"
    CARD_BALANCE = "card_balance"        # prepaid (escrow) cards
    READ_MESSAGES = "read_messages"
    CLAIM_COUPONS = "claim_coupons"
    CALL_FAMILY = "call_family"          # slot: family (optional)
    REPEAT = "repeat"
    HELP = "help"
    YES = "yes"
    NO = "no"
    CANCEL = "cancel"
    AMOUNT = "amount"                    # an answer: just an amount ("fifty yuan")
    MERCHANT = "merchant"                # an answer: just a merchant's name


@dataclass(frozen=True)
class SlotValue:
    """One value a slot can take: how it is said, and what it stands for (a merchant id, a family member id)."""
    spoken: str
    value: object = None


@dataclass(frozen=True)
class Intent:
    name: IntentName
    slots: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "slots", MappingProxyType(dict(self.slots)))

    def __hash__(self) -> int:
        return hash((self.name, tuple(sorted((k, repr(v)) for k, v in self.slots.items()))))

    def __eq__(self, other) -> bool:
        return isinstance(other, Intent) and self.name == other.name and dict(self.slots) == dict(other.slots)

    @property
    def merchant(self) -> SlotValue | None:
        return self.slots.get("merchant")  # type: ignore[return-value]

    @property
    def family(self) -> SlotValue | None:
        return self.slots.get("family")  # type: ignore[return-value]

    @property
    def amount_fen(self) -> int | None:
        return self.slots.get("amount")  # type: ignore[return-value]


class Rejection(StrEnum):
    NO_MATCH = "no_match"              # words came back, but they are not a command
    AMBIGUOUS = "ambiguous"            # the words fit two different commands
    LOW_CONFIDENCE = "low_confidence"  # a command, but the recogniser was not sure of it


@dataclass(frozen=True)
class Heard:
    """One utterance, interpreted.

    `intent` is set only when the words are a command of the grammar. `exact` says the whole of
    the recogniser's best text was the command, with nothing dropped; `confidence` is the
    recogniser's mean per-word confidence (0..1). The dialogue accepts a "yes" only when both
    are high, so a word caught inside other speech never confirms a payment.
    """
    intent: Intent | None
    text: str = ""
    confidence: float = 0.0
    exact: bool = False
    rejected: Rejection | None = None
    how: str = ""  # which reading matched: "best", "alternative 2", "best, 1 trimmed" (for logs and tuning)
    guess: Intent | None = None  # the command a LOW_CONFIDENCE rejection would have been ("did you mean ...?")

    @property
    def nothing(self) -> bool:
        """Silence or noise: no words at all."""
        return self.intent is None and self.rejected is None

    @classmethod
    def silence(cls) -> Heard:
        return cls(intent=None)

    @classmethod
    def typed(cls, intent: Intent, text: str = "") -> Heard:
        """A command that did not come through a recogniser (typed, or a test): fully certain."""
        return cls(intent=intent, text=text, confidence=1.0, exact=True, how="text")
