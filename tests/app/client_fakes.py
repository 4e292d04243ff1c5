"""Helpers for the client tests (named uniquely so no other test folder can shadow them).

FakeWalletServer is a scripted stand-in for the server, plugged in with httpx.MockTransport.
It exists only to test transport behaviour (retries, idempotency keys, tokens, error mapping);
behaviour of the real server is tested against the real app elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

BASE_URL = "http://wallet.test"

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def problem(status: int, code: str, detail: str = "refused", headers: dict[str, str] | None = None,
            **extra: Any) -> httpx.Response:
    body = {"type": f"https://anxin.example/problems/{code}", "title": code.replace("_", " ").capitalize(),
            "status": status, "detail": detail, "code": code, "message_key": f"error.{code}", **extra}
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json", **(headers or {})})


def ok(status: int = 200, body: Any = None) -> httpx.Response:
    return httpx.Response(status) if body is None else httpx.Response(status, json=body)


class FakeWalletServer:
    """Answers each (method, path) from a script; the last reply of a script repeats."""

    def __init__(self) -> None:
        self.scripts: dict[tuple[str, str], list[Reply]] = {}
        self.requests: list[httpx.Request] = []

    def on(self, method: str, path: str, *replies: Reply) -> None:
        self.scripts[(method, path)] = list(replies)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        script = self.scripts.get((request.method, request.url.path))
        if not script:
            return problem(404, "not_found", f"fake server has no script for {request.method} {request.url.path}")
        reply = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(reply, Exception):
            raise reply
        return reply(request) if callable(reply) else reply

    def sent(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == path]


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None



# ---- wire bodies as the server would send them (shapes from wallet_api.schemas) --------------

NOW = "2026-11-22T11:00:00.123456Z"


def user_body(**overrides: Any) -> dict[str, Any]:
    return {"id": 7, "username": "alice", "display_name": "Alice", "phone": None, "roles": ["consumer"],
            "pin_set": True, "real_name_verified": False, "created_at": NOW, **overrides}


def tokens_body(access: str = "access-1", refresh: str = "refresh-token-1") -> dict[str, Any]:
    return {"access_token": access, "refresh_token": refresh, "token_type": "bearer", "expires_in": 900}


def funding_body(kind: str = "top_up", **overrides: Any) -> dict[str, Any]:
    return {"id": 3, "kind": kind, "amount_fen": 10_000, "status": "completed", "transfer_id": 11,
            "balance_fen": 10_000, **overrides}


def receipt_body(**overrides: Any) -> dict[str, Any]:
    return {"id": 5, "kind": "merchant", "amount_fen": 1_250, "refunded_fen": 0, "payer": "alice",
            "payee": "Noodle Bar", "merchant_id": 2, "memo": "", "transfer_id": 12, "journal_hash": "ab" * 32,
            "created_at": NOW, "refunds": [], **overrides}


def refund_body(**overrides: Any) -> dict[str, Any]:
    return {"id": 1, "payment_id": 5, "amount_fen": 250, "reason": "cold noodles", "transfer_id": 13,
            "created_at": NOW, **overrides}


def history_item(posting_id: int, amount: int = -100) -> dict[str, Any]:
    return {"posting_id": posting_id, "transfer_id": posting_id, "kind": "payment", "amount_fen": amount,
            "balance_after_fen": 5_000, "memo": "", "counterparty": "bob", "payment_id": None,
            "actor_user_id": 7, "created_at": NOW}
