"""The care home in real Chromium on a phone (412 x 915): the whole list fits without scrolling; Liu Guilan
sends her son money from it (the read-back, her PIN, a receipt) and his balance moves by exactly that
amount; Call my family shows the number the server sends for him and hands `tel:<number>` to the phone."""

from __future__ import annotations

import httpx

from tests.e2e.family_world import ELDER, SON, SON_NAME, SON_PHONE
from tests.e2e.measure import care_mode_shortfalls, measure
from tests.e2e.world import PASSWORD, PIN, _login

CARE_HOME = ["home-pay", "home-code", "home-transfer", "home-history", "home-messages", "home-call",
             "home-family", "home-settings"]
# Where url_launcher sends a link on the web (window.open): recorded, and not followed (a headless browser
# has no dialler, and the test must not leave 127.0.0.1).
RECORD_OPENED = "window.__opened = []; window.open = (url) => { window.__opened.push(String(url)); return null; };"


def balance(api: str, username: str) -> int:
    with httpx.Client(base_url=api, timeout=30) as http:
        return http.get("/v1/wallet", headers=_login(http, username)).json()["balance_fen"]


def below_the_fold(app) -> list[tuple[str, dict | None]]:
    """The care home's rows that are not wholly inside the window (once the home has settled), with their boxes."""
    app.wait("home-settings")
    app.idle()
    app.settle()
    height = app.page.viewport_size["height"]
    boxes = [(hook, app.hook(hook).bounding_box()) for hook in CARE_HOME]
    return [(hook, box) for hook, box in boxes
            if box is None or box["y"] < 0 or box["y"] + box["height"] > height or box["height"] < 60]


def test_an_elder_sends_her_son_money_from_the_care_home_and_calls_him(app_in_browser, world, family):
    app = app_in_browser
    app.page.add_init_script(RECORD_OPENED)
    app.open()
    app.sign_in_home(ELDER, PASSWORD, care=True)
    # The six rows, then Family and Settings side by side: all on the phone's screen, none below the fold.
    assert below_the_fold(app) == []
    assert care_mode_shortfalls(measure(app.page)) == []
    app.screenshot("14-care-home-with-family")

    son_before, her_before = balance(world.api, SON), balance(world.api, ELDER)
    app.tap("home-transfer")
    app.wait(f"transfer-to-{SON}")
    app.screenshot("15-care-transfer-to-whom")
    app.tap(f"transfer-to-{SON}")
    for key, shown in (("8", "CN¥8.00"), ("8", "CN¥88.00")):
        app.tap(f"key-{key}")
        app.wait_for_words("transfer-amount", shown)
    app.tap("transfer-continue")
    readback = app.wait_for_words("transfer-readback", "You are about to send")
    assert readback.startswith(f"You are about to send CN¥88.00 to {SON_NAME}.")
    assert "It comes from your Anxin balance" in readback
    assert care_mode_shortfalls(measure(app.page)) == []
    app.screenshot("16-care-transfer-read-back")
    app.tap("transfer-confirm")
    app.wait("pin-dots")                     # above 50 CNY the server asks for her payment PIN
    for digit in PIN:
        app.tap(f"pin-{digit}")
    app.tap("pin-submit")
    assert app.wait_for_words("receipt", "Done.") == f"Done. You sent {SON_NAME} CN¥88.00."
    app.screenshot("17-care-transfer-receipt")
    assert balance(world.api, SON) == son_before + 8800
    assert balance(world.api, ELDER) == her_before - 8800

    app.tap("receipt-done")
    assert below_the_fold(app) == []      # back home, after a spoken read-back: still nothing below the fold
    app.tap("home-call")
    assert app.wait_for_words(f"call-number-{SON}", SON_PHONE) == f"Phone: {SON_PHONE}"
    assert app.hook(f"call-none-{SON}").count() == 0
    assert care_mode_shortfalls(measure(app.page)) == []
    app.screenshot("18-care-call-my-family")
    app.tap(f"call-{SON}")
    app.page.wait_for_function("() => window.__opened.length > 0", timeout=30_000)
    assert app.page.evaluate("() => window.__opened") == [f"tel:{SON_PHONE}"]
