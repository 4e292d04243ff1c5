"""The campus domain's refusals. Codes are part of the API contract: never rename one."""

from __future__ import annotations

from wallet_api.errors import problem_type

# A payment code the cashier entered or scanned.
CodeInvalid = problem_type("CodeInvalid", 422, "campus_code_invalid", "Payment code not valid")
CodeExpired = problem_type("CodeExpired", 422, "campus_code_expired", "Payment code expired")
CodeUsed = problem_type("CodeUsed", 409, "campus_code_used", "Payment code already used")
DeviceKeyUnreadable = problem_type("DeviceKeyUnreadable", 409, "campus_device_reregister",
                                   "This phone must be registered again")
CodeRateLimited = problem_type("CodeRateLimited", 429, "code_rate_limited", "Too many wrong codes at this till")
DeviceRevoked = problem_type("DeviceRevoked", 403, "campus_device_revoked", "Phone reported lost")
CardSuspended = problem_type("CardSuspended", 403, "campus_card_suspended", "Campus card suspended")
WrongCampus = problem_type("WrongCampus", 403, "campus_wrong_campus", "Another campus")
DailyLimitExceeded = problem_type("DailyLimitExceeded", 409, "campus_daily_limit_exceeded",
                                  "Campus daily limit reached")
BankCardUnavailable = problem_type("BankCardUnavailable", 409, "campus_bank_card_unavailable",
                                   "Linked bank card unavailable")

# The student's confirmation of a larger payment.
ChargeNotPending = problem_type("ChargeNotPending", 409, "campus_charge_not_pending",
                                "Payment is not waiting for confirmation")
ConfirmationExpired = problem_type("ConfirmationExpired", 409, "campus_confirmation_expired",
                                   "Confirmation time is over")
ChargeCancelled = problem_type("ChargeCancelled", 409, "campus_charge_cancelled", "The student declined")

# Cards, activation, merchants.
NotEnrolled = problem_type("NotEnrolled", 404, "campus_not_enrolled", "No campus card")
ActivationCodeInvalid = problem_type("ActivationCodeInvalid", 422, "campus_activation_code_invalid",
                                     "Activation code not valid")
ActivationCodeExpired = problem_type("ActivationCodeExpired", 422, "campus_activation_code_expired",
                                     "Activation code expired")
NotCampusMerchant = problem_type("NotCampusMerchant", 403, "campus_not_campus_merchant",
                                 "Not a campus merchant")
