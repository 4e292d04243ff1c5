"""The city-coupon endpoints a resident and a shop use (docs/coupons.md) on top of WalletClient."""

from __future__ import annotations

from typing import Literal

from app.api_client import WalletClient, _key
from wallet_api.schemas.coupons import CampaignOut, CouponOut, CouponProposal, MerchantSubsidyOut, RegistrationOut


class CouponClient(WalletClient):
    def campaigns(self, *, category: str | None = None) -> list[CampaignOut]:
        return self._get_list(CampaignOut, "/v1/coupons/campaigns", {"category": category} if category else None)

    def campaign(self, campaign_id: int) -> CampaignOut:
        return self._get(CampaignOut, f"/v1/coupons/campaigns/{campaign_id}")

    def claim_coupon(self, campaign_id: int, *, idempotency_key: str | None = None) -> CouponOut:
        return self._post(CouponOut, f"/v1/coupons/campaigns/{campaign_id}/claims",
                          idempotency_key=_key(idempotency_key))

    def register_for_lottery(self, campaign_id: int) -> RegistrationOut:
        return self._post(RegistrationOut, f"/v1/coupons/campaigns/{campaign_id}/registrations")

    def my_registrations(self, campaign_id: int) -> list[RegistrationOut]:
        return self._get_list(RegistrationOut, f"/v1/coupons/campaigns/{campaign_id}/registrations/mine")

    def my_coupons(self, *, status: Literal["claimed", "redeemed", "expired"] | None = None) -> list[CouponOut]:
        return self._get_list(CouponOut, "/v1/coupons/mine", {"status": status} if status else None)

    def best_coupon(self, merchant_id: int, amount_fen: int) -> CouponProposal:
        return self._get(CouponProposal, "/v1/coupons/best", {"merchant_id": merchant_id, "amount_fen": amount_fen})

    def merchant_subsidy(self, merchant_id: int) -> MerchantSubsidyOut:
        return self._get(MerchantSubsidyOut, f"/v1/coupons/merchants/{merchant_id}/subsidy")
