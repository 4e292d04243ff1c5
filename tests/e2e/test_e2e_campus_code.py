"""A student shows the payment code his phone makes offline; the canteen's till charges it; his
screen says it was paid. The code is read from the student's screen (its digits), as the till's
scanner would read it."""

from __future__ import annotations

import re
import uuid

import httpx

from tests.e2e.measure import care_mode_shortfalls, measure
from tests.e2e.world import PASSWORD, PIN


def code_on_screen(app) -> str:
    words = app.words("code-digits")
    digits = re.sub(r"\D", "", words)
    assert len(digits) == 18 and digits.startswith("28"), words
    return digits


def till_charges_over_http(api: str, merchant_id: int, code: str, amount_fen: int) -> dict:
    with httpx.Client(base_url=api) as http:
        token = http.post("/v1/auth/login", json={"username": "canteen", "password": PASSWORD}).json()["access_token"]
        r = http.post("/v1/campus/charges", json={"merchant_id": merchant_id, "terminal_id": "till-e2e",
                                                  "code": code, "amount_fen": amount_fen},
                      headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex})
        assert r.status_code in (201, 202), r.text
        return r.json()


def test_a_students_code_made_offline_is_charged_and_his_screen_says_paid(app_in_browser, world, domains):
    app = app_in_browser
    app.open()
    app.sign_in_home("xiaoming", PASSWORD, care=False)
    app.tap("home-code")
    app.wait("code-register")
    for digit in PIN:
        app.tap(f"pin-{digit}")
    app.tap("code-register")
    app.wait("code-qr")
    code = code_on_screen(app)
    assert app.wait_for_words("code-countdown", "A new code in").startswith("A new code in")
    app.screenshot("40-standard-payment-code")

    charge = till_charges_over_http(world.api, world.shops["canteen"].id, code, 1_250)
    assert charge["status"] == "completed"
    assert app.wait_for_words("code-last-charge", "Paid") == "Paid CN¥12.50 to 第一食堂."

    app.tap("code-hide")
    app.wait("code-hidden")
    assert app.hook("code-digits").count() == 0
    app.tap("code-show")
    app.wait("code-digits")


def test_the_payment_code_in_care_mode_meets_the_numbers(app_in_browser, world, domains):
    app = app_in_browser
    app.open()
    app.sign_in_home("nainai", PASSWORD, care=True)
    app.tap("home-code")
    app.wait("code-activation")
    app.idle()
    app.screenshot("41-care-payment-code-no-card")
    assert care_mode_shortfalls(measure(app.page)) == []
