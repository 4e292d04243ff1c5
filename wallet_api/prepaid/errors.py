"""The prepaid domain's refusals. Codes are part of the API contract (docs/errors.md): never rename one."""

from __future__ import annotations

from wallet_api.errors import problem_type

PrepaidCardNotFound = problem_type("PrepaidCardNotFound", 404, "prepaid_card_not_found", "Unknown prepaid card")
PrepaidProductNotFound = problem_type("PrepaidProductNotFound", 404, "prepaid_product_not_found",
                                      "Unknown card product")
PrepaidNotEnrolled = problem_type("PrepaidNotEnrolled", 404, "prepaid_not_enrolled",
                                  "Merchant sells no prepaid cards")
ForeignCard = problem_type("ForeignCard", 403, "prepaid_foreign_card", "Card of another merchant")
RealNameRequired = problem_type("RealNameRequired", 403, "prepaid_real_name_required",
                                "Real-name verification required")
CardLimitExceeded = problem_type("CardLimitExceeded", 409, "prepaid_card_limit_exceeded",
                                 "Card above the per-card limit")
CardBalanceTooLow = problem_type("CardBalanceTooLow", 409, "prepaid_card_balance_too_low",
                                 "Card balance too low")
CardExpired = problem_type("CardExpired", 409, "prepaid_card_expired", "Card expired")
CardClosed = problem_type("CardClosed", 409, "prepaid_card_closed", "Card closed")
ProductNotOnSale = problem_type("ProductNotOnSale", 409, "prepaid_product_not_on_sale", "Card not on sale")
MerchantDefaulted = problem_type("MerchantDefaulted", 409, "prepaid_merchant_defaulted", "Merchant in default")
MerchantClosing = problem_type("MerchantClosing", 409, "prepaid_merchant_closing", "Merchant closing")
MerchantClosed = problem_type("MerchantClosed", 409, "prepaid_merchant_closed", "Merchant closed")
CoolingOffOver = problem_type("CoolingOffOver", 409, "prepaid_cooling_off_over", "Cooling-off period over")
CardAlreadyUsed = problem_type("CardAlreadyUsed", 409, "prepaid_card_used", "Card already used")
BalanceRefundNotAllowed = problem_type("BalanceRefundNotAllowed", 409, "prepaid_balance_refund_not_allowed",
                                       "Balance refunds not allowed")
RefundNotCovered = problem_type("RefundNotCovered", 409, "prepaid_refund_not_covered",
                                "Refund not covered by escrow")
EscrowWithdrawalRefused = problem_type("EscrowWithdrawalRefused", 409, "prepaid_escrow_withdrawal_refused",
                                       "Withdrawal would leave escrow below the required share")
BonusNotFunded = problem_type("BonusNotFunded", 409, "prepaid_bonus_not_funded", "Bonus value not funded")
ComplaintAlreadyOpen = problem_type("ComplaintAlreadyOpen", 409, "prepaid_complaint_already_open",
                                    "Complaint already open")
ComplaintNotAllowed = problem_type("ComplaintNotAllowed", 403, "prepaid_complaint_not_allowed",
                                   "Only card holders can complain")
ClosingNoticeGiven = problem_type("ClosingNoticeGiven", 409, "prepaid_closing_notice_given",
                                  "Closing notice already given")
