"""An elder in care mode pays a shop and sees the summary read back; the care numbers are
measured on the rendered screens; the shop's cashier sees the payment."""

from __future__ import annotations

import httpx

from app.i18n import Translator
from tests.e2e.measure import care_mode_shortfalls, measure
from tests.e2e.world import PASSWORD, PIN


def balance(api: str, username: str) -> int:
    with httpx.Client(base_url=api) as http:
        token = http.post("/v1/auth/login", json={"username": username, "password": PASSWORD}).json()["access_token"]
        return http.get("/v1/wallet", headers={"Authorization": f"Bearer {token}"}).json()["balance_fen"]


def check_care(app, screen: str, everything: dict) -> None:
    rendered = measure(app.page)
    assert rendered.texts and rendered.targets and rendered.headings, f"nothing measured on {screen}"
    everything[screen] = rendered
    assert care_mode_shortfalls(rendered) == [], screen


def test_elder_pays_in_care_mode_with_the_summary_read_back(app_in_browser, world):
    app, care_screens = app_in_browser, {}
    app.open()
    app.screenshot("01-sign-in")
    app.sign_in("nainai", PASSWORD)
    app.wait("setup-care-on")
    app.screenshot("02-first-sign-in-setup")
    app.tap("setup-care-on")
    # The demo world grows with each programme: read the balance rather than hard-code it.
    before = balance(world.api, "nainai")
    now, after = Translator("en").money(before), Translator("en").money(before - 1250)
    assert app.wait_for_words("home-balance", now) == f"Your balance is {now}"
    app.screenshot("10-care-home")
    check_care(app, "home", care_screens)
    # The care home is a short list: only the core actions, no promotions.
    for hook in ("home-pay", "home-code", "home-transfer", "home-history", "home-messages", "home-call",
                 "home-family", "home-settings"):
        assert app.hook(hook).count() == 1

    app.tap("home-pay")
    app.type("pay-merchant-code", str(world.shops["lotus"].id))
    app.tap("pay-find-merchant")
    app.wait("key-1")
    for key, shown in (("1", "CN¥1.00"), ("2", "CN¥12.00"), ("dot", "CN¥12.00"), ("5", "CN¥12.50")):
        app.tap(f"key-{key}")
        assert app.wait_for_words("pay-amount", shown) == f"Amount: {shown}"
    app.screenshot("11-care-pay-amount")
    check_care(app, "keypad", care_screens)
    app.tap("pay-continue")
    readback = app.wait_for_words("pay-readback", "You are about to pay")
    assert readback == ("You are about to pay Lotus Noodles (莲花面馆) CN¥12.50. It comes from your Anxin "
                        f"balance: {now} now, {after} afterwards.")
    app.screenshot("12-care-pay-summary")
    check_care(app, "summary", care_screens)
    app.tap("pay-confirm")
    assert "Done. You paid 莲花面馆 CN¥12.50." in app.wait_for_words("receipt", "Done.")
    app.screenshot("13-care-receipt")
    check_care(app, "receipt", care_screens)
    assert balance(world.api, "nainai") == before - 1250
    for screen, r in care_screens.items():      # shown with -s; docs/client.md quotes these
        print(f"care {screen}: smallest text line {r.smallest_text_line:.1f} px, heading "
              f"{r.smallest_heading_line:.1f} px, smallest target {r.smallest_target[0]:.0f} x "
              f"{r.smallest_target[1]:.0f} px ({len(r.texts)} texts, {len(r.headings)} headings, "
              f"{len(r.targets)} targets)")


def taken_today(api: str, owner: str, merchant_id: int) -> tuple[int, int]:
    """What the shop has taken today so far (other tests charge codes at the canteen too)."""
    from datetime import datetime
    with httpx.Client(base_url=api) as http:
        token = http.post("/v1/auth/login", json={"username": owner, "password": PASSWORD}).json()["access_token"]
        payments = http.get(f"/v1/merchants/{merchant_id}/payments",
                            headers={"Authorization": f"Bearer {token}"}).json()
    today = datetime.now().astimezone().date()
    todays = [p for p in payments if datetime.fromisoformat(p["created_at"]).astimezone().date() == today]
    return sum(p["amount_fen"] - p["refunded_fen"] for p in todays), len(todays)


def test_a_large_payment_needs_the_pin_and_the_shop_sees_it_at_the_cashier(app_in_browser, world, browser):
    app = app_in_browser
    canteen = world.shops["canteen"].id
    before_fen, before_count = taken_today(world.api, "canteen", canteen)
    app.open()
    app.sign_in_home("xiaoming", PASSWORD, care=False)
    app.tap("home-pay")
    app.type("pay-merchant-code", str(world.shops["canteen"].id))
    app.tap("pay-find-merchant")
    app.wait("key-6")
    for key, shown in (("6", "CN¥6.00"), ("6", "CN¥66.00")):
        app.tap(f"key-{key}")
        app.wait_for_words("pay-amount", shown)
    app.tap("pay-continue")
    app.screenshot("20-standard-pay-summary")
    app.tap("pay-confirm")
    app.wait("pin-dots")
    for digit in PIN:
        app.tap(f"pin-{digit}")
    assert app.wait_for_words("pin-dots", "6 of 6") == "6 of 6 digits entered"
    app.tap("pin-submit")
    assert "Done. You paid 第一食堂 CN¥66.00." in app.wait_for_words("receipt", "Done.")

    # The canteen's cashier, on another device.
    till = type(app)(browser.new_context(viewport=app.page.viewport_size).new_page(), app.url)
    try:
        till.page.bring_to_front()        # the cashier is looking at the till now: it gets the frames
        till.open()
        till.sign_in_home("canteen", PASSWORD, care=False)
        till.tap("home-cashier")
        total = Translator("en").money(before_fen + 6_600)
        assert till.wait_for_words("cashier-today-total", total) == \
            f"Taken today: {total}; payments: {before_count + 1}"
        till.tap("cashier-show-qr")
        till.wait("cashier-qr")
        till.screenshot("21-standard-cashier")
        assert till.words("cashier-code") == f"Shop code {world.shops['canteen'].id}"
    finally:
        till.page.context.close()
