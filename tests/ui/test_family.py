"""The Family screens, driven without a renderer against the real server: a son acts for his mother within
his grant (banner on every screen, the read-back says it is for her, her history says he did it) and is
stopped beyond it; the elder edits the grant with switches and ends it after a confirmation; inviting by
name and by one-time QR (typed or as a picture); family cards; the guardian approving after a read-back;
the elder's waiting payment in words, taken back; care mode kept simple."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.errors import PaymentWaiting
from app.family import yuan_to_fen
from app.qr import qr_png
from tests.e2e.family_world import (CARD_CAP_FEN, ELDER, ELDER_NAME, SON, SON_NAME, Family, build_family,
                                    held_payment)
from tests.e2e.world import PIN
from tests.ui.test_screens import balance_of, pay_by_code, signed_in_home
from tests.ui.ui_support import find, has, identifiers, label_or_text, screen_text, tap, type_into
from ui.views.family import FamilyScreen
from ui.views.family_grant import GrantScreen
from ui.views.history import HistoryScreen
from ui.views.home import HomeScreen


@pytest.fixture
def family(client, world) -> Family:
    return build_family(client)


def family_screen(make_shell, username: str, *, care: bool = False):
    shell, page = signed_in_home(make_shell, username, care=care, device=username)
    tap(page, "home-family")
    assert isinstance(shell.screen, FamilyScreen)
    return shell, page


def test_a_son_acts_for_his_mother_within_his_grant_and_is_stopped_beyond_it(world, family, make_shell, client):
    shell, page = family_screen(make_shell, SON)
    words = label_or_text(page, f"family-elder-{family.link_id}")
    assert words.startswith(f"{ELDER_NAME}. Active. You may do this for {ELDER_NAME}:")
    assert "Pay shops and buy prepaid cards" in words and "At most CN¥100.00 per payment" in words
    assert not has(page, "acting-banner")

    tap(page, f"family-act-{family.link_id}")
    assert isinstance(shell.screen, HomeScreen)
    banner = f"You are acting for {ELDER_NAME}. Payments use {ELDER_NAME}'s money."
    assert label_or_text(page, "acting-banner") == banner
    before = balance_of(client, ELDER)
    assert shell.state.balance_fen == before          # her balance on his home

    pay_by_code(page, world.shops["lotus"].id, "35")
    assert label_or_text(page, "acting-banner") == banner     # on every screen, the pay screen too
    tap(page, "pay-continue")
    readback = label_or_text(page, "pay-readback")
    assert readback.startswith(f"You are about to pay Lotus Noodles (莲花面馆) CN¥35.00 for {ELDER_NAME}.")
    assert f"It comes from {ELDER_NAME}'s Anxin balance" in readback
    tap(page, "pay-confirm")                          # no PIN: her grant's limits stand in for it
    assert has(page, "receipt"), identifiers(page)
    assert label_or_text(page, "receipt-done-by") == f"Done by {SON_NAME} for you"   # the receipt says who
    assert label_or_text(page, "receipt").endswith(f"CN¥35.00. Done by {SON_NAME} for you")
    assert balance_of(client, ELDER) == before - 3500

    shell.open(HistoryScreen(shell))                  # her history, seen by him: done by him
    assert f"Done by {SON_NAME} for you" in screen_text(page)
    assert has(page, "acting-banner")

    shell.home()
    pay_by_code(page, world.shops["lotus"].id, "150")
    tap(page, "pay-continue")
    tap(page, "pay-confirm")
    assert label_or_text(page, "error-message") == (
        "This is above the limit set for you. Nothing was paid. The limit is CN¥100.00. "
        "Pay less, or ask them to raise the limit in Family.")
    assert balance_of(client, ELDER) == before - 3500

    shell.home()
    tap(page, "home-family")
    tap(page, "family-stop-acting")
    assert not has(page, "acting-banner") and shell.state.acting_for is None
    assert shell.state.balance_fen == balance_of(client, SON)

    _, page = signed_in_home(make_shell, ELDER, device="her-phone")   # later, on her phone: her receipt of it
    tap(page, "home-history")
    mine = next(i for i in identifiers(page) if i.startswith("history-item-") and "莲花面馆" in label_or_text(page, i)
                and "Done by" in label_or_text(page, i))
    tap(page, mine)
    assert label_or_text(page, "receipt-parties") == f"From {ELDER_NAME} to 莲花面馆"
    assert label_or_text(page, "receipt-done-by") == f"Done by {SON_NAME} for you"


def test_the_elder_edits_the_grant_with_switches_and_ends_it_after_a_confirmation(world, family, make_shell,
                                                                                  make_session):
    shell, page = family_screen(make_shell, ELDER)
    helper = label_or_text(page, f"family-helper-{family.link_id}")
    assert helper.startswith(f"{SON_NAME}. Active. {SON_NAME} may do this for you:")
    tap(page, f"family-edit-{family.link_id}")
    assert isinstance(shell.screen, GrantScreen)
    assert label_or_text(page, "grant-scope-pay_merchants") == "Pay shops and buy prepaid cards: on"
    tap(page, "grant-scope-pay_bills")
    tap(page, "grant-scope-pay_merchants")
    type_into(page, "grant-per-payment", "abc")
    tap(page, "grant-save")
    assert label_or_text(page, "error-message") == "Please type an amount in yuan, for example 100 or 99.50."
    type_into(page, "grant-per-payment", "50")
    tap(page, "grant-duration-month")
    tap(page, "grant-save")
    assert isinstance(shell.screen, FamilyScreen)
    helper = label_or_text(page, f"family-helper-{family.link_id}")
    assert "Pay bills (water, power, gas, phone)" in helper and "Pay shops" not in helper
    assert "At most CN¥50.00 per payment" in helper and "Until " in helper

    tap(page, f"family-end-{family.link_id}")
    assert label_or_text(page, "family-end-question").startswith(f"Stop {SON_NAME} acting for you? It stops at once")
    tap(page, "family-end-no")
    assert has(page, f"family-helper-{family.link_id}")
    tap(page, f"family-end-{family.link_id}")
    tap(page, "family-end-yes")
    assert not has(page, f"family-helper-{family.link_id}")
    assert "Nobody acts for you." in screen_text(page)
    son = make_session("son")
    son.sign_in(SON, "anxin-e2e-2026")
    assert son.family.links().looking_after[0].status == "ended"


def test_inviting_by_name_and_by_a_one_time_qr_typed_or_pictured(world, family, make_shell):
    shell, page = family_screen(make_shell, "meili")
    type_into(page, "family-invite-name", "xiaoming")
    tap(page, "family-invite-send")
    assert shell.announcement == "Zhang Xiaoming 张小明 is invited. They accept in their Family screen."
    tap(page, "family-invite-qr")
    assert has(page, "family-qr")
    payload = shell.screen.invite.qr.payload
    assert payload.startswith("anxin:family-invite:")

    xiaoming, xpage = family_screen(make_shell, "xiaoming")
    invited = xiaoming.screen.overview.links.looking_after[0]
    assert "Can be accepted until " in label_or_text(xpage, f"family-elder-{invited.id}")   # a week from now
    tap(xpage, f"family-accept-{invited.id}")
    assert has(xpage, f"family-act-{invited.id}")

    jianguo, jpage = family_screen(make_shell, "jianguo")
    tap(jpage, "family-join-send")
    assert label_or_text(jpage, "error-message").startswith("Please type the invitation code")
    jianguo.screen.invite.join_from_picture(qr_png(payload))      # the picker's bytes, decoded on the device
    assert jianguo.announcement == "You can now help Chen Meili 陈美丽."
    type_into(jpage, "family-join-code", payload)                 # a second use of the one-time code
    tap(jpage, "family-join-send")
    assert "error-message" in identifiers(jpage)


def test_an_invitation_not_accepted_in_time_shows_as_expired_and_cannot_be_accepted(world, family, make_shell, app):
    shell, page = family_screen(make_shell, "meili")
    type_into(page, "family-invite-name", "xiaoming")
    tap(page, "family-invite-send")
    later = datetime.now(UTC) + timedelta(days=8)       # the server's clock, a week and a day on
    app.state.clock = lambda: later

    xiaoming, xpage = family_screen(make_shell, "xiaoming")
    invited = xiaoming.screen.overview.links.looking_after[0]
    assert label_or_text(xpage, f"family-elder-{invited.id}").startswith(
        "Chen Meili 陈美丽. Invitation expired: it was not accepted in time.")
    assert not has(xpage, f"family-accept-{invited.id}") and has(xpage, f"family-decline-{invited.id}")

    shell.screen.reload()                               # her side: expired too, nothing to edit
    assert label_or_text(page, f"family-helper-{invited.id}").startswith(
        "Zhang Xiaoming 张小明. Invitation expired")
    assert not has(page, f"family-edit-{invited.id}") and has(page, f"family-end-{invited.id}")


def test_family_cards_the_holder_sees_what_is_left_and_the_giver_pauses(world, family, make_shell):
    son, spage = family_screen(make_shell, SON)
    assert label_or_text(spage, f"family-card-given-{family.card_id}") == (
        f"Your family card for {ELDER_NAME}: CN¥300.00 left of CN¥300.00 this month.")
    tap(spage, f"family-card-pause-{family.card_id}")
    assert "is paused" in label_or_text(spage, f"family-card-given-{family.card_id}")
    tap(spage, f"family-card-resume-{family.card_id}")
    type_into(spage, "family-card-holder", "xiaoming")
    type_into(spage, "family-card-cap", "88")
    tap(spage, "family-card-give")
    given = [c for c in son.screen.overview.cards.given if c.holder_username == "xiaoming"][0]
    assert given.monthly_cap_fen == 8800 and given.status == "offered"

    elder, epage = family_screen(make_shell, ELDER, care=True)
    assert label_or_text(epage, f"family-card-held-{family.card_id}") == (
        f"Family card from {SON_NAME}: CN¥300.00 left of CN¥300.00 this month.")
    assert CARD_CAP_FEN == 30_000


def test_the_guardian_approves_after_a_read_back_and_the_elder_sees_why_it_waits(world, family, make_shell,
                                                                                 client):
    pending = held_payment(client, world.shops["canteen"].id)
    elder, epage = family_screen(make_shell, ELDER, care=True)
    waiting = label_or_text(epage, f"family-waiting-{pending['id']}")
    assert waiting.startswith("Waiting: CN¥600.00 to 第一食堂. This is your first payment to 第一食堂, and it is "
                              "more than CN¥500.00.")
    assert f"This payment waits for {SON_NAME}, your guardian, to approve it." in waiting

    son, spage = family_screen(make_shell, SON)
    assert label_or_text(spage, f"family-approval-{pending['id']}").startswith(
        f"{ELDER_NAME} wants to pay 第一食堂 CN¥600.00.")
    tap(spage, f"family-approve-{pending['id']}")
    assert label_or_text(spage, "family-approve-readback") == (
        f"If you approve, 第一食堂 receives CN¥600.00 from {ELDER_NAME}'s money. This cannot be undone.")
    tap(spage, "family-approve-confirm")
    assert son.announcement == "Approved: 第一食堂 receives CN¥600.00."
    decided = son.session.client.pending_payment(pending["id"])
    assert decided.status == "approved" and decided.payment_id is not None     # paid on from the hold
    assert not has(spage, f"family-approval-{pending['id']}")


def test_the_elder_takes_a_waiting_payment_back(world, family, make_shell, client):
    pending = held_payment(client, world.shops["canteen"].id, 55_000)
    before = balance_of(client, ELDER)
    elder, page = family_screen(make_shell, ELDER, care=True)
    tap(page, f"family-take-back-{pending['id']}")
    assert elder.announcement == "Taken back: CN¥550.00 is in your wallet again."
    assert balance_of(client, ELDER) == before + 55_000
    assert not has(page, f"family-waiting-{pending['id']}")


def test_care_mode_is_simple_for_the_elder(world, family, make_shell):
    shell, page = family_screen(make_shell, ELDER, care=True)
    ids = identifiers(page)
    assert f"family-end-{family.link_id}" in ids and f"family-helper-{family.link_id}" in ids
    for absent in ("family-invite-name", "family-card-give", f"family-edit-{family.link_id}", "family-join-code"):
        assert absent not in ids
    end_button = find(page, f"family-end-{family.link_id}")
    assert end_button.content.controls[0].height >= 60


@pytest.mark.parametrize(("typed", "fen"), [("100", 10_000), ("99.5", 9_950), ("¥ 0.07", 7), ("1,5", 150),
                                            ("", None), ("-3", None), ("12.345", None), ("abc", None)])
def test_amounts_typed_in_yuan(typed, fen):
    assert yuan_to_fen(typed) == fen


def test_the_elder_pays_with_her_family_card_and_the_read_back_says_so(world, family, make_shell, client):
    shell, page = signed_in_home(make_shell, ELDER, care=True, device=ELDER)
    hers, his = balance_of(client, ELDER), balance_of(client, SON)
    pay_by_code(page, world.shops["lotus"].id, "20")
    tap(page, "pay-continue")
    assert label_or_text(page, "pay-fund-wallet").startswith("✓ My balance")      # the wallet has enough
    assert "from your Anxin balance" in label_or_text(page, "pay-readback")
    tap(page, f"pay-fund-family_card:{family.card_id}")
    readback = label_or_text(page, "pay-readback")
    assert readback.endswith(f"It is paid from {SON_NAME}'s family card (CN¥300.00 left this month), not from "
                             "your balance.")
    assert label_or_text(page, "summary-from") == f"{SON_NAME}'s family card: CN¥20.00"
    tap(page, "pay-confirm")
    assert has(page, "receipt"), identifiers(page)
    assert (balance_of(client, ELDER), balance_of(client, SON)) == (hers, his - 2000)


def test_a_son_sets_his_mother_up_on_her_phone_and_she_chooses_her_own_password_and_pin(world, make_shell):
    shell, page = family_screen(make_shell, "jianguo")
    tap(page, "family-setup-elder")
    type_into(page, "setup-elder-name", "Li Xiuying 李秀英")
    type_into(page, "setup-elder-username", "xiuying")
    tap(page, "setup-elder-create")
    assert label_or_text(page, "setup-hand-over").startswith("Now give the phone to Li Xiuying 李秀英.")
    assert label_or_text(page, "setup-grant").startswith("Li Jianguo 李建国 may do this for you:")
    tap(page, "setup-elder-agree")
    type_into(page, "setup-elder-password", "her-own-secret-77")
    tap(page, "setup-elder-finish")
    assert label_or_text(page, "error-message") == "The PIN must be exactly 6 digits."
    for digit in "246813":
        tap(page, f"pin-{digit}")
    tap(page, "setup-elder-finish")
    assert isinstance(shell.screen, HomeScreen)
    assert shell.state.username == "xiuying" and shell.state.prefs.care_mode    # the elder, in care mode
    assert shell.announcement == "Your wallet is ready, Li Xiuying 李秀英."
    helpers = shell.session.family.links().looked_after_by
    assert [(h.relative.username, h.status) for h in helpers] == [("jianguo", "active")]


def test_the_elder_names_her_guardian_from_the_app(world, make_shell):
    shell, page = family_screen(make_shell, "meili")
    type_into(page, "family-guardian-name", "xiaoming")
    tap(page, "family-guardian-send")
    assert label_or_text(page, "family-my-guardian") == (
        "You asked Zhang Xiaoming 张小明 to be your safety guardian: waiting for them to accept.")
    other, opage = family_screen(make_shell, "xiaoming")
    invite = other.screen.overview.guardian.i_guard[0]
    tap(opage, f"family-guardian-accept-{invite.id}")
    assert label_or_text(opage, f"family-i-guard-{invite.id}") == "You are Chen Meili 陈美丽's safety guardian."


def test_a_transfer_to_someone_new_waits_and_the_elder_takes_it_back_in_time(world, family, make_shell):
    shell, page = signed_in_home(make_shell, ELDER, care=True, device=ELDER)
    with pytest.raises(PaymentWaiting) as waited:
        shell.session.send("meili", 8_000, "transfer-to-meili-1", pin=PIN)
    pending = waited.value.pending
    tap(page, "home-family")
    waiting = label_or_text(page, f"family-waiting-{pending.id}")
    assert "Transfers to someone new wait 120 minutes" in waiting and "Until then you can take it back." in waiting
    tap(page, f"family-take-back-{pending.id}")
    assert shell.announcement == "Taken back: CN¥80.00 is in your wallet again."


def test_when_the_elder_ends_it_the_son_is_told_and_switched_back(world, family, make_shell, make_session,
                                                                   client):
    shell, page = family_screen(make_shell, SON)
    tap(page, f"family-act-{family.link_id}")
    assert has(page, "acting-banner")
    mother = make_session("mother")
    mother.sign_in(ELDER, "anxin-e2e-2026")
    mother.family.end(mother.family.links().looked_after_by[0])
    shell.home()                                       # his next request for her is refused
    assert label_or_text(page, "error-message") == (
        "This person has ended your permission to act for them. Nothing was done. "
        "Ask them whether you should help again.")
    assert not has(page, "acting-banner") and shell.state.acting_for is None
    assert shell.state.balance_fen == balance_of(client, SON)      # his own balance again
