"""The regulator's console for prepaid cards (docs/prepaid.md): the escrow coverage of every
merchant, the automatic alerts (acknowledge), and declaring a merchant in default.

A default cannot be undone, so the screen states its consequences, computed here from the
merchant's standing, before the regulator confirms.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.anxin_client import AnxinClient
from app.state import AppState
from wallet_api.schemas.prepaid import AlertOut, DefaultOut, PrepaidMerchantOut


@dataclass(frozen=True)
class DefaultConsequences:
    cards: int                # active cards that will be closed
    owed_fen: int             # what their holders are owed
    escrow_fen: int           # what escrow holds for them
    short_fen: int            # what escrow alone cannot pay (the merchant's own balance pays next)


def consequences(merchant: PrepaidMerchantOut) -> DefaultConsequences:
    return DefaultConsequences(merchant.active_cards, merchant.outstanding_fen, merchant.escrow_fen,
                               max(0, merchant.outstanding_fen - merchant.escrow_fen))


def below_required(merchant: PrepaidMerchantOut) -> bool:
    return merchant.escrow_fen < merchant.required_fen


class Regulator:
    def __init__(self, client: AnxinClient, state: AppState) -> None:
        self.client = client
        self.state = state

    def coverage(self) -> list[PrepaidMerchantOut]:
        """Every merchant in the programme, least covered first (the server's order)."""
        return self.client.coverage_table()

    def alerts(self) -> list[AlertOut]:
        return self.client.regulator_alerts(open_only=True)

    def acknowledge(self, alert: AlertOut) -> AlertOut:
        return self.client.acknowledge_alert(alert.id)

    def declare_default(self, merchant: PrepaidMerchantOut, idempotency_key: str) -> DefaultOut:
        return self.client.declare_default(merchant.merchant_id, idempotency_key=idempotency_key)
