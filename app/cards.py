"""My prepaid cards (docs/prepaid.md): what they hold and their history, buying one, topping one up,
getting the money back (cooling-off or the remaining balance), complaining about the shop.

The money a person prepays waits in escrow and reaches the shop only as it is used; the screens
say so, and say before a refund exactly what will come back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from app.anxin_client import AnxinClient
from app.errors import BankError, ServerUnavailable
from app.state import AppState
from wallet_api.schemas import BankCardOut
from wallet_api.schemas.prepaid import (BuyCardIn, CardDetail, CardOut, CardRefundIn, CardRefundOut, CardTopUpIn,
                                        ComplaintCategory, ComplaintIn, ComplaintOut, ProductOut)

COMPLAINT_CATEGORIES: tuple[ComplaintCategory, ...] = ("service_refused", "refund_refused", "closed_without_notice",
                                                       "overcharged", "quality", "other")


@dataclass(frozen=True)
class RefundPreview:
    """What a refund asked for now would do, said before it is asked for."""

    kind: str              # "cooling_off": all that was paid; "balance": what is left, minus any bonus share
    you_get_fen: int
    to_shop_fen: int       # the bonus share of the balance goes back to the shop


def refund_preview(card: CardOut, now: datetime | None = None) -> RefundPreview:
    now = now or datetime.now(UTC)
    until = card.cooling_off_until
    if until is not None and not card.used and now <= (until if until.tzinfo else until.replace(tzinfo=UTC)):
        return RefundPreview("cooling_off", card.balance_fen, card.balance_fen - card.paid_fen)
    # The server's rule (wallet_api.prepaid.policy.holder_share): the bonus is used up in proportion.
    bonus = card.bonus_fen
    you_get = card.balance_fen - (card.balance_fen * bonus // (card.paid_fen + bonus) if bonus else 0)
    return RefundPreview("balance", you_get, card.balance_fen - you_get)


@dataclass
class TopUpDraft:
    """Money about to be added to a card, read back before it is sent. One draft, one idempotency key:
    sending it again after a lost answer (with or without the PIN) can never add the money twice.

    It comes from the wallet, or from one of the person's linked bank cards (`bank_cards`, chosen with
    `choose_source`): the bank pays into the wallet and the wallet into the card, in one request."""

    card: CardOut
    amount_fen: int
    wallet_before_fen: int | None          # the wallet it comes from, as last seen (None: not known)
    idempotency_key: str = field(default_factory=lambda: uuid.uuid4().hex)
    sent: bool = False
    outcome_unknown: bool = False          # sent, and no answer came back: only "try again" (same key) is safe
    result: CardOut | None = None
    bank_cards: list[BankCardOut] = field(default_factory=list)   # linked, active: what could pay instead
    bank_card: BankCardOut | None = None   # None: the wallet pays

    @property
    def card_after_fen(self) -> int:
        return self.card.balance_fen + self.amount_fen

    @property
    def wallet_after_fen(self) -> int | None:
        if self.bank_card is not None:      # the bank pays into the wallet, the wallet into the card
            return self.wallet_before_fen
        return None if self.wallet_before_fen is None else self.wallet_before_fen - self.amount_fen

    def choose_source(self, bank_card_id: int | None) -> None:
        """Pay from the wallet (None) or a linked bank card. Not while the outcome of a sent request is
        unknown, nor after it went through. After a refusal (the bank said no, the PIN was asked for)
        nothing moved, and the request with another source is a new one: it gets a new key."""
        if self.outcome_unknown or self.result is not None:
            raise RuntimeError("this top-up was already sent; what pays for it cannot change")
        chosen = None if bank_card_id is None else next(b for b in self.bank_cards if b.id == bank_card_id)
        if chosen == self.bank_card:
            return
        self.bank_card = chosen
        if self.sent:
            self.idempotency_key, self.sent = uuid.uuid4().hex, False


class Cards:
    def __init__(self, client: AnxinClient, state: AppState) -> None:
        self.client = client
        self.state = state

    def mine(self) -> list[CardOut]:
        # Cards that still hold money first, then the closed ones, newest first within each.
        cards = sorted(self.client.my_cards(), key=lambda c: c.purchased_at, reverse=True)
        return sorted(cards, key=lambda c: c.status != "active")

    def detail(self, card_id: int) -> CardDetail:
        return self.client.card(card_id)

    def on_sale(self) -> list[ProductOut]:
        return self.client.prepaid_products()

    def buy(self, product: ProductOut, idempotency_key: str, pin: str | None = None) -> CardOut:
        """Raises PinRequired above the PIN-free amount: ask for it and call again with the same key."""
        card = self.client.buy_card(BuyCardIn(product_id=product.id, pin=pin), idempotency_key=idempotency_key)
        self.state.balance_fen = self.client.wallet().balance_fen
        return card

    def draft_top_up(self, card: CardOut, amount_fen: int) -> TopUpDraft:
        """What adding `amount_fen` to `card` would do, with the wallet's balance as it is now, from the wallet;
        the person's active linked bank cards can be chosen instead (not by a relative acting for them: her
        bank cards are hers to use)."""
        banks = [] if self.state.acting_for else [b for b in self.client.bank_cards() if b.status == "active"]
        return TopUpDraft(card, amount_fen, self.client.wallet().balance_fen, bank_cards=banks)

    def top_up(self, draft: TopUpDraft, pin: str | None = None) -> CardOut:
        """Send the draft from its source. Raises PinRequired above the PIN-free amount: ask for it and call
        again with the same draft (same key). A lost answer marks the draft `outcome_unknown`. A bank that
        says no raises BankError (`bank_declined`): nothing moved, nothing was added."""
        draft.sent = True
        bank_card_id = draft.bank_card.id if draft.bank_card is not None else None
        try:
            card = self.client.top_up_card(draft.card.id, CardTopUpIn(amount_fen=draft.amount_fen,
                                                                       bank_card_id=bank_card_id, pin=pin),
                                           idempotency_key=draft.idempotency_key)
        except ServerUnavailable:
            draft.outcome_unknown = True
            raise
        except BankError as error:
            # The bank did not answer: only the same key again is safe (the server finds the same bank request).
            draft.outcome_unknown = error.code == "bank_timeout"
            raise
        draft.outcome_unknown = False
        draft.result = card
        try:
            self.state.balance_fen = self.client.wallet().balance_fen
        except Exception:   # noqa: BLE001 — the money moved; a stale balance on screen is not an error
            pass
        return card

    def refund(self, card: CardOut, idempotency_key: str) -> CardRefundOut:
        out = self.client.refund_card(card.id, CardRefundIn(kind="auto"), idempotency_key=idempotency_key)
        self.state.balance_fen = out.wallet_balance_fen
        return out

    def complain(self, card: CardOut, category: ComplaintCategory, text: str) -> ComplaintOut:
        return self.client.complain(ComplaintIn(merchant_id=card.merchant_id, category=category, text=text))

    def complaints(self) -> list[ComplaintOut]:
        return self.client.my_complaints()
