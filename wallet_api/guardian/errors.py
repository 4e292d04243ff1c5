"""The safety guardian's refusals. Codes are part of the API contract (docs/errors.md): never rename one."""

from __future__ import annotations

from wallet_api.errors import problem_type

GuardianAlreadyNamed = problem_type("GuardianAlreadyNamed", 409, "guardian_already_named",
                                    "A guardian is already named or invited")
GuardianshipNotFound = problem_type("GuardianshipNotFound", 404, "guardianship_not_found", "Unknown guardianship")
NotAnInvitation = problem_type("NotAnInvitation", 409, "guardianship_not_invited",
                               "Guardian invitation already answered")
PendingPaymentNotFound = problem_type("PendingPaymentNotFound", 404, "pending_payment_not_found",
                                      "Unknown waiting payment")
PendingPaymentClosed = problem_type("PendingPaymentClosed", 409, "pending_payment_closed",
                                    "Waiting payment already decided")
RevokeTooLate = problem_type("RevokeTooLate", 409, "pending_payment_too_late",
                             "The delay is over: the transfer has been paid")
