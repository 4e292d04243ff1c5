"""WalletClient: one typed method per server endpoint, returning `wallet_api.schemas` models.

Errors come back as `app.errors.ApiError` subclasses. Every money-moving method takes an
`idempotency_key`; left out, one is made per call and reused for all of that call's retries,
so a retry after a lost answer can never pay twice.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import cache
from typing import Any, Literal, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter

from app.errors import NotAuthenticated
from app.session import InsecureKeyringError, TokenStore
from app.transport import Transport
from wallet_api.schemas import (
    BankCardIn, BankCardOut, CheckpointOut, FundingIn, FundingOut, HistoryItem, HistoryPage, JournalKeyOut, LoginIn,
    MerchantIn, MerchantOut, MerchantPaymentIn, NotificationOut, P2PPaymentIn, PreferencesIn, PreferencesOut, QrIn,
    QrOut, RealNameIn, Receipt, RefundIn, RefundOut, RegisterIn, SetPinIn, TokensOut, TransferProof, UserOut,
    WalletOut,
)
from wallet_api.schemas.guardian import PendingPaymentOut

M = TypeVar("M", bound=BaseModel)


def _body(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


@cache
def _list_of(model: type[BaseModel]) -> TypeAdapter[Any]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def _key(idempotency_key: str | None) -> str:
    return idempotency_key or uuid.uuid4().hex


class WalletClient:
    def __init__(self, base_url: str, *, http: httpx.Client | None = None, tokens: TokenStore | None = None,
                 retries: int = 3, backoff: float = 0.2, sleep: Callable[[float], None] = time.sleep) -> None:
        self._t = Transport(base_url, http=http, tokens=tokens, retries=retries, backoff=backoff, sleep=sleep)

    def close(self) -> None:
        self._t.close()

    def __enter__(self) -> WalletClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def signed_in(self) -> bool:
        return self._t.current_tokens() is not None

    @property
    def acting_for(self) -> str | None:
        """The person (username) every later request acts for, or None for oneself (docs/family.md)."""
        return self._t.acting_for

    @acting_for.setter
    def acting_for(self, username: str | None) -> None:
        self._t.acting_for = username or None

    @property
    def login_not_remembered(self) -> InsecureKeyringError | None:
        """Why the last login will not survive a restart (an insecure keychain), if it won't."""
        return self._t.not_remembered

    # ---- plumbing -------------------------------------------------------------------------

    # `as_self`: never sent acting for someone (the server refuses those routes for a relative).

    def _get(self, model: type[M], path: str, params: dict[str, Any] | None = None, *, as_self: bool = False) -> M:
        return model.model_validate(self._t.request("GET", path, params=params, as_self=as_self).json())

    def _get_list(self, model: type[M], path: str, params: dict[str, Any] | None = None) -> list[M]:
        return _list_of(model).validate_python(self._t.request("GET", path, params=params).json())

    def _post(self, model: type[M], path: str, body: BaseModel | None = None, *,
              idempotency_key: str | None = None, auth: bool = True, as_self: bool = False) -> M:
        response = self._t.request("POST", path, json=_body(body) if body else None,
                                   idempotency_key=idempotency_key, auth=auth, as_self=as_self)
        return model.model_validate(response.json())

    # ---- health and auth ------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return self._t.request("GET", "/healthz", auth=False).json()

    def register(self, body: RegisterIn) -> UserOut:
        return self._post(UserOut, "/v1/auth/register", body, auth=False)

    def login(self, body: LoginIn) -> TokensOut:
        tokens = self._post(TokensOut, "/v1/auth/login", body, auth=False)
        self._t.keep_tokens(tokens)
        return tokens

    def refresh(self, refresh_token: str | None = None) -> TokensOut:
        """Swap the (stored) refresh token for a new pair and keep it. Normally automatic."""
        return self._t.refresh(refresh_token)

    def logout(self) -> None:
        """Sign out here and on the server. Raises only if the server could not be told."""
        try:
            self._t.request("POST", "/v1/auth/logout", as_self=True)
        except NotAuthenticated:
            pass                      # the server already holds no live session: that is signed out
        finally:
            self._t.forget_tokens()   # signed out locally even when the server could not be told

    # ---- me -------------------------------------------------------------------------------

    def me(self) -> UserOut:
        return self._get(UserOut, "/v1/me")

    def set_pin(self, body: SetPinIn) -> None:
        self._t.request("PUT", "/v1/me/pin", json=_body(body), as_self=True)

    def verify_real_name(self, body: RealNameIn) -> UserOut:
        return self._post(UserOut, "/v1/me/real-name", body, as_self=True)

    def preferences(self) -> PreferencesOut:
        return self._get(PreferencesOut, "/v1/me/preferences")

    def update_preferences(self, body: PreferencesIn) -> PreferencesOut:
        # Only the fields the caller set: an omitted field stays as it is on the server.
        response = self._t.request("PATCH", "/v1/me/preferences", json=body.model_dump(mode="json", exclude_unset=True))
        return PreferencesOut.model_validate(response.json())

    # ---- wallet ---------------------------------------------------------------------------

    def wallet(self) -> WalletOut:
        return self._get(WalletOut, "/v1/wallet")

    def history(self, *, limit: int | None = None, cursor: int | None = None, kind: str | None = None,
                direction: Literal["in", "out"] | None = None, since: datetime | None = None,
                until: datetime | None = None) -> HistoryPage:
        params = {"limit": limit, "cursor": cursor, "kind": kind, "direction": direction,
                  "since": since.isoformat() if since else None, "until": until.isoformat() if until else None}
        return self._get(HistoryPage, "/v1/wallet/history", {k: v for k, v in params.items() if v is not None})

    def iter_history(self, **filters: Any) -> Iterator[HistoryItem]:
        """Every history item matching `filters` (as for `history`), fetching pages as needed."""
        cursor = filters.pop("cursor", None)
        while True:
            page = self.history(cursor=cursor, **filters)
            yield from page.items
            if page.next_cursor is None or page.next_cursor == cursor:  # a stuck cursor must not loop forever
                return
            cursor = page.next_cursor

    def transfer_proof(self, transfer_id: int) -> TransferProof:
        return self._get(TransferProof, f"/v1/wallet/transfers/{transfer_id}/proof")

    # ---- bank cards and funding -----------------------------------------------------------

    def add_bank_card(self, body: BankCardIn) -> BankCardOut:
        return self._post(BankCardOut, "/v1/bank-cards", body)

    def bank_cards(self) -> list[BankCardOut]:
        return self._get_list(BankCardOut, "/v1/bank-cards")

    def remove_bank_card(self, card_id: int) -> None:
        self._t.request("DELETE", f"/v1/bank-cards/{card_id}")

    def top_up(self, body: FundingIn, *, idempotency_key: str | None = None) -> FundingOut:
        return self._post(FundingOut, "/v1/wallet/top-ups", body, idempotency_key=_key(idempotency_key))

    def withdraw(self, body: FundingIn, *, idempotency_key: str | None = None) -> FundingOut:
        return self._post(FundingOut, "/v1/wallet/withdrawals", body, idempotency_key=_key(idempotency_key))

    # ---- payments -------------------------------------------------------------------------

    def pay_merchant(self, body: MerchantPaymentIn, *,
                     idempotency_key: str | None = None) -> Receipt | PendingPaymentOut:
        """A receipt, or (202) the payment waiting for the payer's guardian: no money reached the shop yet."""
        return self._pay("/v1/payments/merchant", body, idempotency_key)

    def pay_person(self, body: P2PPaymentIn, *, idempotency_key: str | None = None) -> Receipt | PendingPaymentOut:
        """A receipt, or (202) the transfer waiting for the guardian or a delay (new payee)."""
        return self._pay("/v1/payments/p2p", body, idempotency_key)

    def _pay(self, path: str, body: BaseModel, idempotency_key: str | None) -> Receipt | PendingPaymentOut:
        response = self._t.request("POST", path, json=_body(body), idempotency_key=_key(idempotency_key))
        return (PendingPaymentOut if response.status_code == 202 else Receipt).model_validate(response.json())

    def payment(self, payment_id: int) -> Receipt:
        return self._get(Receipt, f"/v1/payments/{payment_id}")

    def refund(self, payment_id: int, body: RefundIn, *, idempotency_key: str | None = None) -> RefundOut:
        return self._post(RefundOut, f"/v1/payments/{payment_id}/refunds", body,
                          idempotency_key=_key(idempotency_key))

    # ---- merchants ------------------------------------------------------------------------

    def create_merchant(self, body: MerchantIn) -> MerchantOut:
        return self._post(MerchantOut, "/v1/merchants", body)

    def my_merchants(self) -> list[MerchantOut]:
        return self._get_list(MerchantOut, "/v1/merchants/mine")

    def merchant(self, merchant_id: int) -> MerchantOut:
        return self._get(MerchantOut, f"/v1/merchants/{merchant_id}")

    def merchant_payments(self, merchant_id: int) -> list[Receipt]:
        return self._get_list(Receipt, f"/v1/merchants/{merchant_id}/payments")

    def parse_qr(self, body: QrIn) -> QrOut:
        return self._post(QrOut, "/v1/merchants/qr/parse", body)

    # ---- notifications and journal --------------------------------------------------------

    def notifications(self, *, unread_only: bool = False) -> list[NotificationOut]:
        return self._get_list(NotificationOut, "/v1/notifications", {"unread_only": unread_only})

    def mark_notification_read(self, notification_id: int) -> None:
        self._t.request("POST", f"/v1/notifications/{notification_id}/read")

    def journal_key(self) -> JournalKeyOut:
        return self._get(JournalKeyOut, "/v1/journal/key")

    def latest_checkpoint(self) -> CheckpointOut:
        return self._get(CheckpointOut, "/v1/journal/checkpoints/latest")
