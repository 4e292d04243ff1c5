"""My campus card's settings, driven without a renderer against the real server: reached from My payment
code and from Settings; what pays (the wallet or a linked bank card); the daily limit with today's spending,
changed on the keypad and read back first, out-of-range said in words; "I lost this phone" confirmed before
the phone is removed, after which its codes are refused at the till."""

from __future__ import annotations

import time
import uuid

import flet as ft

from app.campus_code import payment_code
from tests.e2e.world import PASSWORD
from tests.ui.test_payment_code import Clock, ready_code_screen, stored_key, till_charges
from tests.ui.test_screens import signed_in_home
from tests.ui.ui_support import find, has, label_or_text, screen_text, tap, walk
from ui.views.campus_card import CampusCardScreen
from ui.views.payment_code import PaymentCodeScreen


def _button_words(page, identifier: str) -> str:
    return next(c for c in walk(find(page, identifier)) if isinstance(c, ft.Button)).content


def _me(client, username: str = "xiaoming") -> dict:
    token = client.post("/v1/auth/login", json={"username": username, "password": PASSWORD}).json()["access_token"]
    return client.get("/v1/campus/me", headers={"Authorization": f"Bearer {token}"}).json()


def _bank_card_id(client) -> int:
    token = client.post("/v1/auth/login", json={"username": "xiaoming", "password": PASSWORD}).json()["access_token"]
    return client.get("/v1/bank-cards", headers={"Authorization": f"Bearer {token}"}).json()[0]["id"]


def test_settings_show_the_card_and_change_what_pays(world, domains, make_shell, client):
    shell, page = signed_in_home(make_shell, "xiaoming")
    tap(page, "home-settings")
    tap(page, "settings-campus-card")
    assert isinstance(shell.screen, CampusCardScreen)
    assert label_or_text(page, "campus-card-who") == \
        "Campus card of Shandong University Weihai: 张*明, number 202300123."
    assert label_or_text(page, "campus-fund-now") == "Campus payments are paid from: My Anxin balance."
    assert label_or_text(page, "campus-fund-wallet") == "✓ My Anxin balance"    # in words, not colour alone
    bank = _bank_card_id(client)
    tap(page, f"campus-fund-bank-{bank}")
    assert shell.announcement.startswith("Saved: campus payments are now paid from Bank card")
    assert shell.announcement.endswith("ending 0001.")
    assert label_or_text(page, f"campus-fund-bank-{bank}").startswith("✓ Bank card")
    assert label_or_text(page, "campus-fund-now").startswith("Campus payments are paid from: Bank card")
    assert (_me(client)["funding_source"], _me(client)["bank_card_id"]) == ("bank_card", bank)
    tap(page, "campus-fund-wallet")
    assert _me(client)["funding_source"] == "wallet" and _me(client)["bank_card_id"] is None
    assert shell.announcement == "Saved: campus payments are now paid from My Anxin balance."


def test_the_daily_limit_shows_todays_spending_and_is_read_back_before_it_is_saved(world, domains, make_shell,
                                                                                  client):
    clock = Clock(time.time())                   # the server checks the code against its own clock
    shell, page, screen = ready_code_screen(make_shell, clock)
    code = payment_code(stored_key(shell), clock.now).code
    till_charges(client, world, code, 1_250)
    tap(page, "code-card-settings")
    assert label_or_text(page, "campus-limit-today") == \
        "Daily limit CN¥300.00. Spent today CN¥12.50, so CN¥287.50 is left today."
    canteen = world.shops["canteen"].id
    assert label_or_text(page, f"campus-spent-{canteen}") == "Today at SDU Canteen No.1: CN¥12.50 (1 payments)"

    tap(page, "campus-limit-change")
    assert label_or_text(page, "campus-limit-range").startswith(
        "A daily limit is between CN¥0.01 and CN¥5,000.00. Daily limit CN¥300.00. Spent today CN¥12.50")
    assert find(page, "campus-limit-key-1") is not None
    for key in ("6", "0", "0", "0"):
        tap(page, f"campus-limit-key-{key}")
    tap(page, "campus-limit-continue")
    assert label_or_text(page, "error-message") == \
        "That amount cannot be a daily limit. A daily limit is between CN¥0.01 and CN¥5,000.00."
    assert _me(client)["daily_limit_fen"] == 30_000              # nothing sent

    tap(page, "campus-limit-key-back")
    tap(page, "campus-limit-key-back")
    tap(page, "campus-limit-key-back")                            # "6": CN¥6.00, below what was spent today
    tap(page, "campus-limit-continue")
    readback = label_or_text(page, "campus-limit-readback")
    assert readback == ("Your campus card's daily limit becomes CN¥6.00. Today you have spent CN¥12.50, so CN¥0.00 "
                        "is left today. That is already reached: no more campus payments today.")
    assert shell.announcement == readback
    assert _me(client)["daily_limit_fen"] == 30_000              # read back first, saved only on "Save"
    tap(page, "campus-limit-again")
    tap(page, "campus-limit-key-5")
    tap(page, "campus-limit-key-0")
    tap(page, "campus-limit-continue")
    tap(page, "campus-limit-save")
    assert shell.announcement == "Saved: your daily limit is now CN¥50.00."
    assert _me(client)["daily_limit_fen"] == 5_000
    assert label_or_text(page, "campus-limit-today") == \
        "Daily limit CN¥50.00. Spent today CN¥12.50, so CN¥37.50 is left today."


def test_a_lost_phone_is_removed_after_a_confirmation_and_its_codes_are_refused(world, domains, make_shell, client):
    clock = Clock(time.time())
    shell, page, screen = ready_code_screen(make_shell, clock)
    this_device = stored_key(shell).device_id
    old = next(d for d in _me(client)["devices"] if d["label"] == "old phone")
    tap(page, "code-card-settings")
    assert "old phone" in screen_text(page)
    assert label_or_text(page, f"campus-device-{this_device}").endswith("This is the device you are using now.")

    tap(page, f"campus-device-lost-{old['id']}")
    question = label_or_text(page, "campus-lost-question")
    assert question.startswith(f"Remove old phone (number {old['number']:06d}) from your campus card? Its codes stop "
                               "working at once: any code it shows now or later is refused at every till.")
    assert shell.announcement == question
    tap(page, "campus-lost-no")
    assert [d["status"] for d in _me(client)["devices"] if d["id"] == old["id"]] == ["active"]
    tap(page, f"campus-device-lost-{old['id']}")
    tap(page, "campus-lost-yes")
    assert shell.announcement == "Done: old phone is removed. Its codes are refused from now on."
    assert [d["status"] for d in _me(client)["devices"] if d["id"] == old["id"]] == ["revoked"]
    assert label_or_text(page, f"campus-device-{old['id']}").endswith("its codes are refused.")
    assert not has(page, f"campus-device-lost-{old['id']}")
    assert stored_key(shell) is not None                          # this phone still makes codes

    # Now this phone is lost too (removed from another one, say): it says so, and its code is refused.
    code = payment_code(stored_key(shell), clock.now).code
    tap(page, f"campus-device-lost-{this_device}")
    assert label_or_text(page, "campus-lost-question").endswith(
        "It is the device you are using now: it will stop showing codes too.")
    tap(page, "campus-lost-yes")
    assert stored_key(shell) is None                              # its key is forgotten here
    token = client.post("/v1/auth/login", json={"username": "canteen", "password": PASSWORD}).json()["access_token"]
    refused = client.post("/v1/campus/charges", json={"merchant_id": world.shops["canteen"].id, "terminal_id": "t1",
                                                      "code": code, "amount_fen": 500},
                          headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex})
    assert refused.json()["code"] == "campus_device_revoked"
    tap(page, "nav-back")
    assert isinstance(shell.screen, PaymentCodeScreen) and has(page, "code-register")   # set it up again


def test_someone_without_a_campus_card_is_told_how_to_get_one(world, domains, make_shell):
    shell, page = signed_in_home(make_shell, "meili", care=True)
    shell.open(CampusCardScreen(shell))
    assert label_or_text(page, "campus-none").startswith("You have no campus card. Open My payment code")


def test_in_care_mode_every_control_is_a_big_target_with_its_words(world, domains, make_shell, client):
    shell, page = signed_in_home(make_shell, "xiaoming", care=True)
    shell.open(CampusCardScreen(shell))
    old = next(d for d in _me(client)["devices"] if d["label"] == "old phone")
    for identifier in (f"campus-device-lost-{old['id']}", "campus-limit-change"):
        button = next(c for c in walk(find(page, identifier)) if isinstance(c, ft.Button))
        assert button.height >= 60 and button.content, identifier
    choice = find(page, "campus-fund-wallet")       # a whole card to tap, named by its words
    assert choice.button and choice.label == "✓ My Anxin balance"
    assert _button_words(page, f"campus-device-lost-{old['id']}") == "I lost this phone (old phone)"
