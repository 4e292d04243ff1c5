"""The card settings screens in the real browser: a student's campus card (what pays, today's spending and the
daily limit, his phones with "I lost this phone" and its confirmation — answered "No", so nothing changes
for the other tests), and a giver changing the monthly cap of a family card of this test's own, then closing
it after reading what closing does; the server shows each change."""

from __future__ import annotations

import httpx

from tests.e2e.measure import care_mode_shortfalls, measure
from tests.e2e.world import PASSWORD, _login, _person


def _family_card(api: str) -> int:
    """Sun Jie gives his aunt Sun Li a family card of 200 CNY a month, and she accepts it."""
    with httpx.Client(base_url=api, timeout=30) as http:
        _person(http, "sunjie", "Sun Jie 孙杰", roles=["consumer"], top_up_fen=50_000)
        _person(http, "sunli", "Sun Li 孙丽", roles=["consumer"])
        card = http.post("/v1/family-cards", json={"holder_username": "sunli", "monthly_cap_fen": 20_000},
                         headers=_login(http, "sunjie"))
        card.raise_for_status()
        http.post(f"/v1/family-cards/{card.json()['id']}/accept", headers=_login(http, "sunli")).raise_for_status()
        return card.json()["id"]


def _given(api: str, card_id: int) -> dict:
    with httpx.Client(base_url=api, timeout=30) as http:
        cards = http.get("/v1/family-cards", headers=_login(http, "sunjie")).json()
        return next(c for c in cards["given"] if c["id"] == card_id)


def _campus_card(api: str, username: str) -> dict:
    with httpx.Client(base_url=api, timeout=30) as http:
        return http.get("/v1/campus/me", headers=_login(http, username)).json()


def test_a_students_campus_card_settings(app_in_browser, world, domains):
    before = _campus_card(world.api, "xiaoming")
    old = next(d for d in before["devices"] if d["label"] == "old phone")
    app = app_in_browser
    app.open()
    app.sign_in_home("xiaoming", PASSWORD, care=False)
    app.tap("home-settings")
    app.tap("settings-campus-card")
    assert app.wait_for_words("campus-card-who", "Campus card") == \
        "Campus card of Shandong University Weihai: 张*明, number 202300123."
    assert app.words("campus-limit-today").startswith("Daily limit CN¥300.00. Spent today")
    app.screenshot("67-standard-campus-card")
    app.tap(f"campus-device-lost-{old['id']}")
    said = app.wait_for_words("campus-lost-question", "Remove old phone")
    assert "Its codes stop working at once" in said
    app.screenshot("68-standard-campus-lost-phone-confirmation")
    app.tap("campus-lost-no")
    app.wait(f"campus-device-lost-{old['id']}")
    app.tap("campus-limit-change")
    for key in ("8", "0"):
        app.tap(f"campus-limit-key-{key}")
    app.tap("campus-limit-continue")
    assert app.wait_for_words("campus-limit-readback", "becomes").startswith(
        "Your campus card's daily limit becomes CN¥80.00.")
    app.screenshot("69-standard-campus-daily-limit-read-back")
    assert _campus_card(world.api, "xiaoming") == before          # read back only: nothing was changed


def test_the_campus_card_in_care_mode_meets_the_care_numbers(app_in_browser, world, domains):
    """Professor Zhang (care mode) opens his card from Settings; the card and the lost-phone question are
    measured from the semantics tree: text, headings and targets at or above the care numbers."""
    app = app_in_browser
    app.open()
    app.sign_in_home("laozhang", PASSWORD, care=True)
    app.tap("home-settings")
    app.tap("settings-campus-card")
    app.wait_for_words("campus-card-who", "Campus card")
    assert care_mode_shortfalls(measure(app.page)) == []
    app.screenshot("70-care-campus-card")
    old = next(d for d in _campus_card(world.api, "laozhang")["devices"] if d["label"] == "old phone")
    app.tap(f"campus-device-lost-{old['id']}")
    app.wait_for_words("campus-lost-question", "Remove old phone")
    assert care_mode_shortfalls(measure(app.page)) == []
    app.tap("campus-lost-no")
    app.wait(f"campus-device-lost-{old['id']}")


def test_a_giver_changes_a_family_cards_cap_and_closes_it(app_in_browser, world):
    card_id = _family_card(world.api)
    app = app_in_browser
    app.open()
    app.sign_in_home("sunjie", PASSWORD, care=False)
    app.tap("home-family")
    app.tap(f"family-card-manage-{card_id}")
    assert app.wait_for_words("family-card-now", "left of") == \
        "Your family card for Sun Li 孙丽: CN¥200.00 left of CN¥200.00 this month."
    app.tap("family-card-cap-change")
    assert app.wait_for_words("family-cap-range", "between").startswith(
        "A monthly cap is between CN¥0.01 and CN¥3,000.00. Now it is CN¥200.00")
    for key in ("1", "5", "0"):
        app.tap(f"family-cap-key-{key}")
    app.tap("family-cap-continue")
    assert app.wait_for_words("family-cap-readback", "CN¥150.00").startswith(
        "Sun Li 孙丽 will be able to spend up to CN¥150.00 a month with your card.")
    app.screenshot("77-standard-family-card-cap-read-back")
    app.tap("family-cap-save")
    assert app.wait_for_words("family-card-now", "CN¥150.00") == \
        "Your family card for Sun Li 孙丽: CN¥150.00 left of CN¥150.00 this month."
    assert _given(world.api, card_id)["monthly_cap_fen"] == 15_000

    app.tap("family-card-close")
    said = app.wait_for_words("family-card-close-question", "Close the family card")
    assert "cannot pay with it" in said and "cannot be opened again" in said
    app.screenshot("78-standard-family-card-close-confirmation")
    app.tap("family-card-close-yes")
    app.wait_for_words("family-card-closed", "Done")
    assert _given(world.api, card_id)["status"] == "closed"
