"""HTTP plumbing under WalletClient: retries, idempotency keys, bearer tokens and refresh.

Retrying is only safe when repeating the request cannot move money twice: a GET, or a POST
carrying an Idempotency-Key (the server answers a repeat with the first result).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from app.errors import ApiError, ConnectionLost, NotAuthenticated, error_from_response
from app.session import InsecureKeyringError, MemoryTokenStore, TokenPair, TokenStore
from wallet_api.schemas import RefreshIn, TokensOut

RETRY_STATUSES = frozenset({502, 503, 504})
# Failures where the server may simply not have had the request, or its answer got lost.
RETRY_EXCEPTIONS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
MAX_RETRY_AFTER = 5.0
REFRESH_PATH = "/v1/auth/refresh"
ACTING_FOR = "Acting-For"


class Transport:
    def __init__(self, base_url: str, *, http: httpx.Client | None = None, tokens: TokenStore | None = None,
                 retries: int = 3, backoff: float = 0.2, sleep: Callable[[float], None] = time.sleep) -> None:
        self.base_url = base_url.rstrip("/")
        self._owns_http = http is None
        self.http = http if http is not None else httpx.Client(timeout=httpx.Timeout(10.0))
        self.tokens = tokens if tokens is not None else MemoryTokenStore()
        self.retries = retries      # extra attempts after the first one
        self.backoff = backoff
        self._sleep = sleep
        self._pair: TokenPair | None = None
        self._pair_loaded = False
        self._refresh_lock = threading.Lock()
        # Set when the token store refused to keep a login (insecure keychain); the UI may say so.
        self.not_remembered: InsecureKeyringError | None = None
        # Whom the signed-in person is acting for (docs/family.md): sent as `Acting-For` on every
        # authenticated request except those made `as_self` (sign-in, PIN, family management).
        self.acting_for: str | None = None

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    # ---- tokens ---------------------------------------------------------------------------

    def current_tokens(self) -> TokenPair | None:
        if not self._pair_loaded:      # the keychain can be slow: read it once, then keep a copy
            self._pair = self.tokens.load()
            self._pair_loaded = True
        return self._pair

    def keep_tokens(self, tokens: TokensOut) -> None:
        self._pair, self._pair_loaded = (tokens.access_token, tokens.refresh_token), True
        try:
            self.tokens.save(tokens.access_token, tokens.refresh_token)
            self.not_remembered = None
        except InsecureKeyringError as exc:
            self.not_remembered = exc   # still signed in for this run, just not across restarts

    def forget_tokens(self) -> None:
        self._pair, self._pair_loaded = None, True
        self.acting_for = None          # signed out, one acts for no one
        self.tokens.clear()

    def refresh(self, refresh_token: str | None = None) -> TokensOut:
        if refresh_token is None:
            pair = self.current_tokens()
            if pair is None:
                raise NotAuthenticated(401, "not_authenticated", "error.not_authenticated", "Not signed in.")
            refresh_token = pair[1]
        body = RefreshIn(refresh_token=refresh_token).model_dump(mode="json")
        response = self._send("POST", REFRESH_PATH, json=body, params=None, headers={})
        if response.is_error:
            raise error_from_response(response)
        tokens = TokensOut.model_validate(response.json())
        self.keep_tokens(tokens)
        return tokens

    def _refresh_after_expiry(self, expired_access: str | None) -> None:
        with self._refresh_lock:
            pair = self.current_tokens()
            if pair is None:
                raise NotAuthenticated(401, "not_authenticated", "error.not_authenticated", "Not signed in.")
            if pair[0] != expired_access:
                return  # another thread refreshed while we waited; its new token will do
            try:
                self.refresh(pair[1])
            except ApiError as exc:
                if exc.status == 0 or exc.status >= 500:
                    raise   # the server is unreachable, not refusing: keep the tokens for later
                self.forget_tokens()
                if isinstance(exc, NotAuthenticated):
                    raise
                raise NotAuthenticated(401, "not_authenticated", "error.not_authenticated",
                                       "The session could not be renewed; please sign in again.") from exc

    # ---- requests -------------------------------------------------------------------------

    def request(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
                idempotency_key: str | None = None, auth: bool = True, as_self: bool = False) -> httpx.Response:
        """Send one logical request; return the success response or raise an ApiError."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        if auth and not as_self and self.acting_for:
            headers[ACTING_FOR] = self.acting_for
        access = self._access() if auth else None
        response = self._send(method, path, json=json, params=params, headers=_with_bearer(headers, access))
        if auth and _is_token_expired(response):
            self._refresh_after_expiry(access)
            response = self._send(method, path, json=json, params=params,
                                  headers=_with_bearer(headers, self._access()))
        if response.is_error:
            raise error_from_response(response)
        return response

    def _access(self) -> str | None:
        pair = self.current_tokens()
        return pair[0] if pair else None

    def _send(self, method: str, path: str, *, json: Any, params: dict[str, Any] | None,
              headers: dict[str, str]) -> httpx.Response:
        repeatable = method == "GET" or "Idempotency-Key" in headers
        attempts = 1 + max(self.retries, 0) if repeatable else 1
        url = self.base_url + path
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self.http.request(method, url, json=json, params=params, headers=headers)
            except RETRY_EXCEPTIONS as exc:
                if last:
                    raise ConnectionLost.from_exception(exc) from exc
                self._sleep(self._delay(attempt, None))
                continue
            except httpx.TransportError as exc:
                raise ConnectionLost.from_exception(exc) from exc
            if last or response.status_code not in RETRY_STATUSES:
                return response
            self._sleep(self._delay(attempt, response))
        raise AssertionError("unreachable: the last attempt always returns or raises")

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        if response is not None and response.status_code == 503:
            retry_after = _retry_after_seconds(response)
            if retry_after is not None:
                return min(retry_after, MAX_RETRY_AFTER)
        return self.backoff * 2 ** attempt


def _with_bearer(headers: dict[str, str], access: str | None) -> dict[str, str]:
    return {**headers, "Authorization": f"Bearer {access}"} if access else dict(headers)


def _is_token_expired(response: httpx.Response) -> bool:
    if response.status_code != 401:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("code") == "token_expired"


def _retry_after_seconds(response: httpx.Response) -> float | None:
    # Only the delta-seconds form (digits); an HTTP-date falls back to our own backoff.
    value = response.headers.get("Retry-After", "").strip()
    return float(value) if value.isascii() and value.isdigit() else None
