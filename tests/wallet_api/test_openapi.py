"""The API describes itself, offline, and every route is typed."""

from __future__ import annotations

import re


def test_openapi_lists_every_route_with_typed_responses(client):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in ["/v1/auth/register", "/v1/auth/login", "/v1/auth/refresh", "/v1/auth/logout", "/v1/me",
                 "/v1/wallet", "/v1/wallet/history", "/v1/wallet/top-ups", "/v1/wallet/withdrawals",
                 "/v1/payments/merchant", "/v1/payments/p2p", "/v1/payments/{payment_id}/refunds",
                 "/v1/merchants", "/v1/merchants/qr/parse", "/v1/notifications",
                 "/v1/wallet/transfers/{transfer_id}/proof", "/v1/journal/key"]:
        assert path in paths, path
    untyped = [f"{method.upper()} {path}" for path, ops in paths.items() for method, op in ops.items()
               if not any(str(code).startswith("2") and ("content" in resp or code == "204")
                          for code, resp in op["responses"].items())]
    assert untyped == []


def test_money_moving_routes_document_the_idempotency_key(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ["/v1/payments/merchant", "/v1/payments/p2p", "/v1/wallet/top-ups", "/v1/wallet/withdrawals",
                 "/v1/payments/{payment_id}/refunds"]:
        names = [p["name"] for p in paths[path]["post"].get("parameters", [])]
        assert "Idempotency-Key" in names, path


def test_docs_page_loads_its_assets_from_this_server(client):
    html = client.get("/docs").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/") for s in sources), sources
    for asset in sources:
        assert client.get(asset).status_code == 200, asset
