"""Errors -> sentences a person understands, in their language, with what to do next.

Every explanation is two catalogue keys: what happened (`error.<code>`) and what to do
(`error.<code>.next`). Codes the client does not know yet fall back to their class, so a new
server refusal still reads as a sentence, never as a code or a stack trace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from app.campus_code import InsecureDeviceKeyError
from app.errors import (ApiError, BankError, Conflict, ConnectionLost, InsufficientFunds, NotAuthenticated, NotFound,
                        PinIncorrect, PinLocked, PinRequired, ServerUnavailable, ValidationError)
from app.i18n import Translator
from app.journal_trust import JournalKeyChanged
from app.qr import QrNotFound

# The fallback for each class, most specific first (ConnectionLost is a ServerUnavailable).
_BY_CLASS: list[tuple[type[Exception], str]] = [
    (ConnectionLost, "connection_lost"), (ServerUnavailable, "service_unavailable"),
    (NotAuthenticated, "not_authenticated"), (InsufficientFunds, "insufficient_funds"),
    (PinIncorrect, "pin_incorrect"), (PinLocked, "pin_locked"), (PinRequired, "pin_required"),
    (BankError, "bank_declined"), (NotFound, "not_found"), (Conflict, "conflict"),
    (ValidationError, "validation_error"), (QrNotFound, "qr_not_found"), (JournalKeyChanged, "journal_key_changed"),
    (InsecureDeviceKeyError, "keychain_insecure"),
]


@dataclass(frozen=True)
class Explanation:
    key: str                                   # error.<code>
    params: dict[str, object] = field(default_factory=dict)

    def what(self, t: Translator) -> str:
        return t(self.key, **self.params)

    def next_step(self, t: Translator) -> str:
        return t(self.key + ".next", **self.params)

    def sentence(self, t: Translator) -> str:
        """The whole message: what happened, then what to do (also what is spoken in care mode)."""
        return f"{self.what(t)} {self.next_step(t)}".strip()


def explain(error: Exception, t: Translator) -> Explanation:
    key = _key_for(error, t)
    return Explanation(key, _params(error, t))


def _key_for(error: Exception, t: Translator) -> str:
    if isinstance(error, ApiError):
        for candidate in (error.message_key, f"error.{error.code}"):
            if t.has(candidate) and t.has(candidate + ".next"):
                return candidate
    for cls, code in _BY_CLASS:
        if isinstance(error, cls):
            return f"error.{code}"
    return "error.unexpected"


def _params(error: Exception, t: Translator) -> dict[str, object]:
    params: dict[str, object] = {}
    if isinstance(error, PinIncorrect) and error.attempts_left is not None:
        params["attempts_left"] = error.attempts_left
    if isinstance(error, PinLocked):
        until = error.locked_until
        params["until"] = t.time(until) if isinstance(until, datetime) else "—"
    if isinstance(error, ApiError):
        for name in ("balance_fen", "needed_fen", "refundable_fen", "limit_fen", "remaining_fen", "min_fen", "max_fen"):
            value = error.extra.get(name)
            if isinstance(value, int):
                params[name.removesuffix("_fen")] = t.money(value)
    return params
