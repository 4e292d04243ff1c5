"""My campus card's settings (docs/campus.md): what pays for it (the wallet or a linked bank card), its daily
limit with today's spending, and its phones, one of which may be reported lost ("I lost this phone": its
codes are refused from that moment).

Nothing here moves money; each change is one request whose answer is the card as it now is.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.campus_client import CampusClient
from app.errors import NotFound
from app.payment_code import PaymentCodes
from wallet_api.schemas import BankCardOut
from wallet_api.schemas.campus import CampusCardOut, DailyLimitIn, DeviceOut, FundingSourceIn, SpendingOut


def _field_bounds(model, name: str) -> tuple[int, int]:
    """(lowest, highest) allowed by the wire model's field, so the screen says the server's own range."""
    low, high = 1, None
    for rule in model.model_fields[name].metadata:
        if getattr(rule, "gt", None) is not None:
            low = rule.gt + 1
        if getattr(rule, "ge", None) is not None:
            low = rule.ge
        if getattr(rule, "le", None) is not None:
            high = rule.le
    assert high is not None, f"{model.__name__}.{name} has no upper bound"
    return low, high


DAILY_LIMIT_MIN_FEN, DAILY_LIMIT_MAX_FEN = _field_bounds(DailyLimitIn, "daily_limit_fen")


@dataclass(frozen=True)
class CampusCardView:
    card: CampusCardOut
    today: SpendingOut                  # today's completed campus payments, by shop
    bank_cards: list[BankCardOut]       # linked bank cards that could pay instead of the wallet
    this_device_id: int | None          # the phone (device) this app makes codes as, if set up here

    @property
    def active_devices(self) -> list[DeviceOut]:
        return [d for d in self.card.devices if d.status == "active"]

    @property
    def left_today_fen(self) -> int:
        return max(0, self.card.daily_limit_fen - self.card.spent_today_fen)


class CampusCardSettings:
    def __init__(self, client: CampusClient, codes: PaymentCodes) -> None:
        self.client = client
        self.codes = codes

    def load(self) -> CampusCardView | None:
        """The card with today's spending and the bank cards that could pay; None: no campus card."""
        try:
            card = self.client.campus_card()
        except NotFound:
            return None
        key = self.codes.store().load()
        usable = [b for b in self.client.bank_cards() if b.status == "active"]
        return CampusCardView(card, self.client.campus_spending(days=1), usable, key.device_id if key else None)

    def choose_funding(self, source: str, bank_card_id: int | None = None) -> CampusCardView:
        self.client.set_campus_funding_source(FundingSourceIn(source=source, bank_card_id=bank_card_id))
        return self._reload()

    def set_daily_limit(self, daily_limit_fen: int) -> CampusCardView:
        """Raises ValueError outside the server's range (said on screen before anything is sent)."""
        if not DAILY_LIMIT_MIN_FEN <= daily_limit_fen <= DAILY_LIMIT_MAX_FEN:
            raise ValueError(f"daily limit {daily_limit_fen} fen is outside "
                             f"{DAILY_LIMIT_MIN_FEN}..{DAILY_LIMIT_MAX_FEN}")
        self.client.set_campus_daily_limit(DailyLimitIn(daily_limit_fen=daily_limit_fen))
        return self._reload()

    def report_lost(self, device_id: int) -> CampusCardView:
        """Remove a phone from the card: every code it makes is refused from now on. If it is this phone,
        its key is forgotten here too (it could only make codes the server refuses)."""
        self.client.revoke_campus_device(device_id)
        store = self.codes.store()
        key = store.load()
        if key is not None and key.device_id == device_id:
            store.clear()
        return self._reload()

    def _reload(self) -> CampusCardView:
        view = self.load()
        if view is None:       # the card cannot vanish between two requests; if it did, say so as the server does
            raise NotFound(404, "campus_not_enrolled", "error.campus_not_enrolled", "No campus card.")
        return view
