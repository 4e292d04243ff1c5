"""A card holder tops up her prepaid card in the app: the amount on the keypad, the summary read back (which
card at which shop, how much, from her balance, held in escrow), her PIN, the receipt. The server then shows
her card, the shop's escrow and her wallet moved by exactly that amount.

A shop and a holder of this test's own (through the real HTTP API), so no other test's numbers move."""

from __future__ import annotations

import uuid

import httpx

from tests.e2e.world import PASSWORD, PIN, _login, _person

AMOUNT_FEN = 12_345          # CN¥123.45, above the PIN-free amount


def _pool_and_holder(api: str) -> tuple[int, int]:
    """Blue Pool sells a 300 CNY swim card; Zhao Lan (1,000 CNY in her wallet) holds one."""
    with httpx.Client(base_url=api, timeout=30) as http:
        owner = _person(http, "bluepool", "Blue Pool owner", roles=["merchant"])
        pool = http.post("/v1/merchants", json={"name": "Blue Pool", "local_name": "蓝色泳池", "category": "fitness",
                                                "region": "weihai-huancui", "city": "Weihai"}, headers=owner)
        pool.raise_for_status()
        product = http.post(f"/v1/prepaid/merchants/{pool.json()['id']}/products", headers=owner,
                            json={"name": "Swim pass", "face_value_fen": 30_000, "validity_days": 365})
        product.raise_for_status()
        _person(http, "zhaolan", "Zhao Lan 赵兰", roles=["consumer"], top_up_fen=100_000)
        card = http.post("/v1/prepaid/cards", json={"product_id": product.json()["id"], "pin": PIN},
                         headers={**_login(http, "zhaolan"), "Idempotency-Key": uuid.uuid4().hex})
        card.raise_for_status()
        return pool.json()["id"], card.json()["id"]


def _money(api: str, pool_id: int, card_id: int) -> tuple[int, int, int]:
    """(the card's balance, the pool's escrow, the holder's wallet), as the server has them."""
    with httpx.Client(base_url=api, timeout=30) as http:
        holder, owner = _login(http, "zhaolan"), _login(http, "bluepool")
        card = http.get(f"/v1/prepaid/cards/{card_id}", headers=holder).json()["balance_fen"]
        escrow = http.get(f"/v1/prepaid/merchants/{pool_id}", headers=owner).json()["escrow_fen"]
        wallet = http.get("/v1/wallet", headers=holder).json()["balance_fen"]
        return card, escrow, wallet


def test_a_holder_tops_up_her_card_and_card_and_escrow_move_by_exactly_the_amount(app_in_browser, world):
    pool_id, card_id = _pool_and_holder(world.api)
    card_before, escrow_before, wallet_before = _money(world.api, pool_id, card_id)
    assert card_before == 30_000

    app = app_in_browser
    app.open()
    app.sign_in_home("zhaolan", PASSWORD, care=False)
    app.tap("home-cards")
    app.tap(f"cards-card-{card_id}")
    app.wait_for_words("card-balance", "CN¥300.00")
    app.tap("card-top-up")
    for key in ("1", "2", "3", "dot", "4", "5"):
        app.tap(f"top-up-key-{key}")
    assert app.wait_for_words("top-up-amount", "CN¥123.45") == "Amount: CN¥123.45"
    app.screenshot("64-standard-card-top-up-amount")
    app.tap("top-up-continue")
    said = app.wait_for_words("top-up-readback", "You are about to add")
    assert said == ("You are about to add CN¥123.45 to Swim pass at Blue Pool; the card will then hold CN¥423.45. "
                    "It comes from your Anxin balance: CN¥700.00 now, CN¥576.55 afterwards. The money is held in "
                    "escrow and reaches Blue Pool only as you use the card; if the shop closes, what is left comes "
                    "back to you.")
    app.screenshot("65-standard-card-top-up-summary")
    assert _money(world.api, pool_id, card_id) == (card_before, escrow_before, wallet_before)   # nothing yet
    app.tap("top-up-confirm")
    app.wait("pin-dots")
    for digit in PIN:
        app.tap(f"pin-{digit}")
    app.tap("pin-submit")
    assert app.wait_for_words("top-up-receipt", "Done") == (
        "Done: CN¥123.45 added to Swim pass at Blue Pool. It now holds CN¥423.45, held in escrow until you use it "
        "at Blue Pool.")
    app.screenshot("66-standard-card-top-up-receipt")

    card_after, escrow_after, wallet_after = _money(world.api, pool_id, card_id)
    assert card_after - card_before == AMOUNT_FEN
    assert escrow_after - escrow_before == AMOUNT_FEN
    assert wallet_before - wallet_after == AMOUNT_FEN

    app.tap("top-up-back-to-card")
    assert app.wait_for_words("card-balance", "CN¥423.45") == "The card holds CN¥423.45"
