"""City coupons against the real server, without a renderer: campaigns by industry with the progress
of the issue, a claim, the lottery, and the best coupon proposed in Pay (accepted or declined), with
the subsidy seen at the shop's cashier."""

from __future__ import annotations

from tests.ui.test_payment_code import enter_pin
from tests.ui.test_screens import balance_of, pay_by_code, signed_in_home
import flet as ft

from tests.ui.ui_support import find, has, identifiers, label_or_text, screen_text, tap, walk


def button_words(page, identifier: str) -> str:
    return next(c.content for c in walk(find(page, identifier)) if isinstance(c, ft.Button))


def meili_with_a_coupon_pays_lotus(make_shell, client, world, domains, keys: str):
    """meili claims a spring coupon, then goes to pay Lotus Noodles `keys` (up to the summary)."""
    shell, page = signed_in_home(make_shell, "meili")
    tap(page, "home-coupons")
    tap(page, f"coupons-claim-{domains.spring_campaign_id}")
    shell.home()
    before = balance_of(client, "meili")
    pay_by_code(page, world.shops["lotus"].id, keys)
    tap(page, "pay-continue")
    return shell, page, before


def test_campaigns_by_industry_with_the_progress_of_the_issue_and_a_claim(world, domains, make_shell):
    shell, page = signed_in_home(make_shell, "meili")
    tap(page, "home-coupons")
    spring, lottery = domains.spring_campaign_id, domains.lottery_campaign_id
    assert label_or_text(page, f"coupons-progress-{spring}") == "0 of 50 claimed (0 %)"
    assert "Spend CN¥100.00, save CN¥30.00" in screen_text(page)
    tap(page, "coupons-industry-fitness")
    assert has(page, f"coupons-campaign-{lottery}") and not has(page, f"coupons-campaign-{spring}")
    tap(page, "coupons-industry-all")
    assert "You have no coupons." in screen_text(page)
    tap(page, f"coupons-claim-{spring}")
    claimed = label_or_text(page, "coupons-claimed")
    assert claimed.startswith("You have a coupon: Spend CN¥100.00, save CN¥30.00. Use it by ")
    assert shell.announcement == claimed
    assert label_or_text(page, f"coupons-progress-{spring}") == "1 of 50 claimed (2 %)"
    assert any(i.startswith("coupons-mine-") for i in identifiers(page))


def test_entering_the_lottery_shows_the_ticket(world, domains, make_shell):
    shell, page = signed_in_home(make_shell, "xiaoming")
    tap(page, "home-coupons")
    lottery = domains.lottery_campaign_id
    tap(page, f"coupons-register-{lottery}")
    assert label_or_text(page, f"coupons-ticket-{lottery}") == ("You are in the draw for round 1. The result comes "
                                                               "after registration closes.")
    assert not has(page, f"coupons-register-{lottery}")


def test_pay_proposes_the_best_coupon_and_the_summary_says_who_pays_what(world, domains, make_shell, client):
    shell, page, before = meili_with_a_coupon_pays_lotus(make_shell, client, world, domains, "128")
    assert label_or_text(page, "summary-coupon") == "Weihai Spring Coupons: CN¥30.00 off, paid by the city"
    readback = label_or_text(page, "pay-readback")
    assert readback.startswith("You are about to pay Lotus Noodles (莲花面馆) CN¥128.00. Your coupon from Weihai "
                               "Spring Coupons takes CN¥30.00 off, so you pay CN¥98.00. It comes from your Anxin "
                               "balance: ")
    assert shell.announcement == readback
    assert button_words(page, "pay-confirm") == "Confirm and pay CN¥98.00"
    tap(page, "pay-confirm")
    enter_pin(page)                                  # the PIN threshold applies to the order value
    tap(page, "pin-submit")
    assert label_or_text(page, "receipt") == ("Done. You paid 莲花面馆 CN¥98.00. A city coupon paid CN¥30.00 of the "
                                              "CN¥128.00.")
    assert balance_of(client, "meili") == before - 9_800

    till, till_page = signed_in_home(make_shell, "lotus", device="lotus-till")
    tap(till_page, "home-cashier")
    assert label_or_text(till_page, "cashier-subsidy") == "City coupons paid you CN¥30.00 (1 coupon payments)."


def test_the_coupon_can_be_declined_before_paying(world, domains, make_shell, client):
    shell, page, before = meili_with_a_coupon_pays_lotus(make_shell, client, world, domains, "40")
    assert not has(page, "summary-coupon")           # below the threshold: nothing to propose
    tap(page, "pay-change")
    for key in ("back", "back", "1", "5", "0"):       # CN¥40.00 becomes CN¥150.00
        tap(page, f"key-{key}")
    tap(page, "pay-continue")
    assert has(page, "summary-coupon")
    tap(page, "pay-coupon-decline")
    assert label_or_text(page, "summary-coupon") == "Not used: Weihai Spring Coupons would take CN¥30.00 off"
    assert "coupon" not in label_or_text(page, "pay-readback")
    tap(page, "pay-confirm")
    enter_pin(page)
    tap(page, "pin-submit")
    assert label_or_text(page, "receipt") == "Done. You paid 莲花面馆 CN¥150.00."
    assert balance_of(client, "meili") == before - 15_000
    shell.home()
    tap(page, "home-coupons")
    mine = [label_or_text(page, i) for i in identifiers(page) if i.startswith("coupons-mine-")]
    assert len(mine) == 1 and "Use by " in mine[0]       # still there, unused
