"""Fixtures for the client tests: a WalletClient wired to a FakeWalletServer, with recorded sleeps."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from tests.app.client_fakes import BASE_URL, FakeWalletServer

from app.api_client import WalletClient
from app.session import MemoryTokenStore


@pytest.fixture
def fake() -> FakeWalletServer:
    return FakeWalletServer()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def tokens() -> MemoryTokenStore:
    return MemoryTokenStore()


@pytest.fixture
def wallet_client(fake: FakeWalletServer, sleeps: list[float], tokens: MemoryTokenStore) -> Iterator[WalletClient]:
    http = httpx.Client(transport=httpx.MockTransport(fake))
    with WalletClient(BASE_URL, http=http, tokens=tokens, retries=3, backoff=0.2, sleep=sleeps.append) as c:
        yield c
    http.close()
