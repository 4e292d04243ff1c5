"""The inbox: transactional notices for payments, and marketing only for those who allowed it."""

from __future__ import annotations

import pytest

from wallet_api.auth.service import grant_role

PROBLEM_FIELDS = {"type", "title", "status", "detail", "code", "message_key"}
PROMO = "Weihai coupons: 20 CNY off at Lotus Noodles this weekend."


def assert_problem(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert PROBLEM_FIELDS <= body.keys()
    assert (body["status"], body["code"], body["message_key"]) == (status, code, f"error.{code}")
    return body


def inbox(api, person, *, unread_only: bool = False) -> list[dict]:
    r = api.c.get("/v1/notifications", params={"unread_only": unread_only}, headers=person.headers)
    assert r.status_code == 200, r.text
    return r.json()


def keyed(api, person, message_key: str, **kw) -> list[dict]:
    return [n for n in inbox(api, person, **kw) if n["message_key"] == message_key]


def marketing_seen(api, person) -> list[dict]:
    return [n for unread_only in (False, True) for n in inbox(api, person, unread_only=unread_only)
            if n["category"] == "marketing" or n["message_key"] == "notice.marketing"]


def allow_marketing(api, person, allowed: bool = True) -> None:
    r = api.c.patch("/v1/me/preferences", json={"marketing_allowed": allowed}, headers=person.headers)
    assert r.json()["marketing_allowed"] is allowed


@pytest.fixture
def issuer(api, db):
    person = api.register("city_hall", pin=None)
    with db() as s, s.begin():
        grant_role(s, person.id, "coupon_issuer")
    return person


def send(api, issuer, *usernames: str, text: str = PROMO):
    return api.c.post("/v1/notifications/marketing", json={"text": text, "usernames": list(usernames)},
                      headers=issuer.headers)


# ---- transactional --------------------------------------------------------------------------------

def test_merchant_payment_notifies_payer_and_owner(api):
    alice = api.funded("alice", 10_000, display_name="Alice Li")
    owner, shop = api.merchant()
    assert api.pay(alice, shop["id"], 1_250).status_code == 201

    [sent] = keyed(api, alice, "notice.payment_sent")
    assert sent["category"] == "transactional"
    assert sent["params"] == {"amount_fen": 1_250, "payee": "Lotus Noodles"}
    assert sent["text"] == "You paid Lotus Noodles 12.50 CNY."
    assert sent["read_at"] is None

    [received] = keyed(api, owner, "notice.payment_received")
    assert received["category"] == "transactional"
    assert received["params"] == {"amount_fen": 1_250, "payer": "Alice Li"}
    assert received["text"] == "Lotus Noodles received 12.50 CNY from Alice Li."
    assert keyed(api, owner, "notice.payment_sent") == []


def test_p2p_payment_notifies_both_people(api):
    alice = api.funded("alice", 10_000, display_name="Alice Li")
    bob = api.register("bob", display_name="Bob Zhang")
    assert api.p2p(alice, "bob", 305).status_code == 201
    [sent] = keyed(api, alice, "notice.transfer_sent")
    [received] = keyed(api, bob, "notice.transfer_received")
    assert sent["text"] == "You sent 3.05 CNY to Bob Zhang."
    assert received["text"] == "Alice Li sent you 3.05 CNY."
    assert {sent["category"], received["category"]} == {"transactional"}


def test_refused_payment_notifies_nobody(api):
    alice = api.funded("alice", 1_000)
    owner, shop = api.merchant()
    before = inbox(api, alice), inbox(api, owner)
    assert api.pay(alice, shop["id"], 2_000).status_code == 409
    assert (inbox(api, alice), inbox(api, owner)) == before


def test_inbox_needs_a_sign_in(api):
    assert_problem(api.c.get("/v1/notifications"), 401, "not_authenticated")


# ---- marketing ------------------------------------------------------------------------------------

def test_marketing_needs_the_coupon_issuer_role(api):
    alice = api.register("alice", pin=None)
    bob = api.register("bob", pin=None)
    allow_marketing(api, bob)
    assert_problem(send(api, alice, "bob"), 403, "forbidden")
    owner, _ = api.merchant()
    assert_problem(send(api, owner, "bob"), 403, "forbidden")
    assert_problem(api.c.post("/v1/notifications/marketing", json={"text": PROMO, "usernames": ["bob"]}), 401,
                   "not_authenticated")
    assert marketing_seen(api, bob) == []


def test_user_who_has_not_allowed_marketing_never_sees_it(api, issuer):
    bob = api.register("bob", pin=None)
    r = send(api, issuer, "bob")
    assert r.status_code == 200, r.text
    assert r.json() == {"delivered": 0, "suppressed": 1}
    assert marketing_seen(api, bob) == []
    # Allowing it later does not bring back what was suppressed: it was never stored.
    allow_marketing(api, bob)
    assert marketing_seen(api, bob) == []


def test_user_who_allowed_marketing_receives_it(api, issuer):
    carol = api.register("carol", pin=None)
    allow_marketing(api, carol)
    assert send(api, issuer, "carol").json() == {"delivered": 1, "suppressed": 0}
    [note] = inbox(api, carol)
    assert (note["category"], note["message_key"], note["text"]) == ("marketing", "notice.marketing", PROMO)
    assert [n["id"] for n in inbox(api, carol, unread_only=True)] == [note["id"]]


def test_counts_cover_a_mixed_audience(api, issuer):
    bob = api.register("bob", pin=None)
    carol = api.register("carol", pin=None)
    allow_marketing(api, carol)
    r = send(api, issuer, "bob", "CAROL", "nobody_here")
    assert r.json() == {"delivered": 1, "suppressed": 1}  # unknown names are neither
    assert marketing_seen(api, bob) == []
    assert len(keyed(api, carol, "notice.marketing")) == 1


def test_opting_out_hides_marketing_already_received(api, issuer):
    carol = api.register("carol", pin=None)
    allow_marketing(api, carol)
    assert send(api, issuer, "carol").json()["delivered"] == 1
    assert len(keyed(api, carol, "notice.marketing")) == 1

    allow_marketing(api, carol, False)
    assert marketing_seen(api, carol) == []
    assert send(api, issuer, "carol").json() == {"delivered": 0, "suppressed": 1}
    assert marketing_seen(api, carol) == []


def test_opting_out_keeps_transactional_notices(api, issuer):
    carol = api.funded("carol", 5_000)
    allow_marketing(api, carol)
    send(api, issuer, "carol")
    allow_marketing(api, carol, False)
    assert [n["message_key"] for n in inbox(api, carol)] == ["notice.top_up"]


@pytest.mark.parametrize("body", [{"text": "", "usernames": ["bob"]}, {"text": PROMO, "usernames": []},
                                  {"text": PROMO}, {"text": "x" * 501, "usernames": ["bob"]}])
def test_malformed_marketing_is_refused(api, issuer, body):
    bob = api.register("bob", pin=None)
    allow_marketing(api, bob)
    r = api.c.post("/v1/notifications/marketing", json=body, headers=issuer.headers)
    assert_problem(r, 422, "validation_error")
    assert marketing_seen(api, bob) == []


# ---- reading ----------------------------------------------------------------------------------------

def test_mark_read(api):
    alice = api.funded("alice", 5_000)
    [note] = inbox(api, alice)
    r = api.c.post(f"/v1/notifications/{note['id']}/read", headers=alice.headers)
    assert r.status_code == 204
    [read] = inbox(api, alice)
    assert read["read_at"] is not None
    assert inbox(api, alice, unread_only=True) == []
    # Reading again is harmless and keeps the first time.
    assert api.c.post(f"/v1/notifications/{note['id']}/read", headers=alice.headers).status_code == 204
    assert inbox(api, alice)[0]["read_at"] == read["read_at"]


def test_another_users_message_cannot_be_marked(api):
    alice = api.funded("alice", 5_000)
    bob = api.register("bob", pin=None)
    [note] = inbox(api, alice)
    body = assert_problem(api.c.post(f"/v1/notifications/{note['id']}/read", headers=bob.headers), 404, "not_found")
    assert str(note["id"]) in body["detail"]
    assert inbox(api, alice)[0]["read_at"] is None
    assert_problem(api.c.post("/v1/notifications/999999/read", headers=bob.headers), 404, "not_found")
