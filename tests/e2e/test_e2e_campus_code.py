"""A student shows the payment code his phone makes offline; the canteen's cashier, on another
device, charges it in the app; his screen says it was paid. The code is read from the student's
screen (its digits) and typed at the till, as a cashier without a scanner would."""

from __future__ import annotations

import re

from tests.e2e.conftest import App
from tests.e2e.measure import care_mode_shortfalls, measure
from tests.e2e.world import PASSWORD, PIN


def set_up_this_device(app) -> None:
    """Open My payment code and register this device with the PIN (the card is active elsewhere)."""
    app.tap("home-code")
    app.wait("code-register")
    for digit in PIN:
        app.tap(f"pin-{digit}")
    app.tap("code-register")
    app.wait("code-qr")


def code_on_screen(app) -> str:
    words = app.words("code-digits")
    digits = re.sub(r"\D", "", words)
    assert len(digits) == 18 and digits.startswith("28"), words
    return digits


def test_a_students_code_made_offline_is_charged_at_the_canteen_till(app_in_browser, world, domains, browser):
    app = app_in_browser
    app.open()
    app.sign_in_home("xiaoming", PASSWORD, care=False)
    set_up_this_device(app)
    code = code_on_screen(app)
    assert app.wait_for_words("code-countdown", "A new code in").startswith("A new code in")
    app.screenshot("40-standard-payment-code")

    till = App(browser.new_context(viewport=app.page.viewport_size).new_page(), app.url)
    try:
        till.page.bring_to_front()        # the cashier is looking at the till now: it gets the frames
        till.open()
        till.sign_in_home("canteen", PASSWORD, care=False)
        till.tap("home-cashier")
        till.tap("cashier-charge-code")
        till.type("till-code", code)
        for key in ("1", "2", "dot", "5"):
            till.tap(f"till-key-{key}")
        till.wait_for_words("till-amount", "CN¥12.50")
        till.screenshot("42-standard-till-charge-code")
        till.tap("till-charge")
        assert till.wait_for_words("till-result", "Paid") == "Paid: CN¥12.50 from 张*明 (student 202300123)."
        till.screenshot("43-standard-till-code-paid")
    finally:
        till.page.context.close()

    app.page.bring_to_front()
    assert app.wait_for_words("code-last-charge", "Paid") == "Paid CN¥12.50 to 第一食堂."

    app.tap("code-hide")
    app.wait("code-hidden")
    assert app.hook("code-digits").count() == 0
    app.tap("code-show")
    app.wait("code-digits")


def test_the_payment_code_in_care_mode_meets_the_numbers(app_in_browser, world, domains):
    app = app_in_browser
    app.open()
    app.sign_in_home("laozhang", PASSWORD, care=True)       # a retired professor with his staff card
    set_up_this_device(app)
    code_on_screen(app)
    app.screenshot("44-care-payment-code")
    rendered = measure(app.page)
    assert care_mode_shortfalls(rendered) == []
    print(f"care payment code: smallest text line {rendered.smallest_text_line:.1f} px, heading "
          f"{rendered.smallest_heading_line:.1f} px, smallest target {rendered.smallest_target[0]:.0f} x "
          f"{rendered.smallest_target[1]:.0f} px")


def test_without_a_campus_card_the_care_mode_code_screen_asks_for_the_activation_code(app_in_browser, domains):
    app = app_in_browser
    app.open()
    app.sign_in_home("laowang", PASSWORD, care=True)
    app.tap("home-code")
    app.wait("code-activation")
    app.idle()
    app.screenshot("41-care-payment-code-no-card")
    assert care_mode_shortfalls(measure(app.page)) == []
