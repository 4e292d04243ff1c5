"""The regulator sees the escrow coverage table, declares a gym in default after reading what that
will do, and the card holder sees her card closed and the money back."""

from __future__ import annotations

from tests.e2e.conftest import App
from tests.e2e.world import PASSWORD


def test_a_regulator_declares_a_default_and_the_card_holder_sees_the_refund(app_in_browser, world, domains,
                                                                           browser):
    app = app_in_browser
    app.open()
    app.sign_in_home("regulator", PASSWORD, care=False)
    app.tap("home-regulator")
    row = app.wait_for_words(f"regulator-merchant-{domains.gym_id}", "Iron Gym")
    assert "Owed to card holders CN¥450.00; held in escrow CN¥450.00" in row
    app.screenshot("60-standard-regulator-coverage")
    app.tap(f"regulator-merchant-{domains.gym_id}")
    app.tap("regulator-default")
    said = app.wait_for_words("regulator-default-consequences", "Declaring")
    assert said.startswith("Declaring Iron Gym in default closes all its 1 active cards and pays what their holders "
                           "are owed, CN¥450.00, back to their wallets from escrow")
    assert said.endswith("This cannot be undone.")
    app.screenshot("61-standard-regulator-default-confirmation")
    app.tap("regulator-default-confirm")
    assert app.wait_for_words("regulator-default-done", "Done") == \
        "Done: 1 cards closed; CN¥450.00 paid back to 1 holders."

    holder = App(browser.new_context(viewport=app.page.viewport_size).new_page(), app.url)
    try:
        holder.page.bring_to_front()
        holder.open()
        holder.sign_in_home("meili", PASSWORD, care=False)
        holder.tap("home-cards")
        card = holder.wait_for_words(f"cards-card-{domains.meili_card_id}", "Closed")
        assert card == ("10 classes at Iron Gym. Closed: the shop was declared in default. CN¥450.00 came back to "
                        "your balance from escrow.")
        holder.screenshot("62-standard-cards-after-default")
        holder.tap(f"cards-card-{domains.meili_card_id}")
        holder.wait("card-state")
        holder.screenshot("63-standard-card-refunded-history")
    finally:
        holder.page.context.close()
