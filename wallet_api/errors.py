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


def problem_type(name: str, status: int, code: str, title: str) -> type[Problem]:
    """Make a Problem subclass. Domains declare their own in wallet_api/<domain>/errors.py."""
    return type(name, (Problem,), {"status": status, "code": code, "title": title})


# The catalogue of refusals. Codes are part of the API contract: never rename one.
NotAuthenticated = problem_type("NotAuthenticated", 401, "not_authenticated", "Sign-in required")
TokenExpired = problem_type("TokenExpired", 401, "token_expired", "Session expired")
TokenInvalid = problem_type("TokenInvalid", 401, "token_invalid", "Invalid token")
RefreshReused = problem_type("RefreshReused", 401, "refresh_token_reused", "Refresh token reused")
BadCredentials = problem_type("BadCredentials", 401, "bad_credentials", "Wrong username or password")
Forbidden = problem_type("Forbidden", 403, "forbidden", "Not allowed")
NotFound = problem_type("NotFound", 404, "not_found", "Not found")
Conflict = problem_type("Conflict", 409, "conflict", "Conflict")
UsernameTaken = problem_type("UsernameTaken", 409, "username_taken", "Username taken")
IdempotencyMismatch = problem_type("IdempotencyMismatch", 409, "idempotency_key_reused",
                               "Idempotency key reused with a different request")
IdempotencyKeyMissing = problem_type("IdempotencyKeyMissing", 400, "idempotency_key_required",
                                 "Idempotency key required")
InvalidAmount = problem_type("InvalidAmount", 422, "invalid_amount", "Invalid amount")
InsufficientFunds = problem_type("InsufficientFunds", 409, "insufficient_funds", "Insufficient funds")
PinRequired = problem_type("PinRequired", 403, "pin_required", "Payment PIN required")
PinNotSet = problem_type("PinNotSet", 403, "pin_not_set", "Payment PIN not set")
PinIncorrect = problem_type("PinIncorrect", 403, "pin_incorrect", "Wrong payment PIN")
PinLocked = problem_type("PinLocked", 423, "pin_locked", "Payments locked")
SignInRateLimited = problem_type("SignInRateLimited", 429, "sign_in_rate_limited", "Too many failed sign-ins")
InvalidQr = problem_type("InvalidQr", 422, "invalid_qr", "Unreadable payment QR")
MerchantNotFound = problem_type("MerchantNotFound", 404, "merchant_not_found", "Unknown merchant")
PayeeNotFound = problem_type("PayeeNotFound", 404, "payee_not_found", "Unknown payee")
SelfPayment = problem_type("SelfPayment", 422, "self_payment", "Cannot pay yourself")
RefundExceedsPayment = problem_type("RefundExceedsPayment", 409, "refund_exceeds_payment",
                                "Refund larger than what is left of the payment")
BankDeclined = problem_type("BankDeclined", 402, "bank_declined", "The bank declined")
BankTimeout = problem_type("BankTimeout", 504, "bank_timeout", "The bank did not answer")
InvalidNationalId = problem_type("InvalidNationalId", 422, "invalid_national_id", "Invalid national ID")
ValidationFailed = problem_type("ValidationFailed", 422, "validation_error", "Invalid request")
PayloadTooLarge = problem_type("PayloadTooLarge", 413, "payload_too_large", "Request body too large")
ServiceUnavailable = problem_type("ServiceUnavailable", 503, "service_unavailable", "Service unavailable")
