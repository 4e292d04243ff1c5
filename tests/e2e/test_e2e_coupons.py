"""A resident claims a city coupon, then pays a restaurant: the best coupon is proposed, the summary
and its read-back say who pays what, and the receipt shows the coupon's part."""

from __future__ import annotations

from tests.e2e.world import PASSWORD, PIN


def test_a_resident_claims_a_coupon_and_redeems_it_in_a_payment(app_in_browser, world, domains):
    app = app_in_browser
    app.open()
    app.sign_in_home("xiaoming", PASSWORD, care=False)
    app.tap("home-coupons")
    spring = domains.spring_campaign_id
    progress = app.words(f"coupons-progress-{spring}")
    assert progress.endswith("claimed (0 %)") or "claimed" in progress
    app.screenshot("50-standard-coupons")
    app.tap(f"coupons-claim-{spring}")
    assert app.wait_for_words("coupons-claimed", "You have a coupon").startswith(
        "You have a coupon: Spend CN¥100.00, save CN¥30.00.")
    app.tap("nav-back")

    app.tap("home-pay")
    app.type("pay-merchant-code", str(world.shops["lotus"].id))
    app.tap("pay-find-merchant")
    for key in ("1", "2", "8"):
        app.tap(f"key-{key}")
    app.wait_for_words("pay-amount", "CN¥128.00")
    app.tap("pay-continue")
    assert app.wait_for_words("summary-coupon", "off") == "Weihai Spring Coupons: CN¥30.00 off, paid by the city"
    readback = app.wait_for_words("pay-readback", "coupon")
    assert readback.startswith("You are about to pay Lotus Noodles (莲花面馆) CN¥128.00. Your coupon from Weihai "
                               "Spring Coupons takes CN¥30.00 off, so you pay CN¥98.00.")
    app.screenshot("51-standard-pay-summary-with-coupon")
    app.tap("pay-confirm")
    app.wait("pin-dots")
    for digit in PIN:
        app.tap(f"pin-{digit}")
    app.wait_for_words("pin-dots", "6 of 6")
    app.tap("pin-submit")
    assert app.wait_for_words("receipt", "Done.") == ("Done. You paid 莲花面馆 CN¥98.00. A city coupon paid CN¥30.00 "
                                                      "of the CN¥128.00.")
    app.screenshot("52-standard-receipt-with-coupon")
