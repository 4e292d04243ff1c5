"""The conversation: asks for what is missing, reads a payment back, and waits for an explicit yes.

The dialogue turns what was heard into `Reply`s: words to say and, sometimes, a command for the
client to carry out. It never moves money itself, and the only command that may is
`ConfirmedPayment`, which exists only as the answer to a clear, exact "yes" spoken right after
the complete payment was read back. So:

- no money ever moves on a single utterance ("pay the pharmacy fifty yuan" only asks);
- "no" or "cancel" stops at any point, and so do three unclear answers in a row;
- a command heard with low confidence, or anything unexpected, is asked again;
- a payment above the voice limit (default 200 CNY) never gets a spoken yes: it goes to the
  screen (`PaymentNeedsPin`), where the person checks it and enters the PIN;
- a discount the client offers for the payment (`offer`: its best city coupon) is part of the
  read-back ("… with your coupon X you pay Y"), and the yes confirms exactly that offer.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from voice.amounts import say_amount
from voice.grammar import CommandGrammar
from voice.intents import Heard, Intent, IntentName, Rejection, SlotValue
from voice.locales import VoiceLocale

DEFAULT_VOICE_LIMIT_FEN = 20_000  # 200 CNY
MAX_UNCLEAR_ANSWERS = 3


# ---------------------------------------------------------------- commands for the client

@dataclass(frozen=True)
class CheckBalance:
    pass


@dataclass(frozen=True)
class ShowPaymentCode:
    pass


@dataclass(frozen=True)
class CardBalance:
    pass


@dataclass(frozen=True)
class ReadMessages:
    pass


@dataclass(frozen=True)
class ClaimCoupons:
    pass


@dataclass(frozen=True)
class CallFamily:
    member: SlotValue | None = None  # None: "my family", whoever is the guardian


@dataclass(frozen=True)
class Offer:
    """A discount the client proposes for a payment (a city coupon), to be read back with it."""
    ref: object            # the client's own handle on it (e.g. the coupon's id); the dialogue never reads it
    name: str              # how it is said ("Weihai Spring Coupons")
    you_pay_fen: int       # what the person pays with it


@dataclass(frozen=True)
class ConfirmedPayment:
    """Pay now: the person heard this exact payment read back and said yes to it.

    `confirmation_id` is fresh per confirmation: use it as the payment's idempotency key so a
    retry of the same confirmation moves the money once.
    """
    merchant: SlotValue
    amount_fen: int
    confirmation_id: str
    offer: Offer | None = None     # read back with the payment: the client applies exactly this


@dataclass(frozen=True)
class PaymentNeedsPin:
    """Above the voice limit: open the payment screen with this filled in; the PIN decides there."""
    merchant: SlotValue
    amount_fen: int


Command = (CheckBalance | ShowPaymentCode | CardBalance | ReadMessages | ClaimCoupons | CallFamily
           | ConfirmedPayment | PaymentNeedsPin)

_SIMPLE_COMMANDS = {
    IntentName.CHECK_BALANCE: (CheckBalance, "ack_check_balance"),
    IntentName.SHOW_PAYMENT_CODE: (ShowPaymentCode, "ack_show_payment_code"),
    IntentName.CARD_BALANCE: (CardBalance, "ack_card_balance"),
    IntentName.READ_MESSAGES: (ReadMessages, "ack_read_messages"),
    IntentName.CLAIM_COUPONS: (ClaimCoupons, "ack_claim_coupons"),
}


class State(StrEnum):
    IDLE = "idle"
    ASK_MERCHANT = "ask_merchant"
    ASK_AMOUNT = "ask_amount"
    CONFIRM = "confirm"


_STOP_OR_REPEAT = (IntentName.NO, IntentName.CANCEL, IntentName.REPEAT)

# What can be said in each state: the recogniser listens with only these commands' phrases.
# A smaller grammar leaves noise and stray sounds fewer wrong words to become, and keeps "yes"
# out of every state but the one where it means something. The read-back itself says what to
# answer, so "help" is left out there (its "뭐 할 수 있어" swallowed "취소" on the Korean model).
STATE_INTENTS: dict[State, frozenset[IntentName]] = {
    State.IDLE: frozenset(IntentName) - {IntentName.YES, IntentName.AMOUNT, IntentName.MERCHANT},
    State.ASK_MERCHANT: frozenset({IntentName.MERCHANT, IntentName.PAY, IntentName.HELP, *_STOP_OR_REPEAT}),
    State.ASK_AMOUNT: frozenset({IntentName.AMOUNT, IntentName.PAY, IntentName.HELP, *_STOP_OR_REPEAT}),
    State.CONFIRM: frozenset({IntentName.YES, *_STOP_OR_REPEAT}),
}


@dataclass(frozen=True)
class Reply:
    say: str | None              # None: nothing to say (e.g. silence while idle)
    command: Command | None = None
    state: State = State.IDLE


@dataclass(frozen=True)
class _Draft:
    merchant: SlotValue | None = None
    amount_fen: int | None = None
    offer: Offer | None = None


class Dialogue:
    """One person's conversation with the assistant. Not thread-safe: feed it one utterance at a time."""

    def __init__(self, locale: VoiceLocale, grammar: CommandGrammar | None = None, *,
                 voice_limit_fen: int = DEFAULT_VOICE_LIMIT_FEN, confirm_confidence: float = 0.7,
                 offer: Callable[[SlotValue, int], Offer | None] | None = None):
        self.locale = locale
        self.grammar = grammar
        self.voice_limit_fen = voice_limit_fen
        self.offer = offer      # asked once per read-back: the client's discount for this payment, or None
        self.confirm_confidence = confirm_confidence
        self.state = State.IDLE
        self._draft = _Draft()
        self._unclear = 0
        self._last_said: str | None = None

    # ------------------------------------------------------------ input

    def hear_text(self, text: str) -> Reply:
        """Typed words (or a test): matched against the grammar, as certain as a confident recogniser."""
        if self.grammar is None:
            raise ValueError("hear_text needs the dialogue's grammar")
        intent = self.grammar.parse(text)
        if intent is None:
            return self.hear(Heard(None, text, 1.0, rejected=Rejection.NO_MATCH))
        return self.hear(Heard.typed(intent, text))

    def hear(self, heard: Heard) -> Reply:
        reply = self._hear(heard)
        if reply.say is not None:
            self._last_said = reply.say
        return replace(reply, state=self.state)

    # ------------------------------------------------------------ the state machine

    def _hear(self, heard: Heard) -> Reply:
        intent = heard.intent
        if intent is None:
            return self._unclear_input(heard)
        name = intent.name
        if name in (IntentName.NO, IntentName.CANCEL):
            return self._stop()
        if name == IntentName.REPEAT:
            return Reply(self._last_said or self._text("nothing_to_repeat"))
        if name == IntentName.HELP:
            return Reply(self._text("help"))
        if self.state == State.CONFIRM:
            return self._confirming(heard)
        if self.state in (State.ASK_MERCHANT, State.ASK_AMOUNT):
            return self._answering(intent)
        return self._idle(intent)

    def _idle(self, intent: Intent) -> Reply:
        self._unclear = 0
        if intent.name == IntentName.PAY:
            self._draft = _Draft(intent.merchant, intent.amount_fen)
            return self._next_question()
        if intent.name in _SIMPLE_COMMANDS:
            command, ack = _SIMPLE_COMMANDS[intent.name]
            return Reply(self._text(ack), command())
        if intent.name == IntentName.CALL_FAMILY:
            member = intent.family
            if member is None:
                return Reply(self._text("ack_call_family"), CallFamily())
            return Reply(self._text("ack_call_member", family=member.spoken), CallFamily(member))
        if intent.name == IntentName.YES:
            return Reply(self._text("nothing_to_confirm"))
        return Reply(self._text("not_understood"))  # an amount or a merchant out of the blue

    def _answering(self, intent: Intent) -> Reply:
        draft = self._draft
        if intent.name in (IntentName.PAY, IntentName.MERCHANT, IntentName.AMOUNT):
            # An answer may carry the missing piece, or correct the other one ("to the bakery, thirty yuan").
            merchant = intent.merchant or draft.merchant
            amount = intent.amount_fen if intent.amount_fen is not None else draft.amount_fen
            if (merchant, amount) != (draft.merchant, draft.amount_fen):
                self._draft, self._unclear = _Draft(merchant, amount), 0
                return self._next_question()
        return self._ask_again()

    def _confirming(self, heard: Heard) -> Reply:
        draft = self._draft
        intent = heard.intent
        clear_yes = (intent is not None and intent.name == IntentName.YES and heard.exact
                     and heard.confidence >= self.confirm_confidence)
        if not clear_yes:
            return self._ask_again()
        assert draft.merchant is not None and draft.amount_fen is not None
        command = ConfirmedPayment(draft.merchant, draft.amount_fen, uuid.uuid4().hex, draft.offer)
        self._reset()
        return Reply(self._text("paying", **self._fields(draft)), command)

    def _next_question(self) -> Reply:
        draft = self._draft
        if draft.merchant is None:
            self.state = State.ASK_MERCHANT
            return Reply(self._text("ask_merchant"))
        if draft.amount_fen is None:
            self.state = State.ASK_AMOUNT
            return Reply(self._text("ask_amount", merchant=draft.merchant.spoken))
        if draft.amount_fen > self.voice_limit_fen:
            self._reset()
            return Reply(self._text("over_voice_limit", amount=say_amount(draft.amount_fen, self.locale.code),
                                    limit=say_amount(self.voice_limit_fen, self.locale.code)),
                         PaymentNeedsPin(draft.merchant, draft.amount_fen))
        self.state = State.CONFIRM
        offer = self.offer(draft.merchant, draft.amount_fen) if self.offer is not None else None
        self._draft = draft = replace(draft, offer=offer)
        return Reply(self._confirm_text("confirm_payment", draft))

    def _unclear_input(self, heard: Heard) -> Reply:
        if heard.nothing:
            # Silence: while idle there is nothing to say; in a question, ask it again (without counting it).
            return Reply(None) if self.state == State.IDLE else Reply(self._question_text())
        if self.state == State.IDLE:
            return Reply(self._text("not_sure" if heard.rejected == Rejection.LOW_CONFIDENCE else "not_understood"))
        return self._ask_again()

    def _ask_again(self) -> Reply:
        self._unclear += 1
        if self._unclear >= MAX_UNCLEAR_ANSWERS:
            self._reset()
            return Reply(self._text("gave_up"))
        return Reply(self._question_text(again=True))

    def _question_text(self, again: bool = False) -> str:
        draft = self._draft
        if self.state == State.ASK_MERCHANT:
            return self._text("ask_merchant_again" if again else "ask_merchant")
        if self.state == State.ASK_AMOUNT:
            return self._text("ask_amount_again" if again else "ask_amount", merchant=draft.merchant.spoken)
        return self._confirm_text("say_yes_or_no" if again else "confirm_payment", draft)

    def _stop(self) -> Reply:
        active = self.state != State.IDLE
        self._reset()
        return Reply(self._text("cancelled" if active else "nothing_to_cancel"))

    def _reset(self) -> None:
        self.state, self._draft, self._unclear = State.IDLE, _Draft(), 0

    def _fields(self, draft: _Draft) -> dict[str, str]:
        return {"merchant": draft.merchant.spoken, "amount": say_amount(draft.amount_fen, self.locale.code)}

    def _confirm_text(self, key: str, draft: _Draft) -> str:
        """The read-back (or its reminder), with the offered coupon and what the person pays with it."""
        if draft.offer is None:
            return self._text(key, **self._fields(draft))
        return self._text(key + "_offer", coupon=draft.offer.name,
                          you_pay=say_amount(draft.offer.you_pay_fen, self.locale.code), **self._fields(draft))

    def _text(self, key: str, **fields: object) -> str:
        return self.locale.reply(key, **fields)
