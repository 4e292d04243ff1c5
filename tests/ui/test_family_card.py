"""A family card I give, driven without a renderer against the real server: its monthly cap changed on the
keypad within the range this server's settings allow (said in words first, and refused in words outside
it), read back with what is left this month before it is saved; closing it only after a confirmation that
states the consequences, after which the holder can no longer pay with it."""

from __future__ import annotations

import flet as ft
import pytest

from tests.e2e.family_world import ELDER, ELDER_NAME, SON, Family, build_family
from tests.e2e.world import PASSWORD
from tests.ui.test_screens import pay_by_code, signed_in_home
from tests.ui.ui_support import find, has, identifiers, label_or_text, tap, walk
from ui.views.family import FamilyScreen
from ui.views.family_card import FamilyCardScreen


@pytest.fixture
def family(client, world) -> Family:
    return build_family(client)


def _given(client, card_id: int) -> dict:
    token = client.post("/v1/auth/login", json={"username": SON, "password": PASSWORD}).json()["access_token"]
    cards = client.get("/v1/family-cards", headers={"Authorization": f"Bearer {token}"}).json()
    return next(c for c in cards["given"] if c["id"] == card_id)


def _manage(make_shell, card_id: int, *, care: bool = False):
    shell, page = signed_in_home(make_shell, SON, care=care, device=SON)
    if care:                        # the care Family screen keeps to what the person holds; the screen is the same
        shell.open(FamilyScreen(shell))
        cards = shell.screen.overview.cards
        card = next(c for c in cards.given if c.id == card_id)
        shell.open(FamilyCardScreen(shell, card, cards.cap_min_fen, cards.cap_max_fen))
    else:
        tap(page, "home-family")
        tap(page, f"family-card-manage-{card_id}")
    assert isinstance(shell.screen, FamilyCardScreen)
    return shell, page


def _type(page, digits: str) -> None:
    for key in digits:
        tap(page, f"family-cap-key-{key}")


def test_the_giver_changes_the_cap_within_the_servers_range_after_a_read_back(world, family, make_shell, client):
    elder, epage = signed_in_home(make_shell, ELDER, care=True, device=ELDER)
    pay_by_code(epage, world.shops["lotus"].id, "20")
    tap(epage, "pay-continue")
    tap(epage, f"pay-fund-family_card:{family.card_id}")
    tap(epage, "pay-confirm")                                 # CN¥20.00 of this month's cap used

    shell, page = _manage(make_shell, family.card_id)
    assert shell.screen.title() == f"Family card for {ELDER_NAME}"
    assert label_or_text(page, "family-card-now") == \
        f"Your family card for {ELDER_NAME}: CN¥280.00 left of CN¥300.00 this month."
    tap(page, "family-card-cap-change")
    assert label_or_text(page, "family-cap-range") == \
        "A monthly cap is between CN¥0.01 and CN¥3,000.00. Now it is CN¥300.00; CN¥20.00 has been spent this month."
    _type(page, "5000")
    tap(page, "family-cap-continue")
    assert label_or_text(page, "error-message").startswith(
        "That amount cannot be a monthly cap. A monthly cap is between CN¥0.01 and CN¥3,000.00.")
    assert _given(client, family.card_id)["monthly_cap_fen"] == 30_000           # nothing sent
    for _ in range(4):
        tap(page, "family-cap-key-back")
    _type(page, "10")
    tap(page, "family-cap-continue")
    readback = label_or_text(page, "family-cap-readback")
    assert readback == (f"{ELDER_NAME} will be able to spend up to CN¥10.00 a month with your card. This month "
                        "CN¥20.00 has been spent, so CN¥0.00 is left until the month ends. The money comes from your "
                        f"balance only when {ELDER_NAME} pays. That is already reached: the card pays nothing more "
                        "this month.")
    assert shell.announcement == readback
    tap(page, "family-cap-again")
    _type(page, "100")
    tap(page, "family-cap-continue")
    assert "so CN¥80.00 is left until the month ends" in label_or_text(page, "family-cap-readback")
    assert _given(client, family.card_id)["monthly_cap_fen"] == 30_000           # read back, not yet saved
    tap(page, "family-cap-save")
    assert shell.announcement == f"Saved: {ELDER_NAME} can now spend up to CN¥100.00 a month with your card."
    assert _given(client, family.card_id)["monthly_cap_fen"] == 10_000
    assert label_or_text(page, "family-card-now") == \
        f"Your family card for {ELDER_NAME}: CN¥80.00 left of CN¥100.00 this month."


def test_the_range_said_is_the_servers_setting(world, family, make_shell, settings):
    settings.family_card_min_cap_fen, settings.family_card_max_cap_fen = 1_000, 50_000
    shell, page = _manage(make_shell, family.card_id)
    tap(page, "nav-back")
    assert label_or_text(page, "family-card-give-range") == \
        "The monthly limit can be between CN¥10.00 and CN¥500.00."      # before giving a new card too
    tap(page, f"family-card-manage-{family.card_id}")
    tap(page, "family-card-cap-change")
    assert label_or_text(page, "family-cap-range").startswith("A monthly cap is between CN¥10.00 and CN¥500.00.")
    _type(page, "5")
    tap(page, "family-cap-continue")
    assert label_or_text(page, "error-message").startswith("That amount cannot be a monthly cap.")


def test_closing_states_the_consequences_first_and_then_the_card_cannot_pay(world, family, make_shell, client):
    shell, page = _manage(make_shell, family.card_id)
    tap(page, "family-card-close")
    question = label_or_text(page, "family-card-close-question")
    assert question == (f"Close the family card you give {ELDER_NAME}? From now on {ELDER_NAME} cannot pay with it, "
                        "and nothing more will be paid from your balance through it. Payments already made stay as "
                        "they are, and refunds of them still come back to you. A closed card cannot be opened again: "
                        f"to help again you would give a new card, which {ELDER_NAME} must accept.")
    assert shell.announcement == question
    tap(page, "family-card-close-no")
    assert _given(client, family.card_id)["status"] == "active" and has(page, "family-card-cap-change")
    tap(page, "family-card-close")
    tap(page, "family-card-close-yes")
    assert label_or_text(page, "family-card-closed") == \
        f"Done: the family card for {ELDER_NAME} is closed. {ELDER_NAME} has been told."
    assert _given(client, family.card_id)["status"] == "closed"
    tap(page, "family-card-closed-back")
    assert isinstance(shell.screen, FamilyScreen)
    assert not has(page, f"family-card-manage-{family.card_id}"), identifiers(page)

    elder, _epage = signed_in_home(make_shell, ELDER, care=True, device=ELDER)
    assert [c.funding for c in elder.session.funding_choices(1_000)] == ["wallet"]   # the card pays no more


def test_care_mode_controls_are_big_and_named(world, family, make_shell):
    shell, page = _manage(make_shell, family.card_id, care=True)
    for identifier in ("family-card-cap-change", "family-card-close"):
        button = next(c for c in walk(find(page, identifier)) if isinstance(c, ft.Button))
        assert button.height >= 60 and button.content, identifier
    tap(page, "family-card-cap-change")
    assert find(page, "family-cap-key-1").content.height >= 60
