"""Problem details (RFC 9457): every refusal has a stable code, a message key and English words."""

from __future__ import annotations

from typing import Any

PROBLEM_BASE = "https://anxin.example/problems/"


class Problem(Exception):
    """A refusal the client can act on. Raising one rolls back the unit of work."""

    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(self, detail: str, *, status: int | None = None, code: str | None = None,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.headers = headers or {}
        self.extra = extra

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
            "message_key": f"error.{self.code}",
        }
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


def _problem(name: str, status: int, code: str, title: str) -> type[Problem]:
    return type(name, (Problem,), {"status": status, "code": code, "title": title})


# The catalogue of refusals. Codes are part of the API contract: never rename one.
NotAuthenticated = _problem("NotAuthenticated", 401, "not_authenticated", "Sign-in required")
TokenExpired = _problem("TokenExpired", 401, "token_expired", "Session expired")
TokenInvalid = _problem("TokenInvalid", 401, "token_invalid", "Invalid token")
RefreshReused = _problem("RefreshReused", 401, "refresh_token_reused", "Refresh token reused")
BadCredentials = _problem("BadCredentials", 401, "bad_credentials", "Wrong username or password")
Forbidden = _problem("Forbidden", 403, "forbidden", "Not allowed")
NotFound = _problem("NotFound", 404, "not_found", "Not found")
Conflict = _problem("Conflict", 409, "conflict", "Conflict")
UsernameTaken = _problem("UsernameTaken", 409, "username_taken", "Username taken")
IdempotencyMismatch = _problem("IdempotencyMismatch", 409, "idempotency_key_reused",
                               "Idempotency key reused with a different request")
IdempotencyKeyMissing = _problem("IdempotencyKeyMissing", 400, "idempotency_key_required",
                                 "Idempotency key required")
InvalidAmount = _problem("InvalidAmount", 422, "invalid_amount", "Invalid amount")
InsufficientFunds = _problem("InsufficientFunds", 409, "insufficient_funds", "Insufficient funds")
PinRequired = _problem("PinRequired", 403, "pin_required", "Payment PIN required")
PinNotSet = _problem("PinNotSet", 403, "pin_not_set", "Payment PIN not set")
PinIncorrect = _problem("PinIncorrect", 403, "pin_incorrect", "Wrong payment PIN")
PinLocked = _problem("PinLocked", 423, "pin_locked", "Payments locked")
InvalidQr = _problem("InvalidQr", 422, "invalid_qr", "Unreadable payment QR")
MerchantNotFound = _problem("MerchantNotFound", 404, "merchant_not_found", "Unknown merchant")
PayeeNotFound = _problem("PayeeNotFound", 404, "payee_not_found", "Unknown payee")
SelfPayment = _problem("SelfPayment", 422, "self_payment", "Cannot pay yourself")
RefundExceedsPayment = _problem("RefundExceedsPayment", 409, "refund_exceeds_payment",
                                "Refund larger than what is left of the payment")
BankDeclined = _problem("BankDeclined", 402, "bank_declined", "The bank declined")
BankTimeout = _problem("BankTimeout", 504, "bank_timeout", "The bank did not answer")
InvalidNationalId = _problem("InvalidNationalId", 422, "invalid_national_id", "Invalid national ID")
ValidationFailed = _problem("ValidationFailed", 422, "validation_error", "Invalid request")
ServiceUnavailable = _problem("ServiceUnavailable", 503, "service_unavailable", "Service unavailable")
