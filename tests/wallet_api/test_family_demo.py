"""The demo world has a family: jianguo looks after nainai, and once paid for her."""

from __future__ import annotations

from app.cli import main as anxin
from tests.helpers import demo_headers


def test_jianguo_looks_after_nainai_in_the_demo(settings, client):
    args = ["--database-url", settings.sqlalchemy_url, "--data-dir", str(settings.data_dir)]
    assert anxin(["seed-demo", *args]) == 0

    nainai, jianguo = demo_headers(client, "nainai"), demo_headers(client, "jianguo")
    links = client.get("/v1/family/links", headers=jianguo).json()["looking_after"]
    assert [(x["elder"]["username"], x["status"]) for x in links] == [("nainai", "active")]
    assert "pay_bills" in links[0]["grant"]["scopes"] and links[0]["grant"]["per_day_limit_fen"] == 50_000
    hers = client.get("/v1/wallet", headers=nainai).json()["balance_fen"]
    assert client.get("/v1/wallet", headers=jianguo | {"Acting-For": "nainai"}).json()["balance_fen"] == hers
    done = [i for i in client.get("/v1/wallet/history", headers=nainai).json()["items"] if i["done_by"]]
    assert [(i["amount_fen"], i["done_by"]) for i in done] == [(-2_650, "Li Jianguo 李建国")]
    assert any(n["message_key"] == "notice.family.pay_merchant"
               for n in client.get("/v1/notifications", headers=nainai).json())
