"""The screens driven without a renderer: real handlers, real server, real outcomes."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from app.qr import qr_png
from tests.e2e.world import PASSWORD, PIN
from tests.ui.ui_support import find, has, identifiers, label_or_text, screen_text, shell_over, tap, type_into
from ui.views.home import HomeScreen
from ui.views.pay import PayScreen
from wallet_api.payments.models import Payment


def sign_in(shell, page, username: str, password: str = PASSWORD) -> None:
    type_into(page, "signin-username", username)
    type_into(page, "signin-password", password)
    tap(page, "signin-submit")


def signed_in_home(make_shell, username: str, *, care: bool = False, device: str = "device"):
    shell, page = make_shell(device)
    sign_in(shell, page, username)
    tap(page, "setup-care-on" if care else "setup-care-off")
    assert isinstance(shell.screen, HomeScreen)
    return shell, page


def balance_of(client, username: str) -> int:
    token = client.post("/v1/auth/login", json={"username": username, "password": PASSWORD}).json()["access_token"]
    return client.get("/v1/wallet", headers={"Authorization": f"Bearer {token}"}).json()["balance_fen"]


# ---- signing in ---------------------------------------------------------------------------------

def test_wrong_password_is_a_sentence_not_a_code(world, make_shell):
    shell, page = make_shell()
    sign_in(shell, page, "nainai", "not-her-password")
    assert label_or_text(page, "error-message") == "The username or password is wrong. Check them and try again."
    assert has(page, "signin-submit") and not shell.state.signed_in


def test_empty_sign_in_is_refused_before_any_request(world, make_shell):
    shell, page = make_shell()
    tap(page, "signin-submit")
    assert label_or_text(page, "error-message") == "Please fill in every field."
    assert shell.runner.submitted == 0


def test_first_sign_in_offers_care_mode_once_per_device(world, make_shell, client):
    shell, page = make_shell()
    sign_in(shell, page, "nainai")
    assert {"setup-care-on", "setup-care-off", "setup-skip"} <= set(identifiers(page))
    tap(page, "setup-care-on")
    assert shell.state.prefs.care_mode is True
    token = client.post("/v1/auth/login", json={"username": "nainai", "password": PASSWORD}).json()["access_token"]
    assert client.get("/v1/me/preferences", headers={"Authorization": f"Bearer {token}"}).json()["care_mode"] is True
    again, page2 = make_shell()           # same device: straight home, in care mode from the server
    sign_in(again, page2, "nainai")
    assert isinstance(again.screen, HomeScreen) and again.state.prefs.care_mode
    elsewhere, page3 = make_shell("another-device")
    sign_in(elsewhere, page3, "nainai")
    assert has(page3, "setup-care-on")


def test_register_then_skip_setup(world, make_shell):
    shell, page = make_shell()
    tap(page, "signin-switch")
    type_into(page, "register-display-name", "Zhao Lan")
    type_into(page, "signin-username", "zhaolan")
    type_into(page, "signin-password", "a-long-password")
    tap(page, "signin-submit")
    tap(page, "setup-skip")
    assert shell.state.user.display_name == "Zhao Lan"
    assert label_or_text(page, "home-balance") == "Your balance is CN¥0.00"


def test_language_chosen_at_sign_in_carries_into_setup_and_is_saved(world, make_shell):
    shell, page = make_shell()
    tap(page, "signin-language-zh-CN")
    assert "登录" in screen_text(page)
    sign_in(shell, page, "nainai")
    assert "要打开关怀模式吗？" in screen_text(page)
    tap(page, "setup-care-on")
    assert shell.state.prefs.language == "zh-CN"
    assert label_or_text(page, "home-balance") == "您的余额是 ¥2,982.00"


# ---- home -----------------------------------------------------------------------------------------

def test_care_home_is_a_short_list_and_standard_home_a_grid(world, make_shell):
    care, page = signed_in_home(make_shell, "nainai", care=True)
    actions = [i for i in identifiers(page) if i.startswith("home-") and i != "home-balance"]
    assert actions == ["home-pay", "home-code", "home-transfer", "home-history", "home-messages", "home-call",
                       "home-family", "home-settings"]
    assert "Bills" in screen_text(page) or find(page, "home-history").label == "Bills"
    std, page2 = signed_in_home(make_shell, "lotus", device="shop")
    assert "home-cashier" in identifiers(page2)      # a merchant also gets the cashier


# ---- paying ---------------------------------------------------------------------------------------

def pay_by_code(page, shop_id: int, keys: str) -> None:
    tap(page, "home-pay")
    type_into(page, "pay-merchant-code", str(shop_id))
    tap(page, "pay-find-merchant")
    for key in keys:
        tap(page, "key-dot" if key == "." else f"key-{key}")


def test_elder_pays_by_shop_code_with_the_summary_read_back(world, make_shell, client):
    shell, page = signed_in_home(make_shell, "nainai", care=True)
    before = balance_of(client, "nainai")
    pay_by_code(page, world.shops["lotus"].id, "12.5")
    assert label_or_text(page, "pay-amount") == "Amount: CN¥12.50"
    tap(page, "pay-continue")
    readback = label_or_text(page, "pay-readback")
    assert readback == ("You are about to pay Lotus Noodles (莲花面馆) CN¥12.50. It comes from your Anxin balance: "
                        "CN¥2,982.00 now, CN¥2,969.50 afterwards.")
    assert shell.announcement == readback            # what the voice will say
    tap(page, "pay-confirm")
    assert "Done. You paid" in label_or_text(page, "receipt")
    assert balance_of(client, "nainai") == before - 1250
    assert shell.state.balance_fen == before - 1250
    shell.home()
    tap(page, "home-pay")
    assert has(page, f"pay-recent-{world.shops['lotus'].id}")   # remembered for next time


def test_a_new_device_finds_recent_shops_in_the_history(world, make_shell):
    shell, page = signed_in_home(make_shell, "nainai")
    tap(page, "home-pay")
    lotus = world.shops["lotus"].id
    assert label_or_text(page, f"pay-recent-{lotus}") == "Lotus Noodles (莲花面馆)"
    tap(page, f"pay-recent-{lotus}")
    assert label_or_text(page, "pay-payee") == "Paying Lotus Noodles (莲花面馆)"
    assert [m.id for m in shell.session.recent_merchants()] == [lotus]      # remembered from now on


def test_a_large_payment_asks_for_the_pin_and_a_wrong_pin_says_how_many_tries_are_left(world, make_shell, client):
    shell, page = signed_in_home(make_shell, "nainai")
    before = balance_of(client, "nainai")
    pay_by_code(page, world.shops["lotus"].id, "88")
    tap(page, "pay-continue")
    tap(page, "pay-confirm")
    assert has(page, "pin-dots") and shell.screen.step == "pin"
    for digit in "000000":
        tap(page, f"pin-{digit}")
    assert label_or_text(page, "pin-dots") == "6 of 6 digits entered"
    tap(page, "pin-submit")
    assert label_or_text(page, "error-message") == "That PIN is wrong. You can try 4 more times."
    assert balance_of(client, "nainai") == before
    for digit in PIN:
        tap(page, f"pin-{digit}")
    tap(page, "pin-submit")
    assert has(page, "receipt")
    assert balance_of(client, "nainai") == before - 8800


def test_paying_twice_with_one_draft_pays_once(world, make_session, client, db):
    """A retry after a lost answer reuses the draft's idempotency key: the server answers with
    the first receipt and moves no money again."""
    session = make_session()
    session.sign_in("nainai", PASSWORD)
    draft = session.draft_payment(session.merchant_by_code(str(world.shops["lotus"].id)), 2000)
    first = session.pay(draft)
    second = session.pay(draft)
    assert first.id == second.id
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Payment).where(Payment.amount == 2000)) == 1


def test_pay_by_a_picture_of_the_shops_qr(world, make_shell, client):
    shell, page = signed_in_home(make_shell, "nainai")
    tap(page, "home-pay")
    screen = shell.screen
    assert isinstance(screen, PayScreen)
    screen.scan_picture(qr_png(world.shops["canteen"].qr_payload))
    assert label_or_text(page, "pay-payee") == "Paying SDU Canteen No.1 (第一食堂)"
    for key in "6":
        tap(page, f"key-{key}")
    tap(page, "pay-continue")
    tap(page, "pay-confirm")
    assert has(page, "receipt")
    assert screen.draft.receipt.merchant_id == world.shops["canteen"].id


def test_a_picture_without_a_qr_says_what_to_do(world, make_shell):
    shell, page = signed_in_home(make_shell, "nainai")
    tap(page, "home-pay")
    shell.screen.scan_picture(b"\x89PNG not really")
    assert label_or_text(page, "error-message") == ("We could not find a QR code in that picture. Take a sharper "
                                                    "photo of the whole QR code, or type the shop code.")


def test_unknown_shop_code_and_too_little_money_are_sentences(world, make_shell):
    shell, page = signed_in_home(make_shell, "xiaoming")
    tap(page, "home-pay")
    type_into(page, "pay-merchant-code", "999")
    tap(page, "pay-find-merchant")
    assert label_or_text(page, "error-message") == ("There is no shop with that code. Check the number under the "
                                                    "shop's QR code.")
    type_into(page, "pay-merchant-code", str(world.shops["canteen"].id))
    tap(page, "pay-find-merchant")
    for key in "4000":
        tap(page, f"key-{key}")
    tap(page, "pay-continue")
    tap(page, "pay-confirm")
    if shell.screen.step == "pin":
        for digit in PIN:
            tap(page, f"pin-{digit}")
        tap(page, "pin-submit")
    assert label_or_text(page, "error-message") == ("Your balance is too low for this payment. Your balance is "
                                                    "CN¥300.00. Top up or pay a smaller amount.")


# ---- history, receipt and the journal -------------------------------------------------------------

def test_history_receipt_and_journal_check(world, make_shell, app):
    shell, page = signed_in_home(make_shell, "nainai")
    tap(page, "home-history")
    items = [i for i in identifiers(page) if i.startswith("history-item-")]
    assert len(items) == 3                      # top-up, noodles, money from her son
    noodles = next(i for i in items if "Payment: 莲花面馆" in label_or_text(page, i))
    assert "-CN¥18.00" in label_or_text(page, noodles)
    tap(page, noodles)
    assert label_or_text(page, "receipt-parties") == "From Wang Guihua 王桂花 to 莲花面馆"
    tap(page, "receipt-check")
    assert label_or_text(page, "journal-result") == (
        "Verified on this phone: this is in the wallet's signed journal (checkpoint 1). "
        "Nobody can change it without it showing.")
    # A server that later signs with another key is not trusted: the device pinned the first one.
    pins = shell.session.journal_keys.path
    pins.write_text(pins.read_text().replace(app.state.signer.public_key_hex, "ab" * 32))
    tap(page, "receipt-check")
    assert label_or_text(page, "error-message").startswith(
        "The wallet now signs its journal with a different key than before.")


# ---- messages -------------------------------------------------------------------------------------

def test_messages_in_the_persons_language_and_marked_read(world, make_shell):
    shell, page = signed_in_home(make_shell, "nainai")
    shell.session.save_preferences(language="ko")
    shell.apply_preferences()
    tap(page, "home-messages")
    labels = [label_or_text(page, i) for i in identifiers(page) if i.startswith("message-")]
    assert any("결제했습니다" in label and "새 메시지" in label for label in labels)
    first = next(i for i in identifiers(page) if i.startswith("message-"))
    tap(page, first)
    assert "읽음" in label_or_text(page, first) or "새 메시지" not in label_or_text(page, first)


# ---- settings -------------------------------------------------------------------------------------

def test_settings_change_mode_size_language_and_are_kept_on_the_server(world, make_shell, make_session):
    shell, page = signed_in_home(make_shell, "jianguo")
    tap(page, "home-settings")
    tap(page, "settings-marketing")
    assert shell.state.prefs.marketing_allowed is True
    tap(page, "settings-care")
    assert shell.state.prefs.care_mode is True and shell.state.prefs.marketing_allowed is False
    assert not has(page, "settings-marketing")                     # no promotions in care mode
    assert shell.style.sizes.body >= 18
    tap(page, "settings-text-size-150")
    assert shell.style.sizes.body == pytest.approx(30)
    tap(page, "settings-language-zh-CN")
    assert "关怀模式" in screen_text(page)
    fresh = make_session("other")
    fresh.sign_in("jianguo", PASSWORD)
    assert (fresh.state.prefs.care_mode, fresh.state.prefs.font_scale_percent, fresh.state.prefs.language) == \
        (True, 150, "zh-CN")


def test_sign_out_and_forget_this_device(world, make_shell):
    shell, page = signed_in_home(make_shell, "nainai", care=True)
    tap(page, "home-settings")
    tap(page, "settings-forget")
    assert has(page, "settings-forget-warning")
    tap(page, "settings-forget-yes")
    assert has(page, "signin-submit") and not shell.state.signed_in
    assert shell.state.prefs.care_mode is True          # the sign-in screen keeps her big text
    sign_in(shell, page, "nainai")
    assert has(page, "setup-care-on")                   # the device forgot her: setup again


def test_set_pin_screen_checks_before_sending(world, make_shell):
    shell, page = signed_in_home(make_shell, "xiaoming")
    tap(page, "home-settings")
    tap(page, "settings-set-pin")
    type_into(page, "pin-password", PASSWORD)
    type_into(page, "pin-new", "12345")
    type_into(page, "pin-again", "12345")
    tap(page, "pin-save")
    assert label_or_text(page, "error-message") == "The PIN must be exactly 6 digits."
    type_into(page, "pin-new", "246802")
    type_into(page, "pin-again", "246802")
    tap(page, "pin-save")
    assert has(page, "pin-saved")


# ---- the merchant's cashier -----------------------------------------------------------------------

def test_cashier_shows_todays_takings_and_the_shop_qr(world, make_shell, make_session):
    buyer = make_session("buyer")
    buyer.sign_in("xiaoming", PASSWORD)
    buyer.pay(buyer.draft_payment(buyer.merchant_by_code(str(world.shops["canteen"].id)), 1250))
    shell, page = signed_in_home(make_shell, "canteen", device="till")
    tap(page, "home-cashier")
    assert label_or_text(page, "cashier-today-total") == "Taken today: CN¥12.50; payments: 1"
    assert any(i.startswith("cashier-payment-") for i in identifiers(page))
    tap(page, "cashier-show-qr")
    from app.qr import decode_qr_image
    image = next(c for c in __import__("tests.ui.ui_support", fromlist=["walk"]).walk(find(page, "cashier-qr"))
                 if c.__class__.__name__ == "Image")
    assert decode_qr_image(image.src) == world.shops["canteen"].qr_payload
    assert label_or_text(page, "cashier-code") == f"Shop code {world.shops['canteen'].id}"


# ---- a lost connection --------------------------------------------------------------------------

class LoseFirstPaymentAnswer(httpx.BaseTransport):
    """The server gets the first payment (to `path`) and pays, but its answer never arrives."""

    def __init__(self, inner: httpx.BaseTransport, path: str = "/v1/payments/merchant") -> None:
        self.inner, self.path, self.lost = inner, path, False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST" and request.url.path == self.path and not self.lost:
            self.lost = True
            response.read()
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


def shell_losing_first_answer(client, tmp_path, path: str = "/v1/payments/merchant"):
    """A shell whose connection loses the server's answer to the first payment sent to `path`."""
    flaky = httpx.Client(base_url="http://testserver", transport=LoseFirstPaymentAnswer(client._transport, path))
    return shell_over(flaky, tmp_path)


def test_a_lost_answer_says_so_and_trying_again_never_pays_twice(world, client, tmp_path, db):
    shell, page = shell_losing_first_answer(client, tmp_path)
    sign_in(shell, page, "meili")
    tap(page, "setup-care-on")
    before = balance_of(client, "meili")
    pay_by_code(page, world.shops["lotus"].id, "30")
    tap(page, "pay-continue")
    tap(page, "pay-confirm")
    assert label_or_text(page, "error-message") == ("We could not reach Anxin. Check your connection and try again. "
                                                    "Trying again never pays twice.")
    assert has(page, "pay-confirm")                       # still on the summary, nothing lost
    tap(page, "pay-confirm")
    assert has(page, "receipt")
    assert balance_of(client, "meili") == before - 3000  # paid once, although sent twice
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Payment).where(Payment.amount == 3000)) == 1


def test_only_a_change_of_width_redraws(world, make_shell):
    """A phone keyboard changes the height: redrawing then would steal the focus from the field."""
    shell, page = make_shell()
    type_into(page, "signin-username", "nainai")
    field = find(page, "signin-username")
    page.height = 500
    shell._resized()
    assert find(page, "signin-username") is field          # same control: focus and text stay
    page.width = 800
    shell._resized()
    assert find(page, "signin-username") is not field      # a wider screen: drawn again, at most 480 wide
