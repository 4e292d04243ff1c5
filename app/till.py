"""The shop's till: today's takings and the coupon subsidy received, charging a customer's payment
code, selling and charging prepaid cards, refunds. Blocking calls over the client, like actions.py.

Every money-moving call takes the idempotency key the screen chose when it showed the summary, so
a retry after a lost answer never charges or refunds twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.anxin_client import AnxinClient
from app.qr import decode_qr_image
from app.state import AppState
from wallet_api.schemas import MerchantOut, Receipt, RefundIn, RefundOut
from wallet_api.schemas.campus import ChargeIn as CodeChargeIn
from wallet_api.schemas.campus import ChargeOut as CodeChargeOut
from wallet_api.schemas.prepaid import ChargeIn as CardChargeIn
from wallet_api.schemas.prepaid import ChargeOut as CardChargeOut
from wallet_api.schemas.prepaid import ProductOut

TERMINAL = "anxin-app"     # this till's name in the campus rate limits


@dataclass(frozen=True)
class Takings:
    merchant: MerchantOut
    today_total_fen: int            # net of refunds
    today_count: int
    payments: list[Receipt]
    subsidy_fen: int = 0            # paid by the city's coupons, net of refunds (all time)
    coupon_payments: int = 0


class Till:
    def __init__(self, client: AnxinClient, state: AppState) -> None:
        self.client = client
        self.state = state

    def my_merchants(self) -> list[MerchantOut]:
        return self.client.my_merchants()

    def takings(self, merchant: MerchantOut, today: datetime | None = None) -> Takings:
        payments = self.client.merchant_payments(merchant.id)
        day = (today or datetime.now().astimezone()).astimezone().date()
        todays = [p for p in payments if p.created_at.astimezone().date() == day]
        total = sum(p.amount_fen - p.refunded_fen for p in todays)
        subsidy = self.client.merchant_subsidy(merchant.id)
        return Takings(merchant, total, len(todays), payments, subsidy.subsidy_received_fen, subsidy.coupon_payments)

    # ---- a customer's payment code ------------------------------------------------------------

    @staticmethod
    def code_from_picture(image: bytes) -> str:
        """The digits of a customer's code from a picture of its QR (no camera here: a photo)."""
        return decode_qr_image(image)

    def charge_code(self, merchant: MerchantOut, code: str, amount_fen: int, idempotency_key: str) -> CodeChargeOut:
        """"completed", or "awaiting_confirmation" (the customer confirms with their PIN: follow it)."""
        body = CodeChargeIn(merchant_id=merchant.id, terminal_id=TERMINAL, code="".join(code.split()),
                            amount_fen=amount_fen)
        return self.client.campus_charge(body, idempotency_key=idempotency_key)

    def code_charge(self, charge_id: int) -> CodeChargeOut:
        return self.client.get_campus_charge(charge_id)

    # ---- prepaid cards ------------------------------------------------------------------------

    def card_products(self, merchant: MerchantOut) -> list[ProductOut]:
        return self.client.merchant_products(merchant.id)

    def sale_qr(self, merchant: MerchantOut, product: ProductOut) -> str:
        """The QR a customer scans to buy this card at the counter."""
        return self.client.product_qr(merchant.id, product.id).qr_payload

    def charge_card(self, merchant: MerchantOut, card_id: int, amount_fen: int, description: str,
                    idempotency_key: str) -> CardChargeOut:
        body = CardChargeIn(card_id=card_id, amount_fen=amount_fen, description=description)
        return self.client.charge_card(merchant.id, body, idempotency_key=idempotency_key)

    # ---- refunds ------------------------------------------------------------------------------

    def refund(self, payment: Receipt, amount_fen: int, idempotency_key: str) -> RefundOut:
        return self.client.refund(payment.id, RefundIn(amount_fen=amount_fen, reason="refund at the till"),
                                  idempotency_key=idempotency_key)
