"""The coupon domain's refusals. Codes are part of the API contract: never rename one."""

from __future__ import annotations

from wallet_api.errors import problem_type

CampaignNotFound = problem_type("CampaignNotFound", 404, "coupon_campaign_not_found", "Unknown coupon campaign")
CouponNotFound = problem_type("CouponNotFound", 404, "coupon_not_found", "Unknown coupon")
RealNameRequired = problem_type("RealNameRequired", 403, "real_name_required", "Real-name verification required")
CampaignNotOpen = problem_type("CampaignNotOpen", 409, "coupon_campaign_not_open", "Campaign not open")
WrongClaimMode = problem_type("WrongClaimMode", 409, "coupon_wrong_claim_mode",
                              "Campaign hands out coupons another way")
SoldOut = problem_type("SoldOut", 409, "coupons_sold_out", "No coupons left")
BudgetExhausted = problem_type("BudgetExhausted", 409, "coupon_budget_exhausted", "Subsidy budget used up")
CapReached = problem_type("CapReached", 409, "coupon_cap_reached", "Per-person limit reached")
CouponExpired = problem_type("CouponExpired", 409, "coupon_expired", "Coupon expired")
CouponUsed = problem_type("CouponUsed", 409, "coupon_already_used", "Coupon already used")
CouponNotApplicable = problem_type("CouponNotApplicable", 422, "coupon_not_applicable",
                                   "Coupon not valid at this shop")
ThresholdNotMet = problem_type("ThresholdNotMet", 422, "coupon_threshold_not_met",
                               "Amount below the coupon's threshold")
BudgetExceeded = problem_type("BudgetExceeded", 409, "subsidy_budget_exceeded", "More than the campaign's budget")
CommitmentRequired = problem_type("CommitmentRequired", 409, "lottery_commitment_required",
                                  "Lottery commitment not published")
CommitmentExists = problem_type("CommitmentExists", 409, "lottery_commitment_exists",
                                "Lottery commitment already published")
CommitmentMismatch = problem_type("CommitmentMismatch", 422, "lottery_seed_mismatch",
                                  "Seed does not match the commitment")
RegistrationClosed = problem_type("RegistrationClosed", 409, "lottery_registration_closed",
                                  "Lottery registration closed")
DrawNotDue = problem_type("DrawNotDue", 409, "lottery_not_closed", "Lottery registration still open")
AlreadyDrawn = problem_type("AlreadyDrawn", 409, "lottery_already_drawn", "Lottery round already drawn")
