"""Server refusals as Python exceptions the UI can branch on.

The server answers every refusal with an RFC 9457 problem body
`{type, title, status, detail, code, message_key, ...extra}`. The stable `code` picks the
exception class; `message_key` is what the UI translates; `detail` is English for logs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from wallet_api.schemas.guardian import PendingPaymentOut

_PROBLEM_FIELDS = {"type", "title", "status", "detail", "code", "message_key", "instance"}


class ApiError(Exception):
    """A request the server refused, or one that never got an answer."""

    def __init__(self, status: int, code: str, message_key: str, detail: str,
                 extra: dict[str, Any] | None = None, *, title: str = "", instance: str | None = None) -> None:
        super().__init__(f"{code} ({status}): {detail}")
        self.status = status
        self.code = code
        self.message_key = message_key
        self.detail = detail
        self.extra: dict[str, Any] = dict(extra or {})
        self.title = title
        self.instance = instance


class NotAuthenticated(ApiError):
    """Sign-in needed: no session, a dead session, or a wrong password."""


class InsufficientFunds(ApiError):
    pass


class PinRequired(ApiError):
    """The payment needs a PIN (or the user has not set one yet: code `pin_not_set`)."""


class PinIncorrect(ApiError):
    @property
    def attempts_left(self) -> int | None:
        value = self.extra.get("attempts_left")
        return value if isinstance(value, int) else None


class PinLocked(ApiError):
    @property
    def locked_until(self) -> datetime | None:
        value = self.extra.get("locked_until")
        try:
            return datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            return None


class ValidationError(ApiError):
    """The request itself was wrong; `errors` lists the fields when the server says which."""

    @property
    def errors(self) -> list[Any]:
        value = self.extra.get("errors")
        return value if isinstance(value, list) else []


class Conflict(ApiError):
    pass


class NotFound(ApiError):
    pass


class BankError(ApiError):
    """The bank declined or did not answer; nothing moved unless a later status says so."""


class ServerUnavailable(ApiError):
    pass


class ActingRefused(ApiError):
    """Acting for someone was refused (docs/family.md): no or ended permission, a scope or limit the
    grant does not give, or a route nobody may use for someone else. Nothing was done."""

    @property
    def permission_gone(self) -> bool:
        """The permission itself is over: the app should switch back to the person's own account."""
        return self.code in ("not_delegated", "delegation_ended", "delegation_expired")


class PaymentWaiting(ApiError):
    """Not a refusal: the server took the payment but it waits (for the payer's guardian, or a delay for a
    new payee), so there is no receipt yet. `pending` says why, in words, and until when."""

    def __init__(self, pending: PendingPaymentOut) -> None:
        key = "error.payment_waiting_for_guardian" if pending.reason == "guardian" else "error.payment_delayed"
        super().__init__(202, "payment_waiting", key, pending.explanation)
        self.pending = pending


class ConnectionLost(ServerUnavailable):
    """No answer at all (network down, timeouts) after the client's retries."""

    @classmethod
    def from_exception(cls, exc: Exception) -> ConnectionLost:
        return cls(0, "connection_lost", "error.connection_lost",
                   f"No answer from the wallet server: {type(exc).__name__}: {exc}")


ERRORS_BY_CODE: dict[str, type[ApiError]] = {
    **dict.fromkeys(["not_authenticated", "token_invalid", "token_expired", "refresh_token_reused",
                     "bad_credentials"], NotAuthenticated),
    "insufficient_funds": InsufficientFunds,
    **dict.fromkeys(["pin_required", "pin_not_set"], PinRequired),
    "pin_incorrect": PinIncorrect,
    "pin_locked": PinLocked,
    **dict.fromkeys(["validation_error", "invalid_amount", "invalid_qr", "invalid_national_id", "self_payment",
                     "idempotency_key_required", "bad_request"], ValidationError),
    **dict.fromkeys(["bank_declined", "bank_timeout"], BankError),
    "service_unavailable": ServerUnavailable,
    **dict.fromkeys(["acting_for_not_allowed", "not_delegated", "delegation_ended", "delegation_expired",
                     "scope_missing", "delegated_limit_exceeded"], ActingRefused),
}

# Codes the client does not know yet still land in a useful class by their status.
ERRORS_BY_STATUS: dict[int, type[ApiError]] = {
    400: ValidationError,
    401: NotAuthenticated,
    404: NotFound,
    409: Conflict,
    422: ValidationError,
    502: ServerUnavailable,
    503: ServerUnavailable,
    504: ServerUnavailable,
}

_FALLBACK_CODES = {400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
                   409: "conflict", 422: "validation_error", 502: "service_unavailable",
                   503: "service_unavailable", 504: "service_unavailable"}


def error_class_for(code: str, status: int) -> type[ApiError]:
    return ERRORS_BY_CODE.get(code) or ERRORS_BY_STATUS.get(status, ApiError)


def error_from_problem(body: dict[str, Any], status: int) -> ApiError:
    code = str(body.get("code") or _FALLBACK_CODES.get(status, "http_error"))
    cls = error_class_for(code, status)
    extra = {k: v for k, v in body.items() if k not in _PROBLEM_FIELDS}
    return cls(status, code, str(body.get("message_key") or f"error.{code}"), str(body.get("detail") or ""),
               extra, title=str(body.get("title") or ""), instance=body.get("instance"))


def error_from_response(response: httpx.Response) -> ApiError:
    """The exception for an error response, whether or not its body is a problem document."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "code" in body:
        return error_from_problem(body, status)
    # Not ours (a proxy page, or a framework's default error): keep what little it says.
    code = _FALLBACK_CODES.get(status, "http_error")
    detail = response.reason_phrase or f"HTTP {status}"
    extra: dict[str, Any] = {}
    if isinstance(body, dict) and isinstance(body.get("detail"), list):
        extra["errors"] = body["detail"]      # FastAPI's own 422 shape
    elif isinstance(body, dict) and isinstance(body.get("detail"), str):
        detail = body["detail"]
    return error_class_for(code, status)(status, code, f"error.{code}", detail, extra)
