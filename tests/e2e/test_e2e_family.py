"""A son acts for his mother in real Chromium: the banner is on every screen, he pays a shop for her within
his grant (the read-back says it is for her, her balance drops, her history says he did it), and a payment
above his per-payment limit is stopped with a sentence that says why and what to do. His mother, in care
mode, sees who helps her and why a payment of hers waits; he approves it as her guardian after a read-back."""

from __future__ import annotations

import httpx
import pytest

from app.i18n import Translator
from tests.e2e.family_world import ELDER, ELDER_NAME, SON, SON_NAME, build_family, held_payment
from tests.e2e.measure import care_mode_shortfalls, measure
from tests.e2e.world import PASSWORD, _login


def her(api: str, path: str) -> dict:
    with httpx.Client(base_url=api, timeout=30) as http:
        return http.get(path, headers=_login(http, ELDER)).json()


def to_summary(app, shop_id: int, yuan: str, banner: str) -> None:
    """Pay → the shop's code → the amount on the keypad → the summary, the banner showing throughout."""
    app.tap("home-pay")
    assert app.words("acting-banner") == banner
    app.type("pay-merchant-code", str(shop_id))
    app.tap("pay-find-merchant")
    for key in yuan:
        app.tap(f"key-{key}")
    app.wait_for_words("pay-amount", f"CN¥{yuan}.00")
    app.tap("pay-continue")


def test_a_son_pays_for_his_mother_within_his_grant_and_is_stopped_beyond_it(app_in_browser, world, family):
    app = app_in_browser
    app.open()
    app.sign_in_home(SON, PASSWORD, care=False)
    app.tap("home-family")
    assert app.wait_for_words(f"family-elder-{family.link_id}", "per payment").startswith(
        f"{ELDER_NAME}. Active. You may do this for {ELDER_NAME}:")
    app.screenshot("70-standard-family")
    app.tap(f"family-act-{family.link_id}")
    banner = f"You are acting for {ELDER_NAME}. Payments use {ELDER_NAME}'s money."
    assert app.wait_for_words("acting-banner", "acting") == banner
    before = her(world.api, "/v1/wallet")["balance_fen"]
    app.wait("home-balance")
    app.screenshot("71-standard-acting-for-mum-home")

    to_summary(app, world.shops["lotus"].id, "35", banner)
    readback = app.wait_for_words("pay-readback", "for")
    assert readback.startswith(f"You are about to pay Lotus Noodles (莲花面馆) CN¥35.00 for {ELDER_NAME}.")
    assert app.words("acting-banner") == banner
    app.screenshot("72-standard-acting-pay-summary")
    app.tap("pay-confirm")
    assert app.wait_for_words("receipt", "Done.").startswith("Done. You paid")
    assert her(world.api, "/v1/wallet")["balance_fen"] == before - 3500
    newest = her(world.api, "/v1/wallet/history?limit=1")["items"][0]
    assert newest["done_by"] == SON_NAME and newest["amount_fen"] == -3500

    app.tap("receipt-done")
    app.tap("home-history")
    assert app.wait_for_words(f"history-item-{newest['transfer_id']}", "Done by").endswith(
        f"Done by {SON_NAME} for you")
    assert app.words("acting-banner") == banner
    app.tap("nav-back")

    to_summary(app, world.shops["lotus"].id, "150", banner)
    app.tap("pay-confirm")
    assert app.wait_for_words("error-message", "limit") == (
        "This is above the limit set for you. Nothing was paid. The limit is CN¥100.00. "
        "Pay less, or ask them to raise the limit in Family.")
    app.screenshot("73-standard-acting-above-the-limit")
    assert her(world.api, "/v1/wallet")["balance_fen"] == before - 3500


def test_the_mother_sees_why_a_payment_waits_and_her_son_approves_it(app_in_browser, world, family):
    with httpx.Client(base_url=world.api, timeout=30) as http:
        pending = held_payment(http, world.shops["canteen"].id)
    app = app_in_browser
    app.open()
    app.sign_in_home(ELDER, PASSWORD, care=True)
    app.tap("home-family")
    waiting = app.wait_for_words(f"family-waiting-{pending['id']}", "guardian")
    assert waiting.startswith("Waiting: CN¥600.00 to 第一食堂. This is your first payment to 第一食堂")
    assert f"waits for {SON_NAME}, your guardian" in waiting
    assert app.wait_for_words(f"family-helper-{family.link_id}", "may do").startswith(
        f"{SON_NAME}. Active. {SON_NAME} may do this for you:")
    app.wait(f"family-end-{family.link_id}")
    app.screenshot("74-care-family")
    assert care_mode_shortfalls(measure(app.page)) == []

    app.tap("nav-back")
    app.tap("home-pay")                      # her family card from him pays a shop, and the read-back says so
    app.type("pay-merchant-code", str(world.shops["lotus"].id))
    app.tap("pay-find-merchant")
    for key in ("2", "0"):
        app.tap(f"key-{key}")
    app.wait_for_words("pay-amount", "CN¥20.00")
    app.tap("pay-continue")
    app.tap(f"pay-fund-family_card:{family.card_id}")
    assert app.wait_for_words("pay-readback", "family card").endswith(
        f"It is paid from {SON_NAME}'s family card (CN¥300.00 left this month), not from your balance.")
    app.screenshot("76-care-pay-with-family-card")
    assert care_mode_shortfalls(measure(app.page)) == []
    app.tap("pay-confirm")
    app.wait("receipt")
    app.tap("receipt-done")
    app.tap("home-settings")
    app.tap("settings-sign-out")
    app.wait("signin-submit")
    app.sign_in_home(SON, PASSWORD, care=False)
    app.tap("home-family")
    assert app.wait_for_words(f"family-approval-{pending['id']}", "wants").startswith(
        f"{ELDER_NAME} wants to pay 第一食堂 CN¥600.00.")
    app.tap(f"family-approve-{pending['id']}")
    assert app.words("family-approve-readback") == (
        f"If you approve, 第一食堂 receives CN¥600.00 from {ELDER_NAME}'s money. This cannot be undone.")
    app.screenshot("75-standard-guardian-approval-read-back")
    app.tap("family-approve-confirm")
    app.idle()
    app.hook(f"family-approval-{pending['id']}").wait_for(state="detached")
    assert her(world.api, f"/v1/pending-payments/{pending['id']}")["status"] == "approved"


# The family screens in Chinese and Korean, for docs/screenshots: each language with a family of its own (so
# nothing above changes), the words checked against the catalogue and the pictures looked at (CJK and Hangul
# drawn with the bundled font, not boxes).
LANGUAGES = [("zh-CN", "chinese", 0, ("guilan_zh", "刘桂兰"), ("dawei_zh", "周大伟")),
             ("ko", "korean", 1, ("sunja_ko", "김순자"), ("minsu_ko", "박민수"))]


@pytest.mark.parametrize(("locale", "language", "offset", "elder", "son"), LANGUAGES,
                         ids=[lang[0] for lang in LANGUAGES])
def test_the_family_screens_in_chinese_and_korean(app_in_browser, world, locale, language, offset, elder, son):
    (elder_user, elder_name), (son_user, son_name) = elder, son
    with httpx.Client(base_url=world.api, timeout=30) as http:
        fam = build_family(http, elder, son)
        pending = held_payment(http, world.shops["canteen"].id, elder=elder_user)
    t = Translator(locale)
    app = app_in_browser
    app.open()
    app.tap(f"signin-language-{locale}")                      # chosen before signing in, as a person would
    app.sign_in_home(son_user, PASSWORD, care=False)
    app.tap("home-family")
    assert app.wait_for_words(f"family-elder-{fam.link_id}", t("family.status.active")).startswith(
        f"{elder_name}. {t('family.status.active')}.")
    app.wait(f"family-approval-{pending['id']}")
    app.screenshot(f"{80 + offset}-standard-family-{language}")

    app.tap(f"family-approve-{pending['id']}")                # the guardian's approval, read back first
    assert app.wait_for_words("family-approve-readback", elder_name) == t(
        "family.approve_readback", payer=elder_name, payee="第一食堂", amount=t.money(60_000))
    app.screenshot(f"{86 + offset}-standard-guardian-approval-read-back-{language}")
    app.tap("family-approve-cancel")

    app.tap(f"family-act-{fam.link_id}")
    banner = t("family.acting_banner", name=elder_name)
    assert app.wait_for_words("acting-banner", elder_name) == banner
    app.wait("home-balance")
    app.screenshot(f"{82 + offset}-standard-acting-for-mum-home-{language}")
    app.tap("home-family")
    app.tap("family-stop-acting")
    app.wait(f"family-act-{fam.link_id}")
    app.tap("nav-back")
    app.tap("home-settings")
    app.tap("settings-sign-out")

    app.wait("signin-submit")                                 # she edits what he may do, on her phone
    app.tap(f"signin-language-{locale}")
    app.sign_in_home(elder_user, PASSWORD, care=False)
    app.tap("home-family")
    assert app.wait_for_words(f"family-helper-{fam.link_id}", son_name).startswith(son_name)
    app.tap(f"family-edit-{fam.link_id}")
    assert app.wait_for_words("grant-save", t("family.grant_save")) == t("family.grant_save")
    app.wait("grant-scope-pay_merchants")
    app.screenshot(f"{84 + offset}-standard-grant-editor-{language}")
