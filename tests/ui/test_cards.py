"""My prepaid cards against the real server, without a renderer: the list and a card's history, a
balance refund and a cooling-off return read back before they happen, buying with the PIN, a
complaint."""

from __future__ import annotations

import httpx

from tests.app.test_prepaid_top_up import AnswerLost
from tests.e2e.family_world import ELDER, ELDER_NAME, SON, build_family
from tests.e2e.world import PASSWORD, PIN
from tests.ui.test_payment_code import enter_pin
from tests.ui.test_screens import balance_of, sign_in, signed_in_home
from tests.ui.ui_support import find, has, label_or_text, screen_text, shell_over, tap, type_into
from ui.views.cards import CardScreen


def test_a_used_card_shows_its_history_and_refunds_what_is_left(world, domains, make_shell, client):
    shell, page = signed_in_home(make_shell, "meili")
    tap(page, "home-cards")
    card = f"cards-card-{domains.meili_card_id}"
    assert label_or_text(page, card) == (f"10 classes at Iron Gym. Holds CN¥450.00 · card number "
                                         f"{domains.meili_card_id}")
    tap(page, card)
    assert label_or_text(page, "card-balance") == "The card holds CN¥450.00"
    history = screen_text(page)
    assert "Bought +CN¥500.00, then CN¥500.00" in history and "Used -CN¥50.00, then CN¥450.00" in history
    before = balance_of(client, "meili")
    tap(page, "card-refund")
    readback = label_or_text(page, "card-refund-readback")
    assert readback == ("You are about to close 10 classes at Iron Gym and get back what is left: CN¥450.00 comes "
                        "back to your Anxin balance.")
    assert shell.announcement == readback
    assert balance_of(client, "meili") == before          # nothing moves before the second tap
    tap(page, "card-refund-confirm")
    assert label_or_text(page, "card-refunded") == (f"Done: CN¥450.00 is back in your balance, which is now "
                                                    f"{shell.t.money(before + 45_000)}.")
    assert balance_of(client, "meili") == before + 45_000
    assert label_or_text(page, "card-state") == "Closed: CN¥450.00 came back to your balance."
    assert not has(page, "card-refund")


def test_buying_a_card_reads_it_back_asks_for_the_pin_and_returns_in_cooling_off(world, domains, make_shell,
                                                                                  client):
    shell, page = signed_in_home(make_shell, "jianguo")
    before = balance_of(client, "jianguo")
    tap(page, "home-cards")
    assert "You have no prepaid cards." in screen_text(page)
    tap(page, "cards-buy")
    tap(page, f"buy-product-{domains.gym_product_id}")
    readback = label_or_text(page, "buy-readback")
    assert readback.startswith("You are about to buy 10 classes from Iron Gym for CN¥500.00; the card will hold "
                               "CN¥500.00. It comes from your Anxin balance:")
    tap(page, "buy-confirm")
    assert has(page, "pin-dots")                           # above the PIN-free amount
    enter_pin(page)
    tap(page, "pin-submit")
    done = label_or_text(page, "buy-done")
    assert done.startswith("Done: 10 classes at Iron Gym holds CN¥500.00.")
    assert balance_of(client, "jianguo") == before - 50_000
    tap(page, "buy-open-card")
    assert "Returnable in full until" in screen_text(page)
    tap(page, "card-refund")
    assert label_or_text(page, "card-refund-readback").startswith(
        "You are about to return 10 classes at Iron Gym. It is unused and within the cooling-off period, so all "
        "you paid, CN¥500.00, comes back")
    tap(page, "card-refund-confirm")
    assert balance_of(client, "jianguo") == before


def test_a_card_holder_complains_once(world, domains, make_shell):
    shell, page = signed_in_home(make_shell, "meili")
    tap(page, "home-cards")
    tap(page, f"cards-card-{domains.meili_card_id}")
    tap(page, "card-complain")
    tap(page, "complaint-send")
    assert label_or_text(page, "error-message") == "Please say in a few words what happened."
    tap(page, "complaint-category-refund_refused")
    type_into(page, "complaint-text", "They would not give my money back.")
    tap(page, "complaint-send")
    assert label_or_text(page, "complaint-filed") == "Your complaint about Iron Gym was sent to the regulator."
    tap(page, "complaint-back")
    tap(page, "card-complain")
    type_into(page, "complaint-text", "Again.")
    tap(page, "complaint-send")
    assert label_or_text(page, "error-message").startswith("You already have an open complaint about this shop.")


def _card_balance(client, username: str, card_id: int) -> int:
    token = client.post("/v1/auth/login", json={"username": username, "password": PASSWORD}).json()["access_token"]
    return client.get(f"/v1/prepaid/cards/{card_id}", headers={"Authorization": f"Bearer {token}"}).json()[
        "balance_fen"]


def _open_top_up(make_shell, domains, *, care: bool = False):
    shell, page = signed_in_home(make_shell, "meili", care=care)
    if care:                     # the care home keeps to six rows; the card's screen is the same one
        shell.open(CardScreen(shell, domains.meili_card_id))
    else:
        tap(page, "home-cards")
        tap(page, f"cards-card-{domains.meili_card_id}")
    tap(page, "card-top-up")
    return shell, page


def test_topping_up_reads_back_whom_how_much_from_where_and_escrow_then_pin_and_receipt(world, domains,
                                                                                      make_shell, client):
    wallet_before = balance_of(client, "meili")
    shell, page = _open_top_up(make_shell, domains, care=True)
    assert label_or_text(page, "top-up-card") == "Adding to 10 classes at Iron Gym. It holds CN¥450.00 now."
    tap(page, "top-up-continue")
    assert label_or_text(page, "error-message") == "Please type an amount first."
    assert find(page, "top-up-key-1").content.height >= 60          # care mode: big keys
    for key in ("1", "0", "0"):
        tap(page, f"top-up-key-{key}")
    assert label_or_text(page, "top-up-amount") == "Amount: CN¥100.00"
    tap(page, "top-up-continue")
    readback = label_or_text(page, "top-up-readback")
    assert readback == ("You are about to add CN¥100.00 to 10 classes at Iron Gym; the card will then hold "
                        f"CN¥550.00. It comes from your Anxin balance: {shell.t.money(wallet_before)} now, "
                        f"{shell.t.money(wallet_before - 10_000)} afterwards. The money is held in escrow and reaches "
                        "Iron Gym only as you use the card; if the shop closes, what is left comes back to you.")
    assert shell.announcement == readback            # spoken in care mode, as Pay's summary is
    assert label_or_text(page, "top-up-summary-escrow") == \
        "Held in escrow; Iron Gym is paid only as you use the card."
    assert _card_balance(client, "meili", domains.meili_card_id) == 45_000    # nothing moves before "Add"
    assert find(page, "top-up-confirm").content.controls[0].height >= 60
    tap(page, "top-up-confirm")
    assert has(page, "pin-dots")                      # above the PIN-free amount
    key = shell.screen.draft.idempotency_key
    enter_pin(page)
    tap(page, "pin-submit")
    assert shell.screen.draft.idempotency_key == key  # the PIN went with the same draft
    done = label_or_text(page, "top-up-receipt")
    assert done == ("Done: CN¥100.00 added to 10 classes at Iron Gym. It now holds CN¥550.00, held in escrow until "
                    "you use it at Iron Gym.")
    assert shell.announcement == done
    assert label_or_text(page, "top-up-receipt-wallet") == \
        f"Your balance now: {shell.t.money(wallet_before - 10_000)}"
    assert balance_of(client, "meili") == wallet_before - 10_000
    assert _card_balance(client, "meili", domains.meili_card_id) == 55_000
    tap(page, "top-up-back-to-card")
    assert label_or_text(page, "card-balance") == "The card holds CN¥550.00"
    assert "Added +CN¥100.00, then CN¥550.00" in screen_text(page)


def test_a_top_up_above_the_card_limit_says_how_much_can_be_added(world, domains, make_shell, client):
    wallet_before = balance_of(client, "meili")
    shell, page = _open_top_up(make_shell, domains)
    for key in ("6", "0", "0"):
        tap(page, f"top-up-key-{key}")
    tap(page, "top-up-continue")
    tap(page, "top-up-confirm")
    enter_pin(page)
    tap(page, "pin-submit")
    assert label_or_text(page, "error-message") == (
        "This card may hold at most CN¥1,000.00. It holds CN¥450.00 now, so you can add at most CN¥550.00. Nothing "
        "was added: change the amount.")
    assert has(page, "top-up-change")
    tap(page, "top-up-change")
    assert has(page, "top-up-amount")
    assert balance_of(client, "meili") == wallet_before
    assert _card_balance(client, "meili", domains.meili_card_id) == 45_000


def test_a_closed_card_offers_no_top_up(world, domains, make_shell, client):
    shell, page = signed_in_home(make_shell, "meili")
    tap(page, "home-cards")
    tap(page, f"cards-card-{domains.meili_card_id}")
    assert has(page, "card-top-up")
    tap(page, "card-refund")
    assert not has(page, "card-top-up")              # one question at a time while a refund is being asked
    tap(page, "card-refund-confirm")
    assert not has(page, "card-top-up")


def test_a_son_acting_for_his_mother_tops_up_her_card_from_her_money(world, domains, make_shell, client):
    family = build_family(client)
    token = client.post("/v1/auth/login", json={"username": ELDER, "password": PASSWORD}).json()["access_token"]
    card = client.post("/v1/prepaid/cards", json={"product_id": domains.gym_product_id, "pin": PIN},
                       headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "guilan-buys-a-gym-card"}).json()
    hers, his = balance_of(client, ELDER), balance_of(client, SON)
    shell, page = signed_in_home(make_shell, SON, device=SON)
    tap(page, "home-family")
    tap(page, f"family-act-{family.link_id}")
    tap(page, "home-cards")
    tap(page, f"cards-card-{card['id']}")
    tap(page, "card-top-up")
    for key in ("5", "0"):
        tap(page, f"top-up-key-{key}")
    tap(page, "top-up-continue")
    readback = label_or_text(page, "top-up-readback")
    assert readback.startswith(f"You are about to add CN¥50.00 to {ELDER_NAME}'s card 10 classes at Iron Gym; the "
                               f"card will then hold CN¥550.00. It comes from {ELDER_NAME}'s Anxin balance: "
                               f"{shell.t.money(hers)} now")
    assert label_or_text(page, "top-up-summary-from") == f"{ELDER_NAME}'s Anxin balance: CN¥50.00"
    tap(page, "top-up-confirm")                      # no PIN: her grant's limits stand in for it
    assert label_or_text(page, "top-up-receipt").startswith("Done: CN¥50.00 added to 10 classes at Iron Gym.")
    assert (balance_of(client, ELDER), balance_of(client, SON)) == (hers - 5_000, his)
    assert _card_balance(client, ELDER, card["id"]) == 55_000


def test_a_lost_answer_says_so_keeps_the_amount_and_add_again_adds_once(world, domains, client, tmp_path):
    """The answer to "Add" never comes back: the sentence says trying again never pays twice, the amount can
    no longer be changed (a new amount would be a second top-up), and "Add" again sends the same key."""
    lossy = AnswerLost(client._transport)
    flaky = httpx.Client(base_url="http://testserver", transport=lossy)
    shell, page = shell_over(flaky, tmp_path)
    sign_in(shell, page, "meili")
    tap(page, "setup-care-off")
    wallet_before = balance_of(client, "meili")
    tap(page, "home-cards")
    tap(page, f"cards-card-{domains.meili_card_id}")
    tap(page, "card-top-up")
    for key in ("2", "0"):                            # PIN-free
        tap(page, f"top-up-key-{key}")
    tap(page, "top-up-continue")
    tap(page, "top-up-confirm")
    assert lossy.reached == 1
    assert label_or_text(page, "error-message") == ("We could not reach Anxin. Check your connection and try again. "
                                                    "Trying again never pays twice.")
    assert has(page, "top-up-confirm") and not has(page, "top-up-change")
    tap(page, "top-up-confirm")
    assert label_or_text(page, "top-up-receipt").startswith("Done: CN¥20.00 added to 10 classes at Iron Gym. It now "
                                                            "holds CN¥470.00")
    assert balance_of(client, "meili") == wallet_before - 2_000          # added once, although sent twice
    assert _card_balance(client, "meili", domains.meili_card_id) == 47_000
    flaky.close()


def _bank_cards(client, username: str) -> list[dict]:
    token = client.post("/v1/auth/login", json={"username": username, "password": PASSWORD}).json()["access_token"]
    return client.get("/v1/bank-cards", headers={"Authorization": f"Bearer {token}"}).json()


def test_topping_up_from_a_linked_bank_card_says_which_card_and_leaves_the_balance(world, domains, make_shell,
                                                                                  client):
    wallet_before = balance_of(client, "meili")
    bank = _bank_cards(client, "meili")[0]          # the card her wallet was filled from (the sandbox approves it)
    shell, page = _open_top_up(make_shell, domains, care=True)
    for key in ("1", "0", "0"):
        tap(page, f"top-up-key-{key}")
    tap(page, "top-up-continue")
    assert label_or_text(page, "top-up-source-wallet") == f"✓ My balance ({shell.t.money(wallet_before)})"
    key = shell.screen.draft.idempotency_key
    tap(page, f"top-up-source-bank-{bank['id']}")
    assert label_or_text(page, f"top-up-source-bank-{bank['id']}") == \
        f"✓ Bank card {bank['bank_name']} ending 0001"
    readback = label_or_text(page, "top-up-readback")
    assert readback == ("You are about to add CN¥100.00 to 10 classes at Iron Gym; the card will then hold CN¥550.00. "
                        f"It comes from your bank card {bank['bank_name']} ending 0001; your Anxin balance does not "
                        "change. The money is held in escrow and reaches Iron Gym only as you use the card; if the "
                        "shop closes, what is left comes back to you.")
    assert shell.announcement == readback           # the new read-back is spoken as well
    assert label_or_text(page, "top-up-summary-from") == f"Bank card {bank['bank_name']} ending 0001: CN¥100.00"
    tap(page, "top-up-confirm")
    enter_pin(page)
    tap(page, "pin-submit")
    assert shell.screen.draft.idempotency_key == key       # one draft, one key
    assert label_or_text(page, "top-up-receipt").startswith("Done: CN¥100.00 added to 10 classes at Iron Gym.")
    assert balance_of(client, "meili") == wallet_before
    assert _card_balance(client, "meili", domains.meili_card_id) == 55_000


def test_a_bank_that_says_no_is_said_in_words_adds_nothing_and_the_wallet_can_pay(world, domains, make_shell,
                                                                                 client):
    token = client.post("/v1/auth/login", json={"username": "meili", "password": PASSWORD}).json()["access_token"]
    declining = client.post("/v1/bank-cards", json={"card_number": "6222020000000080002", "holder_name": "Meili"},
                            headers={"Authorization": f"Bearer {token}"}).json()       # the sandbox declines ...0002
    wallet_before = balance_of(client, "meili")
    shell, page = _open_top_up(make_shell, domains)
    for key in ("2", "0"):                          # PIN-free
        tap(page, f"top-up-key-{key}")
    tap(page, "top-up-continue")
    tap(page, f"top-up-source-bank-{declining['id']}")
    tap(page, "top-up-confirm")
    said = "The bank said no. Nothing was moved. Try another card or ask your bank."
    assert label_or_text(page, "error-message") == said
    assert shell.announcement == said
    assert balance_of(client, "meili") == wallet_before
    assert _card_balance(client, "meili", domains.meili_card_id) == 45_000
    tap(page, "top-up-source-wallet")               # another source: the summary is still there
    assert not has(page, "error-message")
    tap(page, "top-up-confirm")
    assert label_or_text(page, "top-up-receipt").startswith("Done: CN¥20.00 added to 10 classes at Iron Gym.")
    assert balance_of(client, "meili") == wallet_before - 2_000
    assert _card_balance(client, "meili", domains.meili_card_id) == 47_000
