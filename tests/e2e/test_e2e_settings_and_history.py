"""A person browses history and checks a payment in the signed journal, reads messages, then
turns care mode on and changes language, and sees each change applied at once."""

from __future__ import annotations

from tests.e2e.measure import care_mode_shortfalls, measure
from tests.e2e.world import PASSWORD


def test_history_journal_messages_then_care_mode_and_languages(app_in_browser, world):
    app = app_in_browser
    app.open()
    app.sign_in("jianguo", PASSWORD)
    app.tap("setup-care-off")
    app.wait("home-pay")
    app.screenshot("30-standard-home")
    standard = measure(app.page)

    app.tap("home-history")
    items = app.page.locator('[flt-semantics-identifier^="history-item-"]')
    items.first.wait_for(timeout=30_000)
    app.idle()
    app.screenshot("31-standard-history")
    sent = next(i for i in range(items.count()) if "Transfer: Wang Guihua" in (items.nth(i).get_attribute("aria-label")
                                                                             or items.nth(i).inner_text()))
    items.nth(sent).click()
    app.wait("receipt")
    app.tap("receipt-check")
    assert app.wait_for_words("journal-result", "Verified").startswith("Verified on this phone")
    app.screenshot("32-standard-receipt-journal-check")
    app.tap("nav-back")
    app.tap("nav-back")

    app.tap("home-messages")
    assert "You sent CN¥1,000.00 to Wang Guihua 王桂花." in app.words("message-" + _first_message_id(app))
    app.screenshot("33-standard-messages")
    app.tap("nav-back")

    app.tap("home-settings")
    app.wait("settings-care")
    app.screenshot("34-standard-settings")
    assert app.words("settings-care") == "Care mode: off"
    app.tap("settings-care")
    assert app.wait_for_words("settings-care", "on") == "Care mode: on"
    assert app.hook("settings-marketing").count() == 0          # no promotions in care mode
    app.screenshot("35-care-settings")
    assert care_mode_shortfalls(measure(app.page)) == []
    app.page.mouse.wheel(0, 600)                              # and the rest of the screen
    app.settle()
    assert care_mode_shortfalls(measure(app.page)) == []
    app.page.mouse.wheel(0, -600)

    app.tap("settings-language-zh-CN")
    assert app.wait_for_words("settings-care", "关怀模式") == "关怀模式: 开"
    app.tap("nav-back")
    assert app.wait_for_words("home-balance", "您的余额是") .startswith("您的余额是 ¥")
    app.screenshot("36-care-home-chinese")
    assert care_mode_shortfalls(measure(app.page)) == []

    app.tap("home-settings")
    app.tap("settings-language-ko")
    assert app.wait_for_words("settings-care", "돌봄 모드") == "돌봄 모드: 켜짐"
    app.tap("nav-back")
    assert app.wait_for_words("home-balance", "잔액은").startswith("잔액은 CN¥")
    app.screenshot("37-care-home-korean")

    app.tap("home-settings")
    app.tap("settings-contrast")
    assert app.wait_for_words("settings-contrast", "켜짐") == "고대비: 켜짐"
    app.tap("nav-back")
    app.wait("home-balance")
    app.screenshot("38-care-high-contrast-home-korean")
    assert care_mode_shortfalls(measure(app.page)) == []

    app.tap("home-settings")
    app.tap("settings-sign-out")
    app.wait("signin-submit")
    app.screenshot("39-care-sign-in-after-sign-out")
    care_sign_in = measure(app.page)
    assert care_mode_shortfalls(care_sign_in) == []
    # The standard mode really is smaller: the care numbers are not met by accident.
    assert standard.smallest_text_line < care_sign_in.smallest_text_line
    print(f"standard home: smallest text line {standard.smallest_text_line:.1f} px, smallest target "
          f"{standard.smallest_target[0]:.0f} x {standard.smallest_target[1]:.0f} px")


def _first_message_id(app) -> str:
    first = app.page.locator('[flt-semantics-identifier^="message-"]').first
    first.wait_for(timeout=30_000)
    return first.get_attribute("flt-semantics-identifier").removeprefix("message-")
