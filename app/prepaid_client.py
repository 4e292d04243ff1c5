"""The prepaid-card endpoints (docs/prepaid.md) on top of WalletClient: one typed method each."""

from __future__ import annotations

from app.api_client import WalletClient, _key
from wallet_api.schemas.prepaid import (
    AlertOut, BuyCardIn, CardDetail, CardOut, CardRefundIn, CardRefundOut, CardTopUpIn, ChargeIn, ChargeOut, ComplaintIn,
    ComplaintOut, DefaultOut, PrepaidMerchantOut, ProductOut, ProductQrOut,
)


class PrepaidClient(WalletClient):
    # ---- the card holder --------------------------------------------------------------------

    def prepaid_products(self, merchant_id: int | None = None) -> list[ProductOut]:
        return self._get_list(ProductOut, "/v1/prepaid/products",
                              {"merchant_id": merchant_id} if merchant_id is not None else None)

    def buy_card(self, body: BuyCardIn, *, idempotency_key: str | None = None) -> CardOut:
        return self._post(CardOut, "/v1/prepaid/cards", body, idempotency_key=_key(idempotency_key))

    def my_cards(self) -> list[CardOut]:
        return self._get_list(CardOut, "/v1/prepaid/cards")

    def card(self, card_id: int) -> CardDetail:
        return self._get(CardDetail, f"/v1/prepaid/cards/{card_id}")

    def top_up_card(self, card_id: int, body: CardTopUpIn, *, idempotency_key: str | None = None) -> CardOut:
        """Add value to my card (from the wallet, or a linked bank card); it waits in the shop's escrow."""
        return self._post(CardOut, f"/v1/prepaid/cards/{card_id}/top-ups", body,
                          idempotency_key=_key(idempotency_key))

    def refund_card(self, card_id: int, body: CardRefundIn, *, idempotency_key: str | None = None) -> CardRefundOut:
        return self._post(CardRefundOut, f"/v1/prepaid/cards/{card_id}/refund", body,
                          idempotency_key=_key(idempotency_key))

    def complain(self, body: ComplaintIn) -> ComplaintOut:
        return self._post(ComplaintOut, "/v1/prepaid/complaints", body)

    def my_complaints(self) -> list[ComplaintOut]:
        return self._get_list(ComplaintOut, "/v1/prepaid/complaints")

    # ---- the merchant -----------------------------------------------------------------------

    def merchant_products(self, merchant_id: int) -> list[ProductOut]:
        return self.prepaid_products(merchant_id)

    def product_qr(self, merchant_id: int, product_id: int) -> ProductQrOut:
        return self._get(ProductQrOut, f"/v1/prepaid/merchants/{merchant_id}/products/{product_id}/qr")

    def merchant_cards(self, merchant_id: int) -> list[CardOut]:
        return self._get_list(CardOut, f"/v1/prepaid/merchants/{merchant_id}/cards")

    def charge_card(self, merchant_id: int, body: ChargeIn, *, idempotency_key: str | None = None) -> ChargeOut:
        return self._post(ChargeOut, f"/v1/prepaid/merchants/{merchant_id}/charges", body,
                          idempotency_key=_key(idempotency_key))

    def prepaid_standing(self, merchant_id: int) -> PrepaidMerchantOut:
        return self._get(PrepaidMerchantOut, f"/v1/prepaid/merchants/{merchant_id}")

    # ---- the regulator ----------------------------------------------------------------------

    def coverage_table(self) -> list[PrepaidMerchantOut]:
        return self._get_list(PrepaidMerchantOut, "/v1/regulator/prepaid/merchants")

    def regulator_alerts(self, *, open_only: bool = True) -> list[AlertOut]:
        return self._get_list(AlertOut, "/v1/regulator/prepaid/alerts", {"open_only": open_only})

    def acknowledge_alert(self, alert_id: int) -> AlertOut:
        return self._post(AlertOut, f"/v1/regulator/prepaid/alerts/{alert_id}/acknowledge")

    def declare_default(self, merchant_id: int, *, idempotency_key: str | None = None) -> DefaultOut:
        return self._post(DefaultOut, f"/v1/regulator/prepaid/merchants/{merchant_id}/default",
                          idempotency_key=_key(idempotency_key))
