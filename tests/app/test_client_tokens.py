"""Bearer tokens: kept on login, renewed once on expiry, dropped when the server will not renew them."""

from __future__ import annotations

import httpx
import pytest
from tests.app.client_fakes import body_of, ok, problem, receipt_body, tokens_body, user_body

from app.errors import ConnectionLost, NotAuthenticated, ServerUnavailable
from app.session import InsecureKeyringError, KeyringStatus
from wallet_api.schemas import LoginIn, P2PPaymentIn, TokensOut

EXPIRED = problem(401, "token_expired", "Session expired")


@pytest.fixture
def signed_in(tokens):
    tokens.save("access-old", "refresh-token-old")
    return tokens


def bearer(request: httpx.Request) -> str | None:
    return request.headers.get("Authorization")


def test_login_keeps_the_tokens_and_uses_them(wallet_client, fake, tokens):
    fake.on("POST", "/v1/auth/login", ok(200, tokens_body("access-1", "refresh-token-1")))
    fake.on("GET", "/v1/me", ok(200, user_body()))
    assert wallet_client.login(LoginIn(username="alice", password="pw")) == TokensOut(**tokens_body("access-1",
                                                                                          "refresh-token-1"))
    assert body_of(fake.requests[0]) == {"username": "alice", "password": "pw"}
    assert bearer(fake.requests[0]) is None
    assert tokens.load() == ("access-1", "refresh-token-1")
    assert wallet_client.signed_in
    wallet_client.me()
    assert bearer(fake.requests[1]) == "Bearer access-1"


def test_expired_access_is_refreshed_once_and_the_request_repeated(wallet_client, fake, signed_in):
    fake.on("GET", "/v1/me", EXPIRED, ok(200, user_body()))
    fake.on("POST", "/v1/auth/refresh", ok(200, tokens_body("access-new", "refresh-token-new")))
    assert wallet_client.me().username == "alice"
    me_calls = fake.sent("GET", "/v1/me")
    assert [bearer(r) for r in me_calls] == ["Bearer access-old", "Bearer access-new"]
    (refresh_call,) = fake.sent("POST", "/v1/auth/refresh")
    assert body_of(refresh_call) == {"refresh_token": "refresh-token-old"}
    assert signed_in.load() == ("access-new", "refresh-token-new")


def test_repeat_after_refresh_keeps_the_idempotency_key(wallet_client, fake, signed_in):
    fake.on("POST", "/v1/payments/p2p", EXPIRED, ok(201, receipt_body(kind="p2p")))
    fake.on("POST", "/v1/auth/refresh", ok(200, tokens_body("access-new", "refresh-token-new")))
    wallet_client.pay_person(P2PPaymentIn(to_username="bob", amount_fen=100))
    first, second = fake.sent("POST", "/v1/payments/p2p")
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert bearer(second) == "Bearer access-new"


def test_refused_refresh_signs_out_and_raises(wallet_client, fake, signed_in):
    fake.on("GET", "/v1/me", EXPIRED)
    fake.on("POST", "/v1/auth/refresh", problem(401, "refresh_token_reused"))
    with pytest.raises(NotAuthenticated) as caught:
        wallet_client.me()
    assert caught.value.code == "refresh_token_reused"
    assert signed_in.load() is None
    assert not wallet_client.signed_in
    assert len(fake.sent("GET", "/v1/me")) == 1


def test_refresh_refused_for_another_reason_still_ends_as_not_authenticated(wallet_client, fake, signed_in):
    fake.on("GET", "/v1/me", EXPIRED)
    fake.on("POST", "/v1/auth/refresh", problem(422, "validation_error"))
    with pytest.raises(NotAuthenticated):
        wallet_client.me()
    assert signed_in.load() is None


def test_unreachable_refresh_keeps_the_tokens(wallet_client, fake, signed_in):
    # A network blip is not a sign-out: the refresh token may still be good next time.
    fake.on("GET", "/v1/me", EXPIRED)
    fake.on("POST", "/v1/auth/refresh", httpx.ConnectError("offline"))
    with pytest.raises(ConnectionLost):
        wallet_client.me()
    assert signed_in.load() == ("access-old", "refresh-token-old")
    assert len(fake.sent("POST", "/v1/auth/refresh")) == 1   # a refresh is never retried blindly


def test_still_expired_after_refresh_is_not_an_endless_loop(wallet_client, fake, signed_in):
    fake.on("GET", "/v1/me", EXPIRED)
    fake.on("POST", "/v1/auth/refresh", ok(200, tokens_body("access-new", "refresh-token-new")))
    with pytest.raises(NotAuthenticated) as caught:
        wallet_client.me()
    assert caught.value.code == "token_expired"
    assert len(fake.sent("POST", "/v1/auth/refresh")) == 1
    assert len(fake.sent("GET", "/v1/me")) == 2


@pytest.mark.parametrize("code", ["token_invalid", "not_authenticated"])
def test_other_401s_do_not_refresh(wallet_client, fake, signed_in, code):
    fake.on("GET", "/v1/me", problem(401, code))
    with pytest.raises(NotAuthenticated):
        wallet_client.me()
    assert fake.sent("POST", "/v1/auth/refresh") == []


def test_expiry_without_a_stored_session_raises_without_refreshing(wallet_client, fake):
    fake.on("GET", "/v1/me", EXPIRED)
    with pytest.raises(NotAuthenticated):
        wallet_client.me()
    assert fake.sent("POST", "/v1/auth/refresh") == []


def test_refresh_done_meanwhile_by_another_caller_is_reused(wallet_client, fake, signed_in):
    def expired_but_someone_else_refreshes(request: httpx.Request) -> httpx.Response:
        # While this request was in flight, another UI thread renewed the session.
        wallet_client.refresh()
        return EXPIRED

    fake.on("GET", "/v1/me", expired_but_someone_else_refreshes, ok(200, user_body()))
    fake.on("POST", "/v1/auth/refresh", ok(200, tokens_body("access-new", "refresh-token-new")),
            problem(401, "refresh_token_reused"))
    assert wallet_client.me().id == 7
    assert len(fake.sent("POST", "/v1/auth/refresh")) == 1   # a second refresh would reuse a spent token
    assert bearer(fake.sent("GET", "/v1/me")[1]) == "Bearer access-new"


def test_logout_forgets_tokens(wallet_client, fake, signed_in):
    fake.on("POST", "/v1/auth/logout", ok(204))
    wallet_client.logout()
    assert bearer(fake.requests[0]) == "Bearer access-old"
    assert signed_in.load() is None


def test_logout_of_an_already_dead_session_is_quietly_done(wallet_client, fake, signed_in):
    fake.on("POST", "/v1/auth/logout", problem(401, "token_invalid"))
    wallet_client.logout()
    assert signed_in.load() is None


@pytest.mark.parametrize("failure", [problem(503, "service_unavailable"), httpx.ConnectError("offline")])
def test_logout_forgets_tokens_even_when_the_server_cannot_be_told(wallet_client, fake, signed_in, failure):
    fake.on("POST", "/v1/auth/logout", failure)
    with pytest.raises(ServerUnavailable):
        wallet_client.logout()
    assert signed_in.load() is None
    assert not wallet_client.signed_in


class RefusingStore:
    """A token store on an insecure keychain: it refuses to save."""

    def load(self):
        return None

    def save(self, access, refresh):
        raise InsecureKeyringError(KeyringStatus(False, "keyrings.alt.file.PlaintextKeyring", "a plain file"))

    def clear(self):
        pass


def test_login_on_an_insecure_keychain_still_signs_in_for_this_run(fake):
    from app.api_client import WalletClient
    fake.on("POST", "/v1/auth/login", ok(200, tokens_body("access-1", "refresh-token-1")))
    fake.on("GET", "/v1/me", ok(200, user_body()))
    wallet_client = WalletClient("http://wallet.test", http=httpx.Client(transport=httpx.MockTransport(fake)),
                          tokens=RefusingStore())
    wallet_client.login(LoginIn(username="alice", password="pw"))
    assert isinstance(wallet_client.login_not_remembered, InsecureKeyringError)
    assert "will not be remembered" in str(wallet_client.login_not_remembered)
    wallet_client.me()
    assert bearer(fake.requests[1]) == "Bearer access-1"


def test_tokens_are_read_from_the_store_once(fake):
    from app.api_client import WalletClient

    class CountingStore(RefusingStore):
        loads = 0

        def load(self):
            CountingStore.loads += 1
            return ("access-stored", "refresh-token-stored")

    fake.on("GET", "/v1/me", ok(200, user_body()))
    wallet_client = WalletClient("http://wallet.test", http=httpx.Client(transport=httpx.MockTransport(fake)),
                          tokens=CountingStore())
    wallet_client.me()
    wallet_client.me()
    assert CountingStore.loads == 1
    assert [bearer(r) for r in fake.requests] == ["Bearer access-stored"] * 2
