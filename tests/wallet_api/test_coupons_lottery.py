"""Lottery campaigns through the API and `anxin coupons verify-draw`, on SQLite and PostgreSQL:
commitment before registration, one entry per natural person, the draw, roll-over of non-winners,
and a published record that anyone can recompute — and that exposes a changed list or seed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from app.cli import main as anxin
from wallet_api.audit import full_audit
from wallet_api.coupons import lottery
from wallet_api.ledger.signing import load_or_create_signer

from tests.helpers import Person
from tests.wallet_api.coupons_support import (claim, fund, make_due, make_issuer, resident, verify, when)
from tests.wallet_api.test_coupons_api import audit_ok

SEED = "9f2c4e6a8b0d1f3e5a7c9e1b3d5f7a9c"


def lottery_body(**over: Any) -> dict[str, Any]:
    body = {"name": "Weihai Fitness Lottery", "categories": ["fitness"], "region": "weihai",
            "shape": "no_threshold", "threshold_fen": 0, "value_fen": 2_000, "total_quantity": 4,
            "subsidy_budget_fen": 8_000, "claim_mode": "lottery", "per_person_cap": 1, "validity_days": 15,
            "rollover_non_winners": True,
            "batches": [{"release_at": when(hours=1), "quantity": 2}, {"release_at": when(days=2), "quantity": 2}]}
    return body | over


@dataclass
class Draw:
    city: Person
    campaign: dict[str, Any]
    people: list[Person]


def start(api, db, *, residents: int = 5, funding: int = 8_000, **over: Any) -> Draw:
    city = make_issuer(api, db)
    r = api.c.post("/v1/coupons/campaigns", json=lottery_body(**over), headers=city.headers)
    assert r.status_code == 201, r.text
    campaign = r.json()
    assert fund(api, city, campaign["id"], funding).status_code == 201
    people = [resident(api, f"resident{i}", 100 + i) for i in range(residents)]
    return Draw(city, campaign, people)


def url(draw: Draw, tail: str = "") -> str:
    return f"/v1/coupons/campaigns/{draw.campaign['id']}{tail}"


def commit(api, draw: Draw, round_no: int, seed: str = SEED):
    return api.c.post(url(draw, f"/rounds/{round_no}/commitment"), json={"commitment": lottery.commitment_of(seed)},
                      headers=draw.city.headers)


def register(api, person: Person, draw: Draw):
    return api.c.post(url(draw, "/registrations"), headers=person.headers)


def reveal(api, draw: Draw, round_no: int, seed: str = SEED):
    return api.c.post(url(draw, f"/rounds/{round_no}/draw"), json={"seed": seed}, headers=draw.city.headers)


def record(api, draw: Draw, round_no: int) -> dict[str, Any]:
    r = api.c.get(url(draw, f"/rounds/{round_no}"), headers=draw.people[0].headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_lottery_round_from_commitment_to_coupons(api, app, db):
    draw = start(api, db)
    alice = draw.people[0]
    r = register(api, alice, draw)
    assert (r.status_code, r.json()["code"]) == (409, "lottery_commitment_required")
    assert commit(api, draw, 1).status_code == 201
    assert commit(api, draw, 1, "00" * 16).json()["code"] == "lottery_commitment_exists"

    tickets = {}
    for person in draw.people:
        r = register(api, person, draw)
        assert r.status_code == 201, r.text
        tickets[person.username] = r.json()["ticket"]
    assert register(api, alice, draw).json()["ticket"] == tickets[alice.username]   # once per person ...
    twin = api.register("alicetwin")
    verify(api, twin, 100)                                                              # ... across accounts
    assert register(api, twin, draw).json()["ticket"] == tickets[alice.username]
    assert register(api, api.register("anon"), draw).json()["code"] == "real_name_required"
    assert claim(api, alice, draw.campaign["id"]).json()["code"] == "coupon_wrong_claim_mode"
    assert reveal(api, draw, 1).json()["code"] == "lottery_not_closed"
    before_close = record(api, draw, 1)
    assert before_close["registrants"] is None and before_close["seed"] is None

    make_due(db, draw.campaign["id"], 1)   # registration closes
    late = resident(api, "late", 200)
    assert register(api, late, draw).json()["code"] == "lottery_registration_closed"
    closed = record(api, draw, 1)
    assert closed["registrants"] == sorted(tickets.values()) and closed["seed"] is None
    assert closed["registrants_hash"] == lottery.registrants_hash(tickets.values())

    assert reveal(api, draw, 1, "ab" * 16).json()["code"] == "lottery_seed_mismatch"
    r = reveal(api, draw, 1)
    assert r.status_code == 200, r.text
    result = r.json()
    expected = lottery.winners(SEED, sorted(tickets.values()), 2)
    assert result["winners"] == expected and result["winners_count"] == 2 and result["seed"] == SEED
    assert result["registrants_hash"] == closed["registrants_hash"]
    assert reveal(api, draw, 1).json() == result                       # the same draw, repeated
    assert reveal(api, draw, 1, "cd" * 16).json()["code"] == "lottery_already_drawn"

    for person in draw.people:
        mine = api.c.get(url(draw, "/registrations/mine"), headers=person.headers).json()
        coupons = api.c.get("/v1/coupons/mine", headers=person.headers).json()
        if tickets[person.username] in expected:
            assert mine[0]["status"] == "won" and [c["id"] for c in coupons] == [mine[0]["coupon_id"]]
            assert coupons[0]["source"] == "lottery"
            assert "You won a coupon" in api.notifications(person)[0]["text"]
        else:   # rolled into round 2 with the same ticket
            assert [(m["round"], m["status"], m["ticket"]) for m in mine] == \
                [(1, "rolled_over", tickets[person.username]), (2, "registered", tickets[person.username])]
            assert coupons == []

    assert commit(api, draw, 2, "12" * 20).status_code == 201
    winners = [p for p in draw.people if tickets[p.username] in expected]
    assert [register(api, p, draw).json()["code"] for p in winners] == ["coupon_cap_reached"] * 2   # cap of 1
    make_due(db, draw.campaign["id"], 2)
    second = reveal(api, draw, 2, "12" * 20).json()
    assert second["registrants"] == sorted(t for t in tickets.values() if t not in expected)
    assert second["winners"] == lottery.winners("12" * 20, second["registrants"], 2)
    assert lottery.verify_record(second).ok
    stats = api.c.get("/v1/coupons/stats", headers=draw.city.headers).json()["campaigns"][0]
    assert (stats["released"], stats["claimed"]) == (4, 4)
    audit_ok(app)


def test_non_winners_stay_out_when_the_campaign_does_not_roll_over(api, db):
    draw = start(api, db, residents=3, rollover_non_winners=False)
    commit(api, draw, 1)
    for person in draw.people:
        register(api, person, draw)
    make_due(db, draw.campaign["id"], 1)
    result = reveal(api, draw, 1).json()
    status = {p.username: api.c.get(url(draw, "/registrations/mine"), headers=p.headers).json()
              for p in draw.people}
    assert sorted(s[0]["status"] for s in status.values()) == ["lost", "won", "won"]
    assert all(len(s) == 1 for s in status.values())   # nobody was entered in round 2
    (loser,) = [p for p in draw.people if status[p.username][0]["status"] == "lost"]
    assert status[loser.username][0]["ticket"] not in result["winners"]
    assert api.notifications(loser)[0]["text"].startswith("You were not drawn")


def test_a_round_the_budget_only_partly_pays_for_draws_fewer_winners(api, db):
    draw = start(api, db, residents=4, funding=2_000)   # one coupon's worth
    commit(api, draw, 1)
    for person in draw.people:
        register(api, person, draw)
    make_due(db, draw.campaign["id"], 1)
    result = reveal(api, draw, 1).json()
    assert (result["quantity"], result["winners_count"]) == (1, 1)
    assert lottery.verify_record(result).ok


@pytest.fixture
def drawn(api, db) -> tuple[Draw, dict[str, Any]]:
    draw = start(api, db, residents=6)
    commit(api, draw, 1)
    for person in draw.people:
        register(api, person, draw)
    make_due(db, draw.campaign["id"], 1)
    return draw, reveal(api, draw, 1).json()


def run_verify(capsys, *args: str) -> tuple[int, str]:
    code = anxin(["coupons", "verify-draw", *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_verify_draw_recomputes_a_published_record(api, settings, tmp_path, capsys, drawn):
    draw, result = drawn
    path = tmp_path / "round1.json"
    path.write_text(json.dumps(record(api, draw, 1)))
    code, out = run_verify(capsys, str(path), "--commitment", lottery.commitment_of(SEED))
    assert code == 0 and "OK: the seed matches the commitment" in out and "6 registrants, 2 winners" in out

    db_args = ["--database-url", settings.sqlalchemy_url, "--data-dir", str(settings.data_dir)]
    code, out = run_verify(capsys, "--campaign", str(draw.campaign["id"]), "--round", "1", *db_args,
                           "--ticket", result["winners"][0])
    assert code == 0 and f"ticket {result['winners'][0]} is registered and WON" in out
    code, out = run_verify(capsys, "--campaign", "999", "--round", "1", *db_args)
    assert code == 2 and "no coupon campaign 999" in out


TAMPERINGS = ["drop_registrant", "add_registrant", "other_seed", "swap_winner", "fewer_winners"]


def tampered(honest: dict[str, Any], how: str) -> dict[str, Any]:
    changed = json.loads(json.dumps(honest))
    losers = [t for t in honest["registrants"] if t not in honest["winners"]]
    if how == "drop_registrant":
        changed["registrants"].remove(losers[0])
    elif how == "add_registrant":
        changed["registrants"] = sorted([*changed["registrants"], "00" * 8])
    elif how == "other_seed":
        changed["seed"] = "77" * 16
    elif how == "swap_winner":
        changed["winners"][0] = losers[0]
    else:
        changed["winners"], changed["winners_count"] = changed["winners"][:1], 1
    return changed


def test_verify_draw_exits_non_zero_when_the_record_was_changed(api, tmp_path, capsys, drawn):
    draw, _result = drawn
    honest = record(api, draw, 1)
    for how in TAMPERINGS:
        path = tmp_path / f"{how}.json"
        path.write_text(json.dumps(tampered(honest, how)))
        code, out = run_verify(capsys, str(path), "--registrants-hash", honest["registrants_hash"])
        assert code == 1 and "FAILED:" in out, (how, out)


def test_the_demo_world_has_a_redeemed_coupon_and_a_verifiable_draw(settings, db, monkeypatch, capsys):
    """The coupon seeder on its own (the other domains' seeders have their own tests)."""
    from sqlalchemy import select

    from wallet_api import demo
    from wallet_api.coupons.models import Coupon, CouponRedemption
    from wallet_api.merchants.models import Merchant

    monkeypatch.setattr(demo, "_SEEDERS", {k: v for k, v in demo._SEEDERS.items() if k[1] == "coupons"})
    assert demo.seed_demo(settings).created
    with db() as s:
        (redemption,) = s.scalars(select(CouponRedemption))
        assert s.get(Merchant, redemption.merchant_id).name == "Lotus Noodles"
        assert (redemption.amount_fen, redemption.subsidy_fen) == (12_800, 3_000)
        assert s.get(Coupon, redemption.coupon_id).status == "redeemed"
        report = full_audit(s, load_or_create_signer(settings.signing_key_file).public_key_hex)
    assert report.ok, [str(f) for f in report.findings]
    code, out = run_verify(capsys, "--campaign", "2", "--round", "1", "--database-url", settings.sqlalchemy_url,
                           "--data-dir", str(settings.data_dir))
    assert code == 0 and "4 registrants, 2 winners" in out
