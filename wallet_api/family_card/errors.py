"""The family card's refusals. Codes are part of the API contract (docs/errors.md): never rename one."""

from __future__ import annotations

from wallet_api.errors import problem_type

FamilyCardNotFound = problem_type("FamilyCardNotFound", 404, "family_card_not_found", "Unknown family card")
CapOutOfRange = problem_type("CapOutOfRange", 422, "family_card_cap_out_of_range", "Monthly cap out of range")
GiveLimitReached = problem_type("GiveLimitReached", 409, "family_card_give_limit", "Too many family cards given")
HoldLimitReached = problem_type("HoldLimitReached", 409, "family_card_hold_limit", "Too many family cards held")
CardAlreadyGiven = problem_type("CardAlreadyGiven", 409, "family_card_exists",
                                "A family card between you already exists")
NotAnOffer = problem_type("NotAnOffer", 409, "family_card_not_offered", "Family card offer already answered")
CardPaused = problem_type("CardPaused", 409, "family_card_paused", "Family card paused")
CardNotOpen = problem_type("CardNotOpen", 409, "family_card_closed", "Family card closed")
CapReached = problem_type("CapReached", 409, "family_card_cap_reached", "Family card's monthly cap reached")
GiverShort = problem_type("GiverShort", 409, "family_card_giver_short", "Family card cannot pay now")
NotForTransfers = problem_type("NotForTransfers", 422, "family_card_not_for_transfers",
                               "Family cards pay shops only")
