"""The regulator's console against the real server, without a renderer: the coverage table, an
alert acknowledged, a default declared after its consequences are stated, and the card holder
seeing the refund."""

from __future__ import annotations

import uuid

from tests.e2e.world import PASSWORD, PIN
from tests.ui.test_screens import balance_of, signed_in_home
from tests.ui.ui_support import has, identifiers, label_or_text, screen_text, tap


def try_a_top_up_over_the_limit(client, card_id: int) -> None:
    """meili tries to put CN¥600.00 on a card holding CN¥450.00 (limit CN¥1,000.00): refused, alert raised."""
    token = client.post("/v1/auth/login", json={"username": "meili", "password": PASSWORD}).json()["access_token"]
    r = client.post(f"/v1/prepaid/cards/{card_id}/top-ups", json={"amount_fen": 60_000, "pin": PIN},
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex})
    assert r.json()["code"] == "prepaid_card_limit_exceeded", r.text


def test_only_a_regulator_has_the_console(world, domains, make_shell):
    _shell, page = signed_in_home(make_shell, "meili")
    assert "home-regulator" not in identifiers(page)
    _shell, page = signed_in_home(make_shell, "regulator", device="bureau")
    assert "home-regulator" in identifiers(page)


def test_the_coverage_table_and_an_alert_acknowledged(world, domains, make_shell, client):
    try_a_top_up_over_the_limit(client, domains.meili_card_id)
    shell, page = signed_in_home(make_shell, "regulator", device="bureau")
    tap(page, "home-regulator")
    row = label_or_text(page, f"regulator-merchant-{domains.gym_id}")
    assert row.startswith("Iron Gym. Trading Owed to card holders CN¥450.00; held in escrow CN¥450.00 Escrow covers "
                          "100 % (at least 100 % required) 1 active cards; 1 open alerts"), row
    tap(page, "regulator-view-alerts")
    alert = next(i for i in identifiers(page) if i.startswith("regulator-alert-"))
    assert label_or_text(page, alert).startswith("Warning: A card above the per-card limit was attempted — ")
    tap(page, alert.replace("regulator-alert-", "regulator-ack-"))
    # An over-limit attempt is closed by the regulator's acknowledgement: it leaves the open list.
    assert not has(page, alert)
    assert "No open alerts." in screen_text(page)


def test_a_default_is_declared_after_its_consequences_and_the_holder_sees_the_refund(world, domains, make_shell,
                                                                                      client):
    before = balance_of(client, "meili")
    shell, page = signed_in_home(make_shell, "regulator", device="bureau")
    tap(page, "home-regulator")
    tap(page, f"regulator-merchant-{domains.gym_id}")
    tap(page, "regulator-default")
    said = label_or_text(page, "regulator-default-consequences")
    assert said == ("Declaring Iron Gym in default closes all its 1 active cards and pays what their holders are "
                    "owed, CN¥450.00, back to their wallets from escrow, which holds CN¥450.00. Its cards come off "
                    "sale and it can no longer sell, top up or charge cards. Every holder and the merchant are "
                    "told. This cannot be undone.")
    assert shell.announcement == said
    assert balance_of(client, "meili") == before          # nothing happens before the confirmation
    tap(page, "regulator-default-cancel")
    assert not has(page, "regulator-default-consequences")
    tap(page, "regulator-default")
    tap(page, "regulator-default-confirm")
    assert label_or_text(page, "regulator-default-done") == "Done: 1 cards closed; CN¥450.00 paid back to 1 holders."
    assert balance_of(client, "meili") == before + 45_000

    holder, holder_page = signed_in_home(make_shell, "meili")
    tap(holder_page, "home-cards")
    assert label_or_text(holder_page, f"cards-card-{domains.meili_card_id}") == (
        "10 classes at Iron Gym. Closed: the shop was declared in default. CN¥450.00 came back to your balance "
        "from escrow.")
    tap(holder_page, f"cards-card-{domains.meili_card_id}")
    assert not has(holder_page, "card-refund")
    assert "Refunded after the shop's default +" not in label_or_text(holder_page, "card-state")
