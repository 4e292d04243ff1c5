"""My prepaid cards against the real server, without a renderer: the list and a card's history, a
balance refund and a cooling-off return read back before they happen, buying with the PIN, a
complaint."""

from __future__ import annotations

from tests.ui.test_screens import balance_of, signed_in_home
from tests.ui.ui_support import has, label_or_text, screen_text, tap, type_into
from tests.ui.test_payment_code import enter_pin


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
