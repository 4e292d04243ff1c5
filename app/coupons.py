"""City coupons (docs/coupons.md) for a resident: the campaigns by industry with the progress of the
issue, claiming, the lottery (registering, my result), my coupons, and the best coupon for a payment.

Nothing here pushes: the screens show campaigns only to someone who opens them and claims deliberately.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.anxin_client import AnxinClient
from app.errors import ApiError
from app.state import AppState
from wallet_api.schemas.coupons import CampaignOut, ClaimMode, CouponOut, CouponProposal, RegistrationOut


@dataclass(frozen=True)
class CouponBoard:
    campaigns: list[CampaignOut]
    tickets: dict[int, list[RegistrationOut]]     # lottery campaign id -> my entries, latest round last
    mine: list[CouponOut]

    def industries(self) -> list[str]:
        """Every industry some open campaign covers, in the order the campaigns name them."""
        seen: list[str] = []
        for campaign in self.campaigns:
            seen += [c.value for c in campaign.categories if c.value not in seen]
        return seen

    def in_industry(self, industry: str | None) -> list[CampaignOut]:
        return [c for c in self.campaigns if industry is None or industry in {x.value for x in c.categories}]


class Coupons:
    def __init__(self, client: AnxinClient, state: AppState) -> None:
        self.client = client
        self.state = state

    def board(self) -> CouponBoard:
        campaigns = self.client.campaigns()
        tickets = {c.id: self.client.my_registrations(c.id) for c in campaigns if c.claim_mode is ClaimMode.LOTTERY}
        return CouponBoard(campaigns, tickets, self.client.my_coupons())

    def claim(self, campaign: CampaignOut, idempotency_key: str) -> CouponOut:
        return self.client.claim_coupon(campaign.id, idempotency_key=idempotency_key)

    def enter_draw(self, campaign: CampaignOut) -> RegistrationOut:
        return self.client.register_for_lottery(campaign.id)

    def best_for(self, merchant_id: int, amount_fen: int) -> CouponProposal | None:
        """The coupon to offer for this payment, or None. A failed lookup is no reason not to pay."""
        try:
            proposal = self.client.best_coupon(merchant_id, amount_fen)
        except ApiError:
            return None
        return proposal if proposal.coupon is not None else None
