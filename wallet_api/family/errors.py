"""The family domain's refusals. Codes are part of the API contract (docs/errors.md): never rename one."""

from __future__ import annotations

from wallet_api.errors import problem_type

ActingForNotAllowed = problem_type("ActingForNotAllowed", 403, "acting_for_not_allowed",
                                   "This cannot be done for someone else")
NotDelegated = problem_type("NotDelegated", 403, "not_delegated", "No permission to act for this person")
DelegationEnded = problem_type("DelegationEnded", 403, "delegation_ended", "Permission to act was ended")
DelegationExpired = problem_type("DelegationExpired", 403, "delegation_expired", "Permission to act has expired")
ScopeMissing = problem_type("ScopeMissing", 403, "scope_missing", "Not part of the permission")
DelegatedLimitExceeded = problem_type("DelegatedLimitExceeded", 403, "delegated_limit_exceeded",
                                      "Above the limit set for this relative")
FamilyLinkNotFound = problem_type("FamilyLinkNotFound", 404, "family_link_not_found", "Unknown family link")
FamilyLinkExists = problem_type("FamilyLinkExists", 409, "family_link_exists", "Already linked")
RelativeNotFound = problem_type("RelativeNotFound", 404, "relative_not_found", "Unknown relative")
SelfLink = problem_type("SelfLink", 422, "family_self_link", "Cannot link to yourself")
FamilyInviteExpired = problem_type("FamilyInviteExpired", 410, "family_invite_expired", "Invitation expired")
FamilyTokenInvalid = problem_type("FamilyTokenInvalid", 410, "family_token_invalid",
                                  "Invite or setup code used, expired or unknown")
