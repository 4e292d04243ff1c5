"""The client's state: who is signed in, their preferences, what the home screen shows.

Plain data, no widgets and no network: the views render it, the actions (app/actions.py) change it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from app.device import RecentMerchant
from wallet_api.schemas import PreferencesOut, Receipt, Role, UserOut
from wallet_api.schemas.coupons import CouponProposal

# Care-mode numbers (docs/client.md, from the shared domain brief §4).
CARE_MIN_BODY_PT = 18
CARE_MIN_HEADING_PT = 30
CARE_MIN_TARGET_DP = 60
CARE_MIN_CONTRAST = 7.0
CARE_MIN_LINE_HEIGHT = 1.3
FONT_SCALE_STEPS = (100, 115, 130, 150, 175, 200)


@dataclass(frozen=True)
class Preferences:
    language: str = "en"
    care_mode: bool = False
    font_scale_percent: int = 100
    high_contrast: bool = False
    marketing_allowed: bool = False
    voice_enabled: bool = False
    speech_rate_percent: int = 100

    @classmethod
    def from_wire(cls, out: PreferencesOut) -> Preferences:
        return cls(**out.model_dump())

    def with_changes(self, **changes: object) -> Preferences:
        updated = replace(self, **changes)
        # Mirrors the server's rule so the screen never shows a state the server would refuse.
        return replace(updated, marketing_allowed=False) if updated.care_mode else updated


@dataclass(frozen=True)
class MerchantChoice:
    """A merchant the person is about to pay, however they found it."""

    id: int
    name: str
    local_name: str | None = None
    fixed_amount_fen: int | None = None   # a QR with an amount in it: the person does not type one
    qr_payload: str | None = None         # paying by the scanned QR, as the server prefers

    def display_name(self, locale: str) -> str:
        # Chinese and Korean readers see the merchant's own (Chinese) name first.
        if self.local_name and locale != "en":
            return f"{self.local_name} ({self.name})"
        return f"{self.name} ({self.local_name})" if self.local_name else self.name

    def recent(self) -> RecentMerchant:
        return RecentMerchant(self.id, self.name, self.local_name)


@dataclass
class TransferDraft:
    """One transfer to a person (care mode: to a relative), from the read-back to the receipt. Like a
    PaymentDraft its idempotency key is chosen once, so a retry (a lost answer, the PIN asked for) sends once."""

    to_username: str
    to_name: str
    amount_fen: int
    balance_before_fen: int | None
    idempotency_key: str
    receipt: Receipt | None = None


@dataclass
class PaymentDraft:
    """One payment from the summary to the receipt. Its idempotency key is chosen once, so any
    retry of this payment (a lost answer, a PIN asked for afterwards) can never pay twice."""

    merchant: MerchantChoice
    amount_fen: int
    balance_before_fen: int | None
    idempotency_key: str
    receipt: Receipt | None = None
    coupon: CouponProposal | None = None   # the best coupon the server proposes for this payment
    use_coupon: bool = True                # the person may decline it
    sent: bool = False                     # once sent, the choice is fixed (a retry must be the same request)
    # What pays: None (the wallet, or a family card when the wallet is short), "wallet", "family_card:<id>".
    funding: str | None = None

    @property
    def coupon_id(self) -> int | None:
        return self.coupon.coupon.id if self.coupon and self.use_coupon else None

    @property
    def subsidy_fen(self) -> int:
        return self.coupon.subsidy_fen if self.coupon_id else 0

    @property
    def you_pay_fen(self) -> int:
        return self.amount_fen - self.subsidy_fen

    def choose_coupon(self, use: bool) -> None:
        """Accept or decline the coupon. Only before the first attempt: the request then is what it is,
        and a different one would need (and get) a new idempotency key."""
        if self.sent:
            raise RuntimeError("the payment was already sent; its coupon choice cannot change")
        self.use_coupon = use

    def choose_funding(self, funding: str | None) -> None:
        """Pay from the wallet or a family card (see WalletSession.funding_choices). Only before the first
        attempt, like the coupon."""
        if self.sent:
            raise RuntimeError("the payment was already sent; what pays for it cannot change")
        self.funding = funding


@dataclass
class AppState:
    server_url: str
    user: UserOut | None = None
    prefs: Preferences = field(default_factory=Preferences)
    balance_fen: int | None = None
    # Whom the signed-in relative acts for (username, and the name to show): set by
    # app/family.py, which also puts it on the client so every call carries `Acting-For`.
    acting_for: str | None = None
    acting_for_name: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.user is not None

    @property
    def is_merchant(self) -> bool:
        return self.user is not None and Role.MERCHANT in self.user.roles

    @property
    def is_regulator(self) -> bool:
        return self.user is not None and Role.REGULATOR in self.user.roles

    @property
    def username(self) -> str:
        return self.user.username if self.user else ""
