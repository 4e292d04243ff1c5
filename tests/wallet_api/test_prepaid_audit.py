"""`anxin audit verify` runs the prepaid escrow invariant: a healthy prepaid world passes, and each
hand edit that breaks a promise to card holders is caught and named."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.cli import main as anxin
from tests.wallet_api.prepaid_world import YUAN, clock, pp  # noqa: F401
from wallet_api.db import transaction


@pytest.fixture
def prepaid_world(pp, app):
    """A full-policy gym with two cards (one used), a ratio salon that withdrew down to its share,
    and a defaulted shop whose holders were refunded."""
    regulator = pp.regulator()
    gym, salon, ghost = (pp.shop("irongym", "Iron Gym"), pp.shop("jade", "Jade Hair Salon", "beauty"),
                         pp.shop("ghost", "Ghost Fitness"))
    ann, ben = pp.api.funded("ann", 3_000 * YUAN), pp.api.funded("ben", 3_000 * YUAN)
    card = pp.card_of(ann, pp.product(gym, face=500 * YUAN)["id"])
    pp.card_of(ben, pp.product(gym, name="b", face=200 * YUAN)["id"])
    pp.charge(gym, card["id"], 3_000)
    pp.set_policy(regulator, salon, "ratio", "scale")
    pp.card_of(ann, pp.product(salon, face=500 * YUAN)["id"])
    assert pp.withdraw(salon, 30_000).status_code == 201
    ghost_card = pp.card_of(ben, pp.product(ghost, face=100 * YUAN)["id"])
    assert pp.default(regulator, ghost).status_code == 201
    return {"gym": gym, "salon": salon, "ghost": ghost, "card": card, "ghost_card": ghost_card, "ann": ann,
            "ben": ben}


def audit(settings, capsys) -> tuple[int, str]:
    code = anxin(["audit", "verify", "--database-url", settings.sqlalchemy_url, "--data-dir", str(settings.data_dir)])
    out = capsys.readouterr()
    return code, out.out + out.err


def sql(app, statement: str, **params) -> None:
    with transaction(app.state.db) as s:
        s.execute(sa.text(statement), params)


def test_a_healthy_prepaid_world_passes_the_audit(prepaid_world, settings, capsys):
    code, output = audit(settings, capsys)
    assert code == 0, output
    assert "prepaid_escrow" in output and "OK:" in output


def test_an_escrow_shortfall_nobody_was_warned_about_is_caught(prepaid_world, app, settings, capsys):
    # Switching the policy behind the service's back: no top-up, no alert.
    sql(app, "UPDATE prepaid_merchants SET escrow_policy = 'full' WHERE merchant_id = :m", m=prepaid_world["salon"].id)
    code, output = audit(settings, capsys)
    assert code == 1
    assert f"prepaid merchant {prepaid_world['salon'].id}: escrow 20000 below the required 100% of 50000" in output


@pytest.mark.parametrize("edit, expected", [
    ("UPDATE prepaid_cards SET holder_user_id = :ben WHERE id = :card", "its account belongs to user"),
    ("UPDATE prepaid_cards SET status = 'closed' WHERE id = :card", "closed but still holds 47000"),
    ("UPDATE prepaid_cards SET refunded_fen = refunded_fen + 1 WHERE id = :ghost_card",
     "is not the 10000 taken off it"),
    ("UPDATE prepaid_cards SET merchant_id = :salon WHERE id = :card", "liability -50000 is not minus its card"),
])
def test_hand_edits_to_cards_are_caught(prepaid_world, app, settings, capsys, edit, expected):
    w = prepaid_world
    sql(app, edit, **{k: v for k, v in {"ben": w["ben"].id, "card": w["card"]["id"],
                                        "ghost_card": w["ghost_card"]["id"], "salon": w["salon"].id}.items()
                      if f":{k}" in edit})
    code, output = audit(settings, capsys)
    assert code == 1 and expected in output, output
