"""My payment code, driven without a renderer against the real server: setting the device up with
the PIN, the code and its countdown made offline, a till charging it, a request above the PIN-free
amount confirmed on the screen, hiding it, a device without a safe keychain, a revoked device."""

from __future__ import annotations

import uuid

from keyring.backends import fail

from app.campus_code import DeviceKeyStore, payment_code
from tests.e2e.world import PASSWORD, PIN
from tests.ui.test_screens import balance_of, signed_in_home
from tests.ui.ui_support import has, identifiers, label_or_text, screen_text, tap, type_into
from ui.views.payment_code import PaymentCodeScreen


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def till_charges(client, world, code: str, amount_fen: int) -> dict:
    """The canteen's till charges a code (as the cashier screen does), straight over HTTP."""
    token = client.post("/v1/auth/login", json={"username": "canteen", "password": PASSWORD}).json()["access_token"]
    r = client.post("/v1/campus/charges", json={"merchant_id": world.shops["canteen"].id, "terminal_id": "till-1",
                                                "code": code, "amount_fen": amount_fen},
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code in (201, 202), r.text
    return r.json()


def enter_pin(page, pin: str = PIN) -> None:
    for digit in pin:
        tap(page, f"pin-{digit}")


def code_screen(shell, clock: Clock) -> PaymentCodeScreen:
    screen = PaymentCodeScreen(shell, clock=clock)
    shell.open(screen)
    return screen


def ready_code_screen(make_shell, clock: Clock, care: bool = False):
    shell, page = signed_in_home(make_shell, "xiaoming", care=care)
    screen = code_screen(shell, clock)
    enter_pin(page)
    tap(page, "code-register")
    assert has(page, "code-digits"), identifiers(page)
    return shell, page, screen


def stored_key(shell):
    return shell.session.codes.store().load()


def test_the_device_registers_with_the_pin_and_shows_the_code_made_offline(world, domains, make_shell, keychains):
    clock = Clock(1_800_000_020.0)       # 20 s into a 60-second step
    shell, page = signed_in_home(make_shell, "xiaoming")
    assert "home-code" in identifiers(page)
    screen = code_screen(shell, clock)
    assert "enter your 6-digit payment PIN" in screen_text(page)
    tap(page, "code-register")
    assert label_or_text(page, "error-message") == "The PIN must be exactly 6 digits."
    enter_pin(page)
    tap(page, "code-register")
    key = stored_key(shell)
    assert key is not None and keychains["device"].entries      # only in the (stand-in) OS keychain
    expected = payment_code(key, clock.now)
    assert expected.code.startswith("28") and len(expected.code) == 18
    assert label_or_text(page, "code-digits") == f"Payment code: {expected.grouped}"
    assert label_or_text(page, "code-countdown") == "A new code in 40 s"
    assert has(page, "code-qr") and has(page, "code-brightness") and has(page, "code-hide")
    assert "Show this to the cashier at Shandong University Weihai." in screen_text(page)

    clock.now += 15
    assert screen.tick() is True                # offline: no request, same code, countdown moves
    assert label_or_text(page, "code-countdown") == "A new code in 25 s"
    assert label_or_text(page, "code-digits") == f"Payment code: {expected.grouped}"
    clock.now += 30                              # into the next step: a new code, in place
    screen.tick()
    fresh = payment_code(key, clock.now)
    assert fresh.code != expected.code
    assert label_or_text(page, "code-digits") == f"Payment code: {fresh.grouped}"
    assert label_or_text(page, "code-countdown") == "A new code in 55 s"


def test_hide_takes_the_code_off_the_screen(world, domains, make_shell):
    shell, page, _screen = ready_code_screen(make_shell, Clock(1_800_000_000.0))
    tap(page, "code-hide")
    assert not has(page, "code-digits") and not has(page, "code-qr")
    assert "Your payment code is hidden." in label_or_text(page, "code-hidden")
    tap(page, "code-show")
    assert has(page, "code-digits")


def test_a_till_charges_the_code_and_the_screen_says_it_was_paid(world, domains, make_shell, client):
    import time
    clock = Clock(time.time())                   # the server checks the code against its own clock
    shell, page, screen = ready_code_screen(make_shell, clock)
    before = balance_of(client, "xiaoming")
    charge = till_charges(client, world, screen.code.code, 1_250)
    assert charge["status"] == "completed" and charge["student_masked_name"] == "张*明"
    for _ in range(3):                           # the screen looks for the till's requests every 3 s
        screen.tick()
    assert label_or_text(page, "code-last-charge") == "Paid CN¥12.50 to 第一食堂."
    assert shell.announcement == "Paid CN¥12.50 to 第一食堂."
    assert label_or_text(page, "code-today") == "Spent today CN¥12.50 of your daily limit CN¥300.00."
    assert balance_of(client, "xiaoming") == before - 1_250


def test_a_charge_above_the_pin_free_amount_is_confirmed_with_the_pin_on_the_screen(world, domains, make_shell,
                                                                                      client):
    import time
    clock = Clock(time.time())
    shell, page, screen = ready_code_screen(make_shell, clock, care=True)
    before = balance_of(client, "xiaoming")
    charge = till_charges(client, world, screen.code.code, 6_600)
    assert charge["status"] == "awaiting_confirmation"
    for _ in range(3):
        screen.tick()
    request = label_or_text(page, "code-request")
    assert request == ("第一食堂 asks for CN¥66.00. Enter your payment PIN to pay, or decline.")
    assert shell.announcement == request         # said, not only shown
    assert not has(page, "code-digits")          # nothing else competes with the question
    enter_pin(page, "000000")
    tap(page, "code-confirm")
    assert "wrong" in label_or_text(page, "error-message").lower()
    assert balance_of(client, "xiaoming") == before
    enter_pin(page)
    tap(page, "code-confirm")
    assert label_or_text(page, "code-last-charge") == "Paid CN¥66.00 to 第一食堂."
    assert label_or_text(page, "code-today") == "Spent today CN¥66.00 of your daily limit CN¥300.00."
    assert balance_of(client, "xiaoming") == before - 6_600


def test_declining_a_request_pays_nothing(world, domains, make_shell, client):
    import time
    shell, page, screen = ready_code_screen(make_shell, Clock(time.time()))
    before = balance_of(client, "xiaoming")
    till_charges(client, world, screen.code.code, 9_900)
    for _ in range(3):
        screen.tick()
    tap(page, "code-decline")
    assert label_or_text(page, "code-last-charge") == "CN¥99.00 at 第一食堂 was not paid."
    assert balance_of(client, "xiaoming") == before


def test_someone_without_a_campus_card_is_asked_for_the_activation_code(world, domains, make_shell):
    shell, page = signed_in_home(make_shell, "nainai", care=True)
    assert [i for i in identifiers(page) if i.startswith("home-") and i != "home-balance"] == \
        ["home-pay", "home-code", "home-transfer", "home-history", "home-messages", "home-call",
         "home-family", "home-settings"]
    tap(page, "home-code")
    assert "You have no campus card yet." in screen_text(page)
    tap(page, "code-activate")
    assert label_or_text(page, "error-message") == "Please type the activation code."
    type_into(page, "code-activation", "AAAA-BBBB-CCCC-DDDD")
    tap(page, "code-activate")
    assert label_or_text(page, "error-message") == ("That activation code is not valid. Check it letter by letter, "
                                                    "or ask the card centre for a new one.")


def test_a_device_without_a_safe_keychain_says_so_and_spends_nothing(world, domains, make_shell, keychains, client):
    keychains["device"] = fail.Keyring()
    shell, page = signed_in_home(make_shell, "xiaoming")
    tap(page, "home-code")
    assert "no safe keychain" in label_or_text(page, "code-keychain-missing")
    assert not has(page, "code-register")
    token = client.post("/v1/auth/login", json={"username": "xiaoming", "password": PASSWORD}).json()["access_token"]
    devices = client.get("/v1/campus/me", headers={"Authorization": f"Bearer {token}"}).json()["devices"]
    assert [d["label"] for d in devices] == ["old phone"]       # nothing was registered


def test_a_device_reported_lost_forgets_its_key_and_asks_again(world, domains, make_shell, client):
    shell, page, _screen = ready_code_screen(make_shell, Clock(1_800_000_000.0))
    key = stored_key(shell)
    token = client.post("/v1/auth/login", json={"username": "xiaoming", "password": PASSWORD}).json()["access_token"]
    assert client.delete(f"/v1/campus/me/devices/{key.device_id}",
                         headers={"Authorization": f"Bearer {token}"}).status_code == 204
    shell.back()
    tap(page, "home-code")
    assert has(page, "code-register") and not has(page, "code-digits")
    assert DeviceKeyStore(f"xiaoming@{shell.state.server_url}", backend=shell.session.codes.keychain).load() is None
