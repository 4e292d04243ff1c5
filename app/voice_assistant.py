"""The voice assistant in the app: what each spoken command does with the wallet, and what is said back.

`voice/` turns audio into commands and never moves money; this module carries a command out
through the person's own actions (`WalletSession`), exactly as a tap would, and returns a
`VoiceTurn`: the sentences to show and speak, and where the screen should go. Every method here
blocks (model loading, recognition, the network): the UI calls them through `Shell.run`.

Money rules, on top of the dialogue's (a payment is read back and needs an exact, confident "yes"):
the "yes" pays with the confirmation's id as the idempotency key, so it moves money once; a
payment above the voice limit, or one the server wants the PIN for, goes to the payment screen
with everything filled in, where the person checks it and enters the PIN. Like Pay's summary, the
read-back proposes the person's best city coupon for the payment ("… with your coupon X, you pay Y")
and the "yes" pays with exactly that coupon, under the same single key. The voice limit is a client
setting, `ANXIN_VOICE_LIMIT_FEN` (default 20000 fen = 200 CNY; docs/voice.md).
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from app.errors import PinRequired
from app.i18n import Translator, message_text
from app.problems import explain
from app.state import MerchantChoice, PaymentDraft
from app.voice_io import AudioInput, audio_input
from voice.amounts import say_amount
from voice.audio import MicrophoneUnavailable
from voice.dialogue import (DEFAULT_VOICE_LIMIT_FEN, CallFamily, CardBalance, CheckBalance, ClaimCoupons,
                            ConfirmedPayment, Dialogue, Offer, PaymentNeedsPin, ReadMessages, Reply, ShowPaymentCode,
                            State)
from voice.engine import VoiceEngine
from voice.grammar import DynamicSlots, VocabularyReport, build_grammar
from voice.intents import Heard, Rejection, SlotValue
from voice.locales import load_locale
from voice.models import SpeechModelMissing
from wallet_api.schemas import NotificationCategory
from wallet_api.schemas.coupons import CouponProposal
from wallet_api.schemas.family import LinkStatus

__all__ = ["MicrophoneUnavailable", "OpenPayment", "OpenScreen", "SpeechModelMissing", "VoiceAssistant", "VoiceTurn"]

MAX_MESSAGES_READ = 3     # read the newest few aloud; the screen lists them all
ENV_VOICE_LIMIT = "ANXIN_VOICE_LIMIT_FEN"


def voice_limit_setting(setting: str | None = None) -> int:
    """The voice limit in fen: above it a voice payment is never confirmed by a spoken "yes" but opens the
    on-screen summary (and the PIN there). From `ANXIN_VOICE_LIMIT_FEN` (or `setting`); unset or empty:
    20000 (200 CNY). Raises ValueError, in words, for anything but a whole number of fen above zero."""
    setting = (setting if setting is not None else os.environ.get(ENV_VOICE_LIMIT, "")).strip()
    if not setting:
        return DEFAULT_VOICE_LIMIT_FEN
    if not setting.isdigit() or int(setting) <= 0:
        raise ValueError(f"{ENV_VOICE_LIMIT} must be a whole number of fen above zero (20000 is 200 CNY), "
                         f"not {setting!r}.")
    return int(setting)


@dataclass(frozen=True)
class OpenPayment:
    """Show this payment's summary on the payment screen (the PIN, if any, is entered there)."""
    merchant: MerchantChoice
    amount_fen: int


@dataclass(frozen=True)
class OpenScreen:
    name: str   # "payment_code", "messages", "cards", "coupons", "family": the UI opens it if it has it


@dataclass(frozen=True)
class VoiceTurn:
    heard: str                                 # what the recogniser heard ("" for nothing)
    say: list[str] = field(default_factory=list)  # to show and to speak, in order
    go: OpenPayment | OpenScreen | None = None
    state: State = State.IDLE                  # the dialogue's state afterwards (CONFIRM: waiting for yes/no)
    paid_fen: int | None = None                # the payment made in this turn (at most one), before any coupon


_SCRIPT = {"en": re.compile(r"[A-Za-z][A-Za-z' -]*[A-Za-z]"), "zh-CN": re.compile(r"[\u4e00-\u9fff]+"),
           "ko": re.compile(r"[\uac00-\ud7a3]+")}


def spoken_person(display_name: str, locale: str) -> str | None:
    """The part of a name written in the locale's script ("Li Jianguo 李建国" -> "李建国" in Chinese);
    None when the name has no such part (it cannot be said in that language)."""
    found = _SCRIPT[locale].findall(display_name)
    return " ".join(part.strip() for part in found) if found else None


def spoken_name(merchant: MerchantChoice, locale: str) -> str:
    """How a person says a shop's name: its own (Chinese or Korean) name outside English."""
    if locale == "en" or not merchant.local_name:
        return merchant.name
    return merchant.local_name


class VoiceAssistant:
    """One signed-in person's assistant: their dialogue, their merchants, their language."""

    def __init__(self, session, *, audio: AudioInput | None = None, model_path: str | Path | None = None,
                 voice_limit_fen: int | None = None) -> None:
        self.session = session
        self.audio = audio or audio_input()
        self.model_path = model_path
        # Above it, a spoken payment goes to the screen; None: the client setting (voice_limit_setting).
        self.voice_limit_fen = voice_limit_fen if voice_limit_fen is not None else voice_limit_setting()
        self._engine: VoiceEngine | None = None
        self._dialogue: Dialogue | None = None
        self._locale: str | None = None
        self._merchants: dict[int, MerchantChoice] = {}
        self._slots = DynamicSlots()
        self._spoken_security: set[int] = set()
        self._proposals: dict[int, CouponProposal] = {}   # coupons read back, by id: a "yes" applies that one
        self._lock = threading.Lock()   # one turn at a time per person

    # ---- language, grammar, model ----------------------------------------------------------------

    @property
    def locale(self) -> str:
        return self.session.state.prefs.language

    @property
    def dialogue(self) -> Dialogue:
        self._follow_language()
        return self._dialogue   # type: ignore[return-value]

    @property
    def state(self) -> State:
        return self.dialogue.state

    def _follow_language(self) -> None:
        if self._locale != self.locale:       # a new language: a new conversation and grammar
            self._locale = self.locale
            self._engine = None
            self._slots = self._current_slots()
            grammar = build_grammar(self.locale, self._slots)
            self._dialogue = Dialogue(grammar.locale, grammar, voice_limit_fen=self.voice_limit_fen,
                                      offer=self._best_coupon)

    def _current_slots(self) -> DynamicSlots:
        """The person's recent shops and the relatives who help them, by the names they would say."""
        merchants = self.session.recent_merchants() or self._merchants_from_history()
        self._merchants = {m.id: m for m in merchants}
        family = []
        for person in self._helpers():
            name = spoken_person(person.display_name, self.locale)
            if name:
                family.append(SlotValue(name, person.username))
        return DynamicSlots(merchants=tuple(SlotValue(spoken_name(m, self.locale), m.id) for m in merchants),
                            family=tuple(family))

    def _merchants_from_history(self) -> list[MerchantChoice]:
        """A new device knows no shops yet: the ones in the person's latest payments."""
        try:
            return self.session.recent_merchants_from_history()
        except Exception:  # noqa: BLE001 — voice still works for everything else
            return []

    def _helpers(self) -> list:
        """Relatives with an active link who help this person (none when the server cannot say)."""
        try:
            links = self.session.family.links().looked_after_by
        except Exception:  # noqa: BLE001 — voice still works for everything else
            return []
        return [link.relative for link in links if link.status == LinkStatus.ACTIVE]

    def refresh_slots(self) -> None:
        """Recent shops changed (a payment was made): the grammars learn them."""
        self._follow_language()
        slots = self._current_slots()
        if slots == self._slots:
            return
        self._slots = slots
        self.dialogue.grammar = build_grammar(self.locale, slots)
        if self._engine is not None:
            self._engine.update_slots(slots)

    def engine(self) -> VoiceEngine:
        """The recogniser for the person's language, loaded on first use (seconds; blocks).
        Raises voice.models.SpeechModelMissing when this machine has no model for the language."""
        self._follow_language()
        if self._engine is None:
            engine = VoiceEngine(self.locale, self.model_path, slots=self._slots)
            engine.wait_ready()
            self._engine = engine
        return self._engine

    @property
    def vocabulary_report(self) -> VocabularyReport | None:
        return self._engine.vocabulary_report if self._engine is not None else None

    def unsayable_names(self) -> list[str]:
        """Shops and relatives the speech model cannot hear (show them as "not available by voice")."""
        report = self.vocabulary_report
        if report is None:
            return []
        return [name for names in report.unsayable.values() for name in names]

    # ---- a turn ------------------------------------------------------------------------------

    def listen(self) -> VoiceTurn:
        """One press of the voice button: the next utterance from the audio input, carried out."""
        with self._lock:
            engine = self.engine()
            state = self.dialogue.state
            source = self.audio.open()
            try:
                utterance = next(iter(engine.listen(source, state=state)), None)
            finally:
                self.audio.stop()
            return self._carry_out(utterance.heard if utterance else Heard.silence())

    def stop_listening(self) -> None:
        self.audio.stop()

    def hear_text(self, text: str) -> VoiceTurn:
        """Typed words (or a test), through the same dialogue and actions; needs no speech model."""
        with self._lock:
            dialogue = self.dialogue
            grammar = dialogue.grammar
            intent = grammar.parse(text) if grammar is not None else None
            heard = Heard.typed(intent, text) if intent is not None else Heard(None, text, 1.0, rejected=Rejection.NO_MATCH)
            return self._carry_out(heard)

    def _carry_out(self, heard: Heard) -> VoiceTurn:
        dialogue = self.dialogue
        reply: Reply = dialogue.hear(heard)
        say = [reply.say] if reply.say else []
        if heard.nothing and reply.say is None:
            say.append(self._reply("heard_nothing"))
        go: OpenPayment | OpenScreen | None = None
        paid: int | None = None
        match reply.command:
            case CheckBalance():
                say.append(self._reply("balance_is", amount=say_amount(self.session.refresh_balance(), self.locale)))
            case ConfirmedPayment(merchant=merchant, amount_fen=amount, confirmation_id=key, offer=offer):
                go, paid = self._pay(self._merchants[merchant.value], amount, key, say, offer)
            case PaymentNeedsPin(merchant=merchant, amount_fen=amount):
                go = OpenPayment(self._merchants[merchant.value], amount)
            case ShowPaymentCode():
                go = OpenScreen("payment_code")
            case ReadMessages():
                say += self._messages_aloud()
                go = OpenScreen("messages")
            case CardBalance():
                go = OpenScreen("cards")
            case ClaimCoupons():
                go = OpenScreen("coupons")
            case CallFamily():
                go = OpenScreen("family")
        return VoiceTurn(heard.text, say, go, dialogue.state, paid)

    def _best_coupon(self, merchant: SlotValue, amount_fen: int) -> Offer | None:
        """The dialogue asks before reading a payment back: the best coupon, as Pay's summary proposes it."""
        proposal = self.session.coupons.best_for(merchant.value, amount_fen)
        if proposal is None or proposal.coupon is None or not proposal.subsidy_fen:
            return None
        self._proposals = {proposal.coupon.id: proposal}      # only the one being read back can be applied
        return Offer(proposal.coupon.id, proposal.coupon.campaign_name, proposal.you_pay_fen)

    def _pay(self, merchant: MerchantChoice, amount_fen: int, confirmation_id: str,
             say: list[str], offer: Offer | None = None) -> tuple[OpenPayment | None, int | None]:
        draft = PaymentDraft(merchant, amount_fen, self.session.state.balance_fen, confirmation_id)
        if offer is not None:       # the coupon read back and said yes to; one key, so it is used once
            draft.coupon = self._proposals.get(offer.ref)
        try:
            receipt = self.session.pay(draft)
        except PinRequired:
            say.append(self._reply("pin_on_screen"))
            return OpenPayment(merchant, amount_fen), None
        except Exception as exc:  # noqa: BLE001 — said in words; nothing was paid
            t = Translator(self.locale)
            say.append(self._reply("payment_failed", reason=explain(exc, t).sentence(t)))
            return None, None
        words = dict(merchant=spoken_name(merchant, self.locale), amount=say_amount(receipt.amount_fen, self.locale))
        if receipt.subsidy_fen and draft.coupon is not None:
            say.append(self._reply("paid_offer", coupon=draft.coupon.coupon.campaign_name,
                                   subsidy=say_amount(receipt.subsidy_fen, self.locale),
                                   you_pay=say_amount(receipt.amount_fen - receipt.subsidy_fen, self.locale), **words))
        else:
            say.append(self._reply("paid", **words))
        self.refresh_slots()
        return None, receipt.amount_fen

    def _messages_aloud(self) -> list[str]:
        t = Translator(self.locale)
        unread = [n for n in self.session.messages() if n.read_at is None]
        if not unread:
            return [self._reply("no_new_messages")]
        return [message_text(n, t) for n in unread[:MAX_MESSAGES_READ]]

    def unheard_security_messages(self) -> list[str]:
        """Unread security messages not yet spoken in this session (each is spoken once)."""
        t = Translator(self.locale)
        fresh = [n for n in self.session.messages()
                 if n.category == NotificationCategory.SECURITY and n.read_at is None
                 and n.id not in self._spoken_security]
        self._spoken_security |= {n.id for n in fresh}
        return [message_text(n, t) for n in fresh]

    def _reply(self, key: str, **fields: object) -> str:
        return load_locale(self.locale).reply(key, **fields)
