"""The cashier's till against the real server, without a renderer: charging a customer's payment code
(paid at once, or confirmed on the customer's phone), refusals in words, a picture of the code,
selling and charging prepaid cards, refunds, the subsidy line."""

from __future__ import annotations

import time

import httpx

from app.campus_code import payment_code
from app.qr import decode_qr_image
from tests.e2e.world import PIN
from tests.ui.test_screens import balance_of, signed_in_home
from tests.ui.ui_support import find, has, label_or_text, screen_text, tap, type_into
from ui.views.till import ChargeCodeScreen

EXPECTED_WHO = "张*明 (student 202300123)"


def student_code(make_session) -> tuple[object, str]:
    """xiaoming's phone (another device) set up for codes; returns its session and a code made now."""
    from tests.e2e.world import PASSWORD
    session = make_session("xiaoming-phone")
    session.sign_in("xiaoming", PASSWORD)
    key = session.codes.register_this_device(PIN)
    return session, payment_code(key, time.time()).code


def type_amount(page, keys: str, prefix: str = "till-key") -> None:
    for key in keys:
        tap(page, f"{prefix}-dot" if key == "." else f"{prefix}-{key}")


def open_till(make_shell, owner: str, button: str):
    shell, page = signed_in_home(make_shell, owner, device=f"{owner}-till")
    tap(page, "home-cashier")
    tap(page, button)
    return shell, page


def charge(page, code: str, keys: str) -> None:
    type_into(page, "till-code", code)
    type_amount(page, keys)
    tap(page, "till-charge")


def test_the_canteen_charges_a_students_code(world, domains, make_shell, make_session, client):
    _phone, code = student_code(make_session)
    shell, page = open_till(make_shell, "canteen", "cashier-charge-code")
    before = balance_of(client, "xiaoming")
    tap(page, "till-charge")
    assert label_or_text(page, "error-message") == "Please type all 18 digits of the customer's code."
    type_into(page, "till-code", code)
    type_amount(page, "12.5")
    assert label_or_text(page, "till-amount") == "Amount: CN¥12.50"
    tap(page, "till-charge")
    assert label_or_text(page, "till-result") == f"Paid: CN¥12.50 from {EXPECTED_WHO}."
    assert balance_of(client, "xiaoming") == before - 1_250
    # The same code again (a second customer cannot reuse it): refused in words, nothing moves.
    tap(page, "till-next")
    charge(page, code, "3")
    assert label_or_text(page, "error-message").startswith("That payment code was already used.")
    assert balance_of(client, "xiaoming") == before - 1_250
    shell.back()
    assert label_or_text(page, "cashier-today-total").startswith("Taken today: CN¥12.50")


def test_a_larger_charge_waits_for_the_students_pin_then_shows_paid(world, domains, make_shell, make_session):
    phone, code = student_code(make_session)
    shell, page = open_till(make_shell, "canteen", "cashier-charge-code")
    charge(page, code, "66")
    assert label_or_text(page, "till-result") == (f"CN¥66.00 from {EXPECTED_WHO}: waiting for them to confirm "
                                                  "with their PIN on their phone.")
    screen = shell.screen
    assert isinstance(screen, ChargeCodeScreen)
    assert screen.follow() is True               # nothing yet: keep looking
    waiting = phone.codes.charges_since(screen.charge.created_at).waiting
    phone.codes.confirm(waiting[0], PIN, "confirm-once")
    screen.follow()
    assert label_or_text(page, "till-result") == f"Paid: CN¥66.00 from {EXPECTED_WHO}."
    assert screen.follow() is False              # settled: stop looking


def test_a_mistyped_code_is_refused_in_words(world, domains, make_shell):
    shell, page = open_till(make_shell, "canteen", "cashier-charge-code")
    charge(page, "28 0000 0000 0000 0000", "5")
    assert label_or_text(page, "error-message") == ("That payment code is not valid. Check the digits, or scan the "
                                                    "customer's code again.")
    assert not has(page, "till-result")


def test_the_till_reads_the_code_from_a_picture(world, domains, make_shell, make_session):
    _phone, code = student_code(make_session)
    shell, page = open_till(make_shell, "canteen", "cashier-charge-code")
    shell.screen.read_picture(payment_code_picture(code))
    assert shell.screen.code == code
    type_amount(page, "8")
    tap(page, "till-charge")
    assert label_or_text(page, "till-result") == f"Paid: CN¥8.00 from {EXPECTED_WHO}."


def payment_code_picture(code: str) -> bytes:
    from app.qr import qr_png
    return qr_png(code)


def test_the_gym_shows_a_cards_sale_qr_and_charges_a_card(world, domains, make_shell, client):
    shell, page = open_till(make_shell, "irongym", "cashier-cards")
    tap(page, f"till-product-{domains.gym_product_id}")
    assert label_or_text(page, "till-sale-qr") == "QR code to buy 10 classes for CN¥500.00"
    payload = find(page, "till-sale-qr")
    assert payload is not None and f"PREPAID-{domains.gym_product_id}" in shell.screen.showing[1]
    assert decode_qr_image(payment_code_picture(shell.screen.showing[1])) == shell.screen.showing[1]
    tap(page, "till-sale-hide")
    assert not has(page, "till-sale-qr")

    tap(page, "till-card-charge")
    assert label_or_text(page, "error-message") == "Please type the card number and what it is for."
    type_into(page, "till-card-number", str(domains.meili_card_id))
    type_into(page, "till-card-what", "one class")
    type_amount(page, "50", prefix="till-card-key")
    assert label_or_text(page, "till-card-amount") == "Amount: CN¥50.00"
    tap(page, "till-card-charge")
    assert label_or_text(page, "till-card-result") == (
        f"Charged CN¥50.00 to card {domains.meili_card_id}. It now holds CN¥400.00; CN¥50.00 came to you "
        "from escrow.")
    # Too much for what is left: the card's balance is said in words.
    type_into(page, "till-card-number", str(domains.meili_card_id))
    type_into(page, "till-card-what", "a year")
    type_amount(page, "999", prefix="till-card-key")
    tap(page, "till-card-charge")
    assert label_or_text(page, "error-message").startswith("The card does not hold enough: it has CN¥400.00.")


def test_the_shop_refunds_a_payment_after_reading_it_back(world, domains, make_shell, client):
    shell, page = signed_in_home(make_shell, "lotus", device="lotus-till")
    tap(page, "home-cashier")
    assert label_or_text(page, "cashier-subsidy") == "City coupons paid you CN¥0.00 (0 coupon payments)."
    payment = shell.screen.takings.payments[-1]          # nainai's beef noodles, CN¥18.00
    before = balance_of(client, "nainai")
    tap(page, f"cashier-payment-{payment.id}")
    readback = label_or_text(page, "till-refund-readback")
    assert readback.startswith("You are about to refund CN¥18.00 to Wang Guihua 王桂花 for the payment of ")
    assert shell.announcement == readback
    tap(page, "till-refund")
    assert label_or_text(page, "till-refund-done") == "Refunded CN¥18.00 to Wang Guihua 王桂花."
    assert balance_of(client, "nainai") == before + 1_800
    tap(page, "till-done")
    tap(page, f"cashier-payment-{payment.id}")
    assert "refunded in full" in screen_text(page)


class LoseFirstAnswerTo(httpx.BaseTransport):
    """The server gets the first request to `path` and acts on it, but its answer never arrives."""

    def __init__(self, inner: httpx.BaseTransport, path: str) -> None:
        self.inner, self.path, self.lost = inner, path, False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST" and request.url.path == self.path and not self.lost:
            self.lost = True
            response.read()
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


def test_a_lost_answer_at_the_till_charges_the_code_once(world, domains, client, make_session, tmp_path):
    from app.actions import WalletSession
    from app.anxin_client import AnxinClient
    from app.device import DeviceMemory
    from app.journal_trust import PinnedJournalKeys
    from app.session import MemoryTokenStore
    from app.state import AppState
    from tests.e2e.world import PASSWORD
    from tests.ui.test_screens import sign_in
    from tests.ui.ui_support import FakePage, InlineRunner
    from ui.shell import Shell

    _phone, code = student_code(make_session)
    flaky = httpx.Client(base_url="http://testserver",
                         transport=LoseFirstAnswerTo(client._transport, "/v1/campus/charges"))
    session = WalletSession(AnxinClient("http://testserver", http=flaky, tokens=MemoryTokenStore(), retries=0),
                            AppState("http://testserver"), DeviceMemory(tmp_path / "till.json"),
                            PinnedJournalKeys(tmp_path / "keys.json"))
    page = FakePage()
    Shell(page, session, runner=InlineRunner())
    sign_in(None, page, "canteen", PASSWORD)
    tap(page, "setup-care-off")
    tap(page, "home-cashier")
    tap(page, "cashier-charge-code")
    before = balance_of(client, "xiaoming")
    charge(page, code, "9")
    assert label_or_text(page, "error-message").startswith("We could not reach Anxin.")
    assert balance_of(client, "xiaoming") == before - 900      # the server did charge
    tap(page, "till-charge")                                   # the cashier tries again: same request, same key
    assert label_or_text(page, "till-result") == f"Paid: CN¥9.00 from {EXPECTED_WHO}."
    assert balance_of(client, "xiaoming") == before - 900      # once
