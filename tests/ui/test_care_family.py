"""Care mode's family rows, driven without a renderer against the real server: the care home lists the core
actions in order; Wang Guihua sends her helper money (read back, PIN, receipt; moved once, also when the
answer is lost and she tries again); a transfer the guardian's delay holds is said in words; with no
relative she is told to ask one to join in Family; Call my family dials the number the server sends for
her son (tel:), and says plainly when Anxin knows no number."""

from __future__ import annotations

import flet as ft
from sqlalchemy import func, select

from tests.e2e.family_world import ELDER, SON, SON_NAME, SON_PHONE, build_family
from tests.e2e.world import PASSWORD, PIN
from tests.ui.test_screens import balance_of, shell_losing_first_answer, sign_in, signed_in_home
from tests.ui.ui_support import everything, find, has, identifiers, label_or_text, tap
from ui.views.family import FamilyScreen
from ui.views.family_transfer import CallFamilyScreen, TransferScreen, tel_url
from ui.views.home import HomeScreen
from wallet_api.payments.models import Payment

HELPER, HELPER_NAME = "xiaoming", "Zhang Xiaoming 张小明"


def link_helper(make_session, elder: str = "nainai", relative: str = HELPER) -> None:
    """The elder invites a relative in Family and the relative accepts (both through the real API)."""
    her, him = make_session(f"{elder}-phone"), make_session(f"{relative}-phone")
    her.sign_in(elder, PASSWORD)
    him.sign_in(relative, PASSWORD)
    link = her.family.invite(relative)
    him.family.accept(link)


def send_on_keypad(page, relative: str, keys: str) -> None:
    tap(page, "home-transfer")
    tap(page, f"transfer-to-{relative}")
    for key in keys:
        tap(page, f"key-{key}")
    tap(page, "transfer-continue")


def give_pin(page) -> None:
    """Above 50 CNY the server asks for the payment PIN; the screen asks her for it."""
    assert has(page, "pin-dots"), identifiers(page)
    for digit in PIN:
        tap(page, f"pin-{digit}")
    tap(page, "pin-submit")


def test_the_care_home_lists_the_core_rows_in_order(world, make_shell):
    shell, page = signed_in_home(make_shell, "nainai", care=True)
    rows = [i for i in identifiers(page) if i.startswith("home-") and i != "home-balance"]
    assert rows == ["home-pay", "home-code", "home-transfer", "home-history", "home-messages", "home-call",
                    "home-family", "home-settings"]
    assert [label_or_text(page, i) for i in rows] == ["Pay", "Payment code", "Transfer to family", "Bills", "Messages",
                                                      "Call my family", "Family", "Settings"]
    # The six core rows are one care target tall; Family and Settings share one row of two buttons, each still
    # a full target with the care button words (so the home fits a phone's screen).
    assert {find(page, i).content.height for i in rows[:6]} == {shell.kit.s.target} and shell.kit.s.target >= 60
    pair = [c for c in everything(page) if isinstance(c, ft.Row)
            and [getattr(x, "identifier", None) for x in c.controls] == ["home-family", "home-settings"]]
    assert len(pair) == 1
    for cell in pair[0].controls:
        assert cell.content.height >= 60 and cell.content.style.text_style.size >= 18


def test_with_larger_text_family_and_settings_are_whole_rows_again(world, make_shell):
    shell, page = signed_in_home(make_shell, "nainai", care=True)
    tap(page, "home-settings")
    tap(page, "settings-text-size-130")
    shell.home()
    assert not any(isinstance(c, ft.Row) and any(getattr(x, "identifier", None) == "home-settings" for x in c.controls)
                   for c in everything(page))
    assert find(page, "home-settings").label == "Settings" and find(page, "home-settings").content.height >= 60


def test_a_transfer_to_her_helper_is_read_back_and_moves_money_once(world, make_shell, make_session, client, db):
    link_helper(make_session)
    shell, page = signed_in_home(make_shell, "nainai", care=True)
    before, his_before = balance_of(client, "nainai"), balance_of(client, HELPER)
    send_on_keypad(page, HELPER, "88")
    assert isinstance(shell.screen, TransferScreen)
    readback = label_or_text(page, "transfer-readback")
    assert readback == (f"You are about to send CN¥88.00 to {HELPER_NAME}. It comes from your Anxin balance: "
                        f"{shell.t.money(before)} now, {shell.t.money(before - 8800)} afterwards.")
    assert shell.announcement == readback            # said aloud in care mode
    tap(page, "transfer-confirm")
    give_pin(page)
    assert has(page, "receipt"), identifiers(page)
    assert find(page, "receipt").label == f"Done. You sent {HELPER_NAME} CN¥88.00."
    assert balance_of(client, "nainai") == before - 8800 and balance_of(client, HELPER) == his_before + 8800
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Payment).where(Payment.amount == 8800)) == 1
    tap(page, "receipt-done")
    assert isinstance(shell.screen, HomeScreen)


def test_a_retry_after_a_lost_answer_reuses_the_key_and_sends_once(world, client, tmp_path, make_session, db):
    link_helper(make_session)
    shell, page = shell_losing_first_answer(client, tmp_path, "/v1/payments/p2p")
    sign_in(shell, page, "nainai")
    tap(page, "setup-care-on")
    before = balance_of(client, "nainai")
    send_on_keypad(page, HELPER, "42")
    key = shell.screen.draft.idempotency_key
    tap(page, "transfer-confirm")                         # 42 CNY: no PIN asked; the server sends it, the answer is lost
    assert label_or_text(page, "error-message") == ("We could not reach Anxin. Check your connection and try again. "
                                                    "Trying again never pays twice.")
    assert has(page, "transfer-confirm")                  # still on the summary, nothing lost
    tap(page, "transfer-confirm")
    assert has(page, "receipt"), identifiers(page)
    assert shell.screen.draft.idempotency_key == key
    assert balance_of(client, "nainai") == before - 4200  # sent once, although sent twice
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Payment).where(Payment.amount == 4200)) == 1


def test_a_transfer_her_guardian_delays_is_said_in_words(world, client, make_shell, make_session):
    build_family(client)             # her son is her safety guardian: transfers to someone new wait a while
    link_helper(make_session, elder=ELDER, relative="meili")      # a niece she never sent money to
    shell, page = signed_in_home(make_shell, ELDER, care=True, device=ELDER)
    meili_before = balance_of(client, "meili")
    send_on_keypad(page, "meili", "80")
    tap(page, "transfer-confirm")
    give_pin(page)
    waiting = label_or_text(page, "transfer-waiting")
    assert waiting.startswith("Not sent yet: CN¥80.00 to Chen Meili 陈美丽 is waiting.")
    assert "Until then you can take it back." in waiting
    assert shell.announcement == waiting and not has(page, "receipt")
    assert balance_of(client, "meili") == meili_before      # nothing arrived yet
    tap(page, "care-open-family")                        # where she can take it back
    assert isinstance(shell.screen, FamilyScreen)


def test_with_no_relative_she_is_told_to_ask_one_to_join_in_family(world, make_shell):
    shell, page = signed_in_home(make_shell, "meili", care=True)
    for row in ("home-transfer", "home-call"):
        shell.home()
        tap(page, row)
        assert label_or_text(page, "care-family-nobody") == (
            "Nobody from your family is linked to you yet. Ask a son, daughter or other relative to join you "
            "in Family.")
        tap(page, "care-open-family")
        assert isinstance(shell.screen, FamilyScreen)


def test_call_my_family_says_in_words_when_no_number_is_known(world, make_shell, make_session):
    link_helper(make_session)                 # Xiaoming gave no phone number at sign-up
    shell, page = signed_in_home(make_shell, "nainai", care=True)
    tap(page, "home-call")
    assert isinstance(shell.screen, CallFamilyScreen)
    assert label_or_text(page, f"call-none-{HELPER}") == (
        f"Anxin has no phone number for {HELPER_NAME}, so it cannot call them from here. "
        f"Call {HELPER_NAME} from your phone's own contacts.")
    assert not has(page, f"call-{HELPER}")


def test_call_my_family_dials_the_number_the_server_sends_for_her_son(world, client, make_shell):
    build_family(client)                      # her son Dawei gave his number at sign-up; their link is active
    shell, page = signed_in_home(make_shell, ELDER, care=True, device=ELDER)
    launched = []
    page.run_task = lambda fn, *args, **kw: launched.append((fn, args))     # what the page's loop would run
    tap(page, "home-call")
    assert [p.phone for p in shell.screen.relatives] == [SON_PHONE]    # from the family links API, not made up
    assert label_or_text(page, f"call-number-{SON}") == f"Phone: {SON_PHONE}"
    assert not has(page, f"call-none-{SON}")
    button = find(page, f"call-{SON}").content.controls[0]            # its words are its accessible name
    assert button.content == f"Call {SON_NAME}" and button.height >= 60
    tap(page, f"call-{SON}")
    [(fn, args)] = [(fn, args) for fn, args in launched if fn.__name__ == "launch_url"]
    assert isinstance(fn.__self__, ft.UrlLauncher) and fn.__name__ == "launch_url"
    assert args == (f"tel:{SON_PHONE}",)


def test_a_tel_url_keeps_only_the_digits_and_the_plus():
    assert tel_url("+86 138-0013-8000") == "tel:+8613800138000"
    assert tel_url("(0631) 567 8900") == "tel:06315678900"
