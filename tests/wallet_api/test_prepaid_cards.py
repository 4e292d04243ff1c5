"""The life of a prepaid card through the real API, on SQLite and PostgreSQL: buy, charge several
times, refund the rest; cooling-off; bonus value; bank-card purchases; a merchant default with many
holders; journal proofs of card entries. The escrow invariant is checked after every step."""

from __future__ import annotations

import sqlalchemy as sa

from app.proof import verify_transfer_proof
from tests.helpers import DECLINING_CARD, GOOD_CARD, LOST_ANSWER_CARD, account_balance, key
from tests.wallet_api.prepaid_world import (YUAN, assert_prepaid_invariants, clock, money_state, pp,  # noqa: F401
                                            problem)
from wallet_api.ledger import SystemAccount
from wallet_api.schemas import TransferProof


def test_buy_charge_several_times_then_refund_the_rest(pp, app):
    gym = pp.shop("irongym", "Iron Gym")
    product = pp.product(gym, name="20 swims", face=600 * YUAN)
    alice = pp.api.funded("alice", 1_000 * YUAN)

    card = pp.card_of(alice, product["id"])
    assert (card["balance_fen"], card["status"], card["used"]) == (60_000, "active", False)
    assert card["cooling_off_until"] is not None
    # The price went to escrow for the gym, not to the gym.
    assert (pp.api.balance(alice), pp.escrow(gym), pp.settlement(gym)) == (40_000, 60_000, 0)
    assert pp.balance(f"prepaid_liability:merchant:{gym.id}") == -60_000
    assert_prepaid_invariants(app)

    for n, amount in enumerate((3_000, 3_000, 4_500), start=1):
        r = pp.charge(gym, card["id"], amount, f"aqua class {n}")
        assert r.status_code == 201, r.text
        assert r.json()["released_fen"] == amount  # full policy: exactly what was consumed
        assert_prepaid_invariants(app)
    assert (pp.escrow(gym), pp.settlement(gym)) == (49_500, 10_500)

    detail = pp.card(alice, card["id"])
    assert detail["balance_fen"] == 49_500 and detail["used"] and detail["cooling_off_until"] is None
    assert [(h["kind"], h["amount_fen"], h["balance_after_fen"], h["memo"]) for h in detail["history"]] == [
        ("prepaid_charge", -4_500, 49_500, "aqua class 3"),
        ("prepaid_charge", -3_000, 54_000, "aqua class 2"),
        ("prepaid_charge", -3_000, 57_000, "aqua class 1"),
        ("prepaid_purchase", 60_000, 60_000, "20 swims"),
    ]
    seen = pp.overview(gym)
    assert (seen["escrow_fen"], seen["outstanding_fen"], seen["released_fen"], seen["coverage_ratio"]) == (
        49_500, 49_500, 10_500, 1.0)

    r = pp.refund(alice, card["id"])
    assert r.status_code == 201, r.text
    assert r.json() | {"transfer_id": None} == {
        "card_id": card["id"], "kind": "balance", "card_balance_fen": 49_500, "refunded_fen": 49_500,
        "returned_to_merchant_fen": 0, "transfer_id": None, "wallet_balance_fen": 89_500}
    assert (pp.api.balance(alice), pp.escrow(gym), pp.settlement(gym)) == (89_500, 0, 10_500)
    closed = pp.card(alice, card["id"])
    assert (closed["status"], closed["closed_reason"], closed["balance_fen"], closed["refunded_fen"]) == (
        "closed", "balance", 0, 49_500)
    problem(pp.charge(gym, card["id"], 100), 409, "prepaid_card_closed")
    assert_prepaid_invariants(app)
    texts = [n["text"] for n in pp.api.notifications(alice)]
    assert sum("charged" in t for t in texts) == 3 and any("back in your wallet" in t for t in texts)


def test_cooling_off_returns_everything_paid_within_seven_days(pp, app, clock):
    salon = pp.shop("jade", "Jade Hair Salon", "beauty")
    product = pp.product(salon, face=300 * YUAN)
    bob = pp.api.funded("bob", 1_000 * YUAN)
    card = pp.card_of(bob, product["id"])
    clock.advance(days=6, seconds=86_000)  # just inside the 7 days
    r = pp.refund(bob, card["id"], "cooling_off")
    assert r.status_code == 201, r.text
    assert (r.json()["kind"], r.json()["refunded_fen"]) == ("cooling_off", 30_000)
    assert (pp.api.balance(bob), pp.escrow(salon), pp.settlement(salon)) == (100_000, 0, 0)
    assert_prepaid_invariants(app)

    # After 7 days, or once used, the cooling-off refund is refused (the balance refund is not).
    late = pp.card_of(bob, product["id"])
    clock.advance(days=7, seconds=1)
    problem(pp.refund(bob, late["id"], "cooling_off"), 409, "prepaid_cooling_off_over")
    used = pp.card_of(bob, product["id"])
    assert pp.charge(salon, used["id"], 1_000).status_code == 201
    problem(pp.refund(bob, used["id"], "cooling_off"), 409, "prepaid_card_used")
    assert pp.refund(bob, late["id"], "balance").json()["refunded_fen"] == 30_000
    assert_prepaid_invariants(app)


def test_bonus_is_escrowed_by_the_merchant_and_shared_back_on_a_refund(pp, app):
    """Bonus value comes from the merchant's settlement into escrow, so a default cannot take it;
    a voluntary refund gives the holder the paid share of the balance and the merchant the bonus share."""
    salon = pp.shop("jade", "Jade Hair Salon", "beauty")
    product = pp.product(salon, name="Wash & cut x10", face=500 * YUAN, bonus=50 * YUAN)
    carol = pp.api.funded("carol", 2_000 * YUAN)
    problem(pp.buy(carol, product["id"]), 409, "prepaid_bonus_not_funded")  # the salon has earned nothing yet
    assert pp.api.pay(carol, salon.id, 100 * YUAN, pin="246810").status_code == 201  # now it has 100 CNY

    card = pp.card_of(carol, product["id"])
    assert card["balance_fen"] == 55_000
    assert (pp.escrow(salon), pp.settlement(salon), pp.api.balance(carol)) == (55_000, 5_000, 140_000)
    assert_prepaid_invariants(app)
    assert pp.charge(salon, card["id"], 11_000, "two cuts").json()["released_fen"] == 11_000
    r = pp.refund(carol, card["id"])
    # 44,000 left of which 1/11 is bonus: 40,000 back to Carol, 4,000 back to the salon.
    assert (r.json()["refunded_fen"], r.json()["returned_to_merchant_fen"]) == (40_000, 4_000)
    assert (pp.escrow(salon), pp.settlement(salon), pp.api.balance(carol)) == (0, 20_000, 180_000)
    assert_prepaid_invariants(app)

    # Within cooling-off, unused: everything paid comes back and the whole bonus returns to the salon.
    fresh = pp.card_of(carol, product["id"])
    r = pp.refund(carol, fresh["id"], "cooling_off")
    assert (r.json()["refunded_fen"], r.json()["returned_to_merchant_fen"]) == (50_000, 5_000)
    assert (pp.escrow(salon), pp.settlement(salon), pp.api.balance(carol)) == (0, 20_000, 180_000)
    assert_prepaid_invariants(app)


def test_buying_with_a_bank_card_is_safe_to_retry(pp, app):
    gym = pp.shop("irongym", "Iron Gym")
    product = pp.product(gym, face=200 * YUAN)
    dan = pp.api.register("dan")
    good, declining, lossy = (pp.api.link_card(dan, n) for n in (GOOD_CARD, DECLINING_CARD, LOST_ANSWER_CARD))
    clearing = account_balance(app, SystemAccount.BANK_CLEARING)

    idem = key()
    first = pp.buy(dan, product["id"], bank_card=good, idem=idem)
    assert first.status_code == 201, first.text
    again = pp.buy(dan, product["id"], bank_card=good, idem=idem)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["id"] == first.json()["id"]
    assert account_balance(app, SystemAccount.BANK_CLEARING) == clearing - 20_000  # debited once
    assert (pp.api.balance(dan), pp.escrow(gym)) == (0, 20_000)

    before = money_state(app)
    problem(pp.buy(dan, product["id"], bank_card=declining), 402, "bank_declined")
    balances, _counts, cards, _ = money_state(app)
    assert (balances, cards) == (before[0], before[2])  # nothing moved, no card

    idem = key()
    problem(pp.buy(dan, product["id"], bank_card=lossy, idem=idem), 504, "bank_timeout")
    assert pp.escrow(gym) == 20_000
    retry = pp.buy(dan, product["id"], bank_card=lossy, idem=idem)
    assert retry.status_code == 201, retry.text
    assert account_balance(app, SystemAccount.BANK_CLEARING) == clearing - 40_000
    assert (pp.api.balance(dan), pp.escrow(gym)) == (0, 40_000)
    assert_prepaid_invariants(app)


def test_a_card_sale_qr_and_top_ups(pp, app):
    gym = pp.shop("irongym", "Iron Gym")
    product = pp.product(gym, face=300 * YUAN)
    qr = pp.c.get(f"/v1/prepaid/merchants/{gym.id}/products/{product['id']}/qr", headers=gym.owner.headers)
    assert qr.status_code == 200 and qr.json()["qr_payload"].startswith("000201")
    eve = pp.api.funded("eve", 1_000 * YUAN)
    card = pp.card_of(eve, qr=qr.json()["qr_payload"])
    assert (card["product_id"], card["balance_fen"]) == (product["id"], 30_000)
    shop_qr = pp.c.get(f"/v1/merchants/{gym.id}", headers=eve.headers).json()["qr_payload"]
    problem(pp.buy(eve, qr=shop_qr), 422, "invalid_qr")  # a payment QR is not a card QR

    r = pp.top_up(eve, card["id"], 200 * YUAN)
    assert r.status_code == 201, r.text
    assert (r.json()["balance_fen"], r.json()["paid_fen"]) == (50_000, 50_000)
    assert (pp.api.balance(eve), pp.escrow(gym)) == (50_000, 50_000)
    assert_prepaid_invariants(app)


def test_default_refunds_every_holder_from_escrow_in_one_transfer(pp, app):
    gym = pp.shop("irongym", "Iron Gym")
    other = pp.shop("jade", "Jade Hair Salon", "beauty")
    big, small = pp.product(gym, name="Year", face=800 * YUAN), pp.product(gym, name="Month", face=150 * YUAN)
    elsewhere = pp.product(other, face=100 * YUAN)
    regulator = pp.regulator()
    holders = [pp.api.funded(f"holder{n}", 2_000 * YUAN) for n in range(12)]
    owed: dict[int, int] = {}
    for n, person in enumerate(holders):
        card = pp.card_of(person, (big if n % 2 else small)["id"])
        charged = 1_000 * (n % 4)
        if charged:
            assert pp.charge(gym, card["id"], charged).status_code == 201
        owed[person.id] = card["balance_fen"] - charged
    second = pp.card_of(holders[0], big["id"])  # one holder has two cards
    owed[holders[0].id] += second["balance_fen"]
    unrelated = pp.card_of(holders[1], elsewhere["id"])
    wallets = {p.id: pp.api.balance(p) for p in holders}
    settlement = pp.settlement(gym)
    assert pp.escrow(gym) == sum(owed.values())

    r = pp.default(regulator, gym)
    assert r.status_code == 201, r.text
    out = r.json()
    assert (out["cards_closed"], out["holders"], out["refunded_fen"], out["unrecovered_fen"]) == (
        13, 12, sum(owed.values()), 0)
    for person in holders:  # everyone made whole
        assert pp.api.balance(person) == wallets[person.id] + owed[person.id]
        assert any("declared in default" in n["text"] for n in pp.api.notifications(person))
    assert (pp.escrow(gym), pp.settlement(gym)) == (0, settlement)
    with app.state.db() as s:
        kinds = s.scalars(sa.text("SELECT kind FROM transfers WHERE kind = 'prepaid_default_refund'")).all()
        statuses = set(s.scalars(sa.text(f"SELECT status FROM prepaid_cards WHERE merchant_id = {gym.id}")))
    assert len(kinds) == 1 and statuses == {"closed"}
    assert pp.card(holders[1], unrelated["id"])["status"] == "active"  # another merchant's card is untouched

    # Sales and charges are blocked; the proof of the default entry verifies for a holder.
    problem(pp.buy(holders[2], small["id"]), 409, "prepaid_merchant_defaulted")
    problem(pp.charge(gym, second["id"], 100), 409, "prepaid_merchant_defaulted")
    problem(pp.default(regulator, gym), 409, "prepaid_merchant_defaulted")
    row = next(c for c in pp.coverage(regulator) if c["merchant_id"] == gym.id)
    assert (row["standing"], row["outstanding_fen"], row["escrow_fen"]) == ("defaulted", 0, 0)
    assert_proof_verifies(pp, holders[3], out["transfer_id"])
    assert_prepaid_invariants(app)


def assert_proof_verifies(pp, person, transfer_id: int) -> None:
    r = pp.c.get(f"/v1/wallet/transfers/{transfer_id}/proof", headers=person.headers)
    assert r.status_code == 200, r.text
    proof = TransferProof.model_validate(r.json())
    public_key = pp.c.get("/v1/journal/key").json()["public_key"]
    assert verify_transfer_proof(proof, public_key) == []


def test_every_card_entry_has_a_journal_proof_for_its_holder_only(pp, app):
    gym = pp.shop("irongym", "Iron Gym")
    product = pp.product(gym, face=100 * YUAN)
    fay, stranger = pp.api.funded("fay", 500 * YUAN), pp.api.register("stranger")
    card = pp.card_of(fay, product["id"])
    pp.charge(gym, card["id"], 2_500, "a class")
    history = pp.card(fay, card["id"])["history"]
    assert len(history) == 2
    for entry in history:
        assert_proof_verifies(pp, fay, entry["transfer_id"])
        r = pp.c.get(f"/v1/wallet/transfers/{entry['transfer_id']}/proof", headers=stranger.headers)
        assert r.status_code == 404
    problem(pp.c.get(f"/v1/prepaid/cards/{card['id']}", headers=stranger.headers), 404, "prepaid_card_not_found")


def test_merchant_and_holder_views(pp, app):
    gym = pp.shop("irongym", "Iron Gym")
    product = pp.product(gym, face=100 * YUAN)
    gus = pp.api.funded("gus", 500 * YUAN)
    card = pp.card_of(gus, product["id"])
    pp.card_of(gus, product["id"])
    mine = pp.c.get("/v1/prepaid/cards", headers=gus.headers).json()
    assert [c["id"] for c in mine] == [card["id"], card["id"] + 1]
    cards = pp.c.get(f"/v1/prepaid/merchants/{gym.id}/cards", headers=gym.owner.headers).json()
    assert {c["holder"] for c in cards} == {"Gus"} and len(cards) == 2
    on_sale = pp.c.get("/v1/prepaid/products", params={"merchant_id": gym.id}, headers=gus.headers).json()
    assert [p["id"] for p in on_sale] == [product["id"]]
    # Taking the product off sale hides it and refuses new sales.
    r = pp.c.patch(f"/v1/prepaid/merchants/{gym.id}/products/{product['id']}", json={"on_sale": False},
                   headers=gym.owner.headers)
    assert r.status_code == 200 and r.json()["on_sale"] is False
    assert pp.c.get("/v1/prepaid/products", headers=gus.headers).json() == []
    problem(pp.buy(gus, product["id"]), 409, "prepaid_product_not_on_sale")
    # Only the owner sees the merchant side.
    problem(pp.c.get(f"/v1/prepaid/merchants/{gym.id}/cards", headers=gus.headers), 403, "forbidden")
    problem(pp.c.get(f"/v1/prepaid/merchants/{gym.id}", headers=gus.headers), 403, "forbidden")
    assert_prepaid_invariants(app)


def test_charges_are_exactly_once_per_key(pp, app):
    gym = pp.shop("irongym", "Iron Gym")
    product = pp.product(gym, face=100 * YUAN)
    hal = pp.api.funded("hal", 500 * YUAN)
    card = pp.card_of(hal, product["id"])
    idem = key()
    first, second = (pp.charge(gym, card["id"], 1_000, idem=idem) for _ in range(2))
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.json() == second.json()
    assert pp.card(hal, card["id"])["balance_fen"] == 9_000
    problem(pp.charge(gym, card["id"], 2_000, idem=idem), 409, "idempotency_key_reused")
    r = pp.c.post(f"/v1/prepaid/merchants/{gym.id}/charges", json={"card_id": card["id"], "amount_fen": 100,
                                                                    "description": "x"}, headers=gym.owner.headers)
    problem(r, 400, "idempotency_key_required")
    assert pp.card(hal, card["id"])["balance_fen"] == 9_000
    assert_prepaid_invariants(app)
