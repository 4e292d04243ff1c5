"""Delegated family operation: inviting, acting for the elder within the grant, records, revocation,
invite QR codes and setting an elder up from scratch (docs/family.md). Both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import PASSWORD, PIN, assert_books_balance, count_rows, key
from tests.wallet_api.family_world import acting_for, family, grant
from wallet_api.family.models import DelegatedAction, FamilyLink


def pay_for(api, fam, amount, *, merchant=None, idem=None, pin=None):
    body = {"merchant_id": (merchant or fam.shop)["id"], "amount_fen": amount} | ({"pin": pin} if pin else {})
    return api.c.post("/v1/payments/merchant", json=body,
                      headers=acting_for(fam.son, fam.elder) | {"Idempotency-Key": idem or key()})


def test_a_relative_pays_for_the_elder_without_her_pin_and_it_is_recorded_with_both_names(api, client, app):
    fam = family(api)
    r = pay_for(api, fam, 12_000)     # above the PIN-free limit: the relative has no PIN and needs none
    assert r.status_code == 201, r.text
    assert (r.json()["payer"], r.json()["done_by"]) == ("Nainai", "Jianguo")   # the receipt says who did it
    receipt = client.get(f"/v1/payments/{r.json()['id']}", headers=fam.elder.headers).json()
    assert receipt["done_by"] == "Jianguo"                                  # and says so later, to her
    assert api.balance(fam.elder) == 200_000 - 12_000
    assert api.balance(fam.son) == 0                     # the elder's money, not the son's
    item = api.history(fam.elder)["items"][0]
    assert (item["amount_fen"], item["done_by"], item["actor_user_id"]) == (-12_000, "Jianguo", fam.son.id)
    note = api.notifications(fam.elder)[0]
    assert (note["category"], note["message_key"]) == ("security", "notice.family.pay_merchant")
    assert note["params"]["actor"] == "Jianguo" and note["params"]["amount_fen"] == 12_000
    assert "Jianguo paid Lotus Noodles 120.00 CNY for you" in note["text"]
    actions = client.get(f"/v1/family/links/{fam.link['id']}/actions", headers=fam.elder.headers).json()
    assert [(a["action"], a["actor"]["username"], a["subject"]["username"], a["amount_fen"]) for a in actions] == [
        ("pay_merchant", "jianguo", "nainai", 12_000)]
    assert_books_balance(app)


def test_the_elders_own_payments_are_not_marked_done_by_anyone(api):
    fam = family(api)
    r = api.pay(fam.elder, fam.shop["id"], 1_000)
    assert r.status_code == 201 and r.json()["done_by"] is None
    assert api.history(fam.elder)["items"][0]["done_by"] is None


def test_a_retried_delegated_payment_moves_money_and_counts_the_limit_once(api, db):
    fam = family(api, per_payment=10_000, per_day=15_000)
    idem = key()
    first, again = pay_for(api, fam, 10_000, idem=idem), pay_for(api, fam, 10_000, idem=idem)
    assert (first.status_code, again.status_code, again.headers.get("Idempotent-Replayed")) == (201, 201, "true")
    assert api.balance(fam.elder) == 190_000
    with db() as s:
        assert s.get(FamilyLink, fam.link["id"]).spent_today == 10_000
    assert count_rows(api.c.app, DelegatedAction) == 1


def test_bills_and_shops_are_separate_scopes(api):
    fam = family(api, scopes=["view", "pay_bills"])
    assert pay_for(api, fam, 3_000, merchant=fam.utility).status_code == 201
    r = pay_for(api, fam, 3_000)
    assert (r.status_code, r.json()["code"], r.json()["scope"]) == (403, "scope_missing", "pay_merchants")
    assert api.balance(fam.elder) == 197_000


@pytest.mark.parametrize(("amount", "limit"), [(20_001, "per_payment"), (15_000, "per_day")])
def test_limits_replace_the_pin_for_a_relative(api, amount, limit):
    fam = family(api, per_payment=20_000, per_day=40_000)
    assert pay_for(api, fam, 20_000).status_code == 201
    assert pay_for(api, fam, 10_000).status_code == 201
    r = pay_for(api, fam, amount)
    assert (r.status_code, r.json()["code"], r.json()["limit"]) == (403, "delegated_limit_exceeded", limit)
    assert api.balance(fam.elder) == 200_000 - 30_000


def test_a_refused_payment_does_not_use_up_the_day(api, db):
    fam = family(api, balance=5_000, per_payment=10_000, per_day=10_000)
    r = pay_for(api, fam, 8_000)
    assert r.json()["code"] == "insufficient_funds"
    with db() as s:
        assert s.get(FamilyLink, fam.link["id"]).spent_today == 0


def test_revocation_takes_effect_on_the_next_request_with_the_same_token(api, client):
    fam = family(api)
    assert client.get("/v1/wallet", headers=acting_for(fam.son, fam.elder)).status_code == 200
    assert client.delete(f"/v1/family/links/{fam.link['id']}", headers=fam.elder.headers).status_code == 204
    for r in (client.get("/v1/wallet", headers=acting_for(fam.son, fam.elder)), pay_for(api, fam, 100)):
        assert (r.status_code, r.json()["code"]) == (403, "delegation_ended")
    assert client.get("/v1/wallet", headers=fam.son.headers).status_code == 200   # his own wallet still works
    assert api.balance(fam.elder) == 200_000


def test_an_expired_grant_stops_working(api, client, db):
    fam = family(api)
    with db() as s, s.begin():
        s.get(FamilyLink, fam.link["id"]).expires_at = datetime.now(UTC) - timedelta(seconds=1)
    r = client.get("/v1/wallet", headers=acting_for(fam.son, fam.elder))
    assert (r.status_code, r.json()["code"]) == (403, "delegation_expired")


def test_strangers_and_unknown_names_get_the_same_answer(api, client):
    fam = family(api)
    for who, name in ((fam.stranger, "nainai"), (fam.son, "nobody-here")):
        r = client.get("/v1/wallet", headers=who.headers | {"Acting-For": name})
        assert (r.status_code, r.json()["code"]) == (403, "not_delegated")


def test_personal_routes_refuse_acting_for(api, client):
    fam = family(api)
    r = client.put("/v1/me/pin", json={"pin": "111111", "password": PASSWORD}, headers=acting_for(fam.son, fam.elder))
    assert (r.status_code, r.json()["code"]) == (403, "acting_for_not_allowed")
    r = api.c.post("/v1/payments/p2p", json={"to_username": "jianguo", "amount_fen": 100},
                   headers=acting_for(fam.son, fam.elder) | {"Idempotency-Key": key()})
    assert (r.status_code, r.json()["code"]) == (403, "acting_for_not_allowed")
    assert api.balance(fam.elder) == 200_000


def test_a_relative_with_manage_settings_switches_care_mode_on(api, client):
    fam = family(api, scopes=["view", "manage_settings"])
    r = client.patch("/v1/me/preferences", json={"care_mode": True, "font_scale_percent": 150},
                     headers=acting_for(fam.son, fam.elder))
    assert r.status_code == 200, r.text
    mine = client.get("/v1/me/preferences", headers=fam.elder.headers).json()
    assert (mine["care_mode"], mine["font_scale_percent"], mine["marketing_allowed"]) == (True, 150, False)
    assert client.get("/v1/me/preferences", headers=fam.son.headers).json()["care_mode"] is False
    assert api.notifications(fam.elder)[0]["message_key"] == "notice.family.settings"


def test_only_the_elder_edits_the_grant_and_it_applies_at_once(api, client):
    fam = family(api)
    url = f"/v1/family/links/{fam.link['id']}/grant"
    r = client.put(url, json=grant(["view"]), headers=fam.son.headers)
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    r = client.put(url, json=grant(["view"]), headers=fam.elder.headers)
    assert r.json()["grant"]["scopes"] == ["view"]
    assert pay_for(api, fam, 100).json()["code"] == "scope_missing"


def test_lists_show_both_sides(api, client):
    fam = family(api)
    son = client.get("/v1/family/links", headers=fam.son.headers).json()
    elder = client.get("/v1/family/links", headers=fam.elder.headers).json()
    assert [x["elder"]["username"] for x in son["looking_after"]] == ["nainai"] and son["looked_after_by"] == []
    assert [x["relative"]["username"] for x in elder["looked_after_by"]] == ["jianguo"]


def test_an_invitation_does_nothing_until_accepted_and_can_be_declined(api, client):
    elder, son = api.register("nainai"), api.register("jianguo")
    r = client.post("/v1/family/invites", json={"relative": "jianguo", "grant": grant()}, headers=elder.headers)
    assert r.json()["status"] == "invited"
    assert client.get("/v1/wallet", headers=acting_for(son, elder)).json()["code"] == "not_delegated"
    assert client.delete(f"/v1/family/links/{r.json()['id']}", headers=son.headers).status_code == 204
    r = client.post(f"/v1/family/links/{r.json()['id']}/accept", headers=son.headers)
    assert (r.status_code, r.json()["code"]) == (409, "family_link_exists")


@pytest.mark.parametrize(("body", "code"), [
    ({"relative": "nainai", "grant": grant()}, "family_self_link"),
    ({"relative": "ghost", "grant": grant()}, "relative_not_found"),
    ({"relative": "jianguo", "grant": grant(per_payment=60_000, per_day=50_000)}, "validation_error"),
    ({"relative": "jianguo", "grant": grant(scopes=["fly"])}, "validation_error"),
    ({"relative": "jianguo", "grant": grant(expires_at="2020-01-01T00:00:00Z")}, "validation_error"),
])
def test_bad_invitations_are_refused(api, client, body, code):
    elder = api.register("nainai")
    api.register("jianguo")
    r = client.post("/v1/family/invites", json=body, headers=elder.headers)
    assert r.json()["code"] == code
    assert count_rows(api.c.app, FamilyLink) == 0


def test_inviting_twice_is_a_conflict(api, client):
    fam = family(api)
    r = client.post("/v1/family/invites", json={"relative": "jianguo", "grant": grant()}, headers=fam.elder.headers)
    assert (r.status_code, r.json()["code"]) == (409, "family_link_exists")


def test_an_invite_qr_code_works_once(api, client):
    elder, son, other = api.register("nainai"), api.register("jianguo"), api.register("meimei")
    r = client.post("/v1/family/invite-codes", json={"grant": grant(["view"])}, headers=elder.headers)
    assert r.status_code == 201, r.text
    code = r.json()
    assert code["qr_payload"] == "anxin:family-invite:" + code["token"]
    r = client.post("/v1/family/invite-codes/accept", json={"token": code["qr_payload"]}, headers=son.headers)
    assert (r.status_code, r.json()["status"], r.json()["grant"]["scopes"]) == (201, "active", ["view"])
    r = client.post("/v1/family/invite-codes/accept", json={"token": code["token"]}, headers=other.headers)
    assert (r.status_code, r.json()["code"]) == (410, "family_token_invalid")
    assert client.get("/v1/wallet", headers=acting_for(son, elder)).status_code == 200


def test_a_relative_sets_an_elder_up_from_scratch_without_ever_knowing_her_pin(api, client, db):
    son = api.register("jianguo", display_name="Jianguo")
    r = client.post("/v1/family/elders", headers=son.headers, json={
        "username": "laolao", "display_name": "Laolao", "grant": grant(["view", "manage_cards", "top_up"])})
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["link"]["status"] == "setup"
    assert "pin" not in made and "password" not in made
    # Until the elder finishes, her relative can do nothing for her, and nobody can sign in as her.
    assert client.get("/v1/wallet", headers=son.headers | {"Acting-For": "laolao"}).json()["code"] == "not_delegated"
    preview = client.post("/v1/family/setup/preview", json={"setup_token": made["setup_token"]}).json()
    assert preview["link"]["relative"]["username"] == "jianguo"
    # The elder, on the same phone, chooses her own password and PIN; the relative's token plays no part.
    r = client.post("/v1/family/setup", json={"setup_token": made["setup_token"], "password": PASSWORD, "pin": PIN})
    assert r.status_code == 200, r.text
    elder_headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    me = client.get("/v1/me", headers=elder_headers).json()
    assert (me["username"], me["pin_set"]) == ("laolao", True)
    prefs = client.get("/v1/me/preferences", headers=elder_headers).json()
    assert (prefs["care_mode"], prefs["language"], prefs["marketing_allowed"]) == (True, "zh-CN", False)
    again = client.post("/v1/family/setup", json={"setup_token": made["setup_token"], "password": "x" * 10,
                                                  "pin": "000000"})
    assert (again.status_code, again.json()["code"]) == (410, "family_token_invalid")
    # Now the son links her bank card and tops her wallet up for her.
    acting = son.headers | {"Acting-For": "laolao"}
    card = client.post("/v1/bank-cards", json={"card_number": "6222020000000090001", "holder_name": "Laolao"},
                       headers=acting)
    assert card.status_code == 201, card.text
    r = client.post("/v1/wallet/top-ups", json={"bank_card_id": card.json()["id"], "amount_fen": 30_000},
                    headers=acting | {"Idempotency-Key": key()})
    assert r.status_code == 201, r.text
    assert client.get("/v1/wallet", headers=elder_headers).json()["balance_fen"] == 30_000
    assert client.get("/v1/wallet/history", headers=elder_headers).json()["items"][0]["done_by"] == "Jianguo"
    assert client.get("/v1/bank-cards", headers=son.headers).json() == []    # the card is hers


def test_a_pin_lock_stops_delegated_payments_too(api, client):
    fam = family(api)
    for _ in range(5):
        api.pay(fam.elder, fam.shop["id"], 9_000, pin="000000")
    r = pay_for(api, fam, 100)
    assert (r.status_code, r.json()["code"]) == (423, "pin_locked")


def test_acting_for_yourself_is_just_you(api, client):
    fam = family(api)
    r = client.get("/v1/wallet", headers=fam.elder.headers | {"Acting-For": "nainai"})
    assert r.json()["balance_fen"] == 200_000


def test_links_show_spending_today(api, client):
    fam = family(api)
    pay_for(api, fam, 2_500)
    r = client.get(f"/v1/family/links/{fam.link['id']}", headers=fam.son.headers).json()
    assert r["grant"]["spent_today_fen"] == 2_500


def test_an_elder_invites_by_phone_number(api, client):
    elder = api.register("nainai")
    r = client.post("/v1/auth/register", json={"username": "jianguo", "password": PASSWORD, "display_name": "Jianguo",
                                               "phone": "+8613800138000"})
    assert r.status_code == 201, r.text
    r = client.post("/v1/family/invites", json={"relative": "+8613800138000", "grant": grant()}, headers=elder.headers)
    assert (r.status_code, r.json()["relative"]["username"]) == (201, "jianguo")


def test_a_prepaid_card_bought_and_topped_up_by_a_relative_shows_in_her_history(api, client):
    fam = family(api)
    gym_owner, gym = api.merchant("gym", name="Sunrise Gym", category="fitness", local_name=None)
    r = client.post(f"/v1/prepaid/merchants/{gym['id']}/products", headers=gym_owner.headers, json={
        "name": "10 swims", "face_value_fen": 10_000, "bonus_value_fen": 0, "validity_days": 365, "named": False})
    acting = acting_for(fam.son, fam.elder)
    card = client.post("/v1/prepaid/cards", json={"product_id": r.json()["id"]},
                       headers=acting | {"Idempotency-Key": key()})
    assert card.status_code == 201, card.text
    r = client.post(f"/v1/prepaid/cards/{card.json()['id']}/top-ups", json={"amount_fen": 5_000},
                    headers=acting | {"Idempotency-Key": key()})
    assert r.status_code == 201, r.text
    lines = api.history(fam.elder)["items"][:2]
    assert [(i["kind"], i["amount_fen"], i["done_by"]) for i in lines] == [
        ("prepaid_top_up", -5_000, "Jianguo"), ("prepaid_purchase", -10_000, "Jianguo")]
    with api.c.app.state.db() as s:
        assert s.get(FamilyLink, fam.link["id"]).spent_today == 15_000


def test_a_new_china_day_gives_the_relative_the_whole_day_limit_again(api, db):
    fam = family(api, per_payment=10_000, per_day=10_000)
    assert pay_for(api, fam, 10_000).status_code == 201
    assert pay_for(api, fam, 100).json()["limit"] == "per_day"
    with db() as s, s.begin():                     # as if that payment had been made yesterday (China time)
        row = s.get(FamilyLink, fam.link["id"])
        row.spent_on = row.spent_on - timedelta(days=1)
    assert pay_for(api, fam, 10_000).status_code == 201
    with db() as s:
        assert s.get(FamilyLink, fam.link["id"]).spent_today == 10_000


def test_an_invitation_by_name_expires_after_the_invite_days_and_the_elder_can_send_it_again(api, client, app):
    elder = api.funded("nainai", 10_000, display_name="Nainai")
    son = api.register("jianguo", display_name="Jianguo")
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    app.state.clock = lambda: start
    r = client.post("/v1/family/invites", json={"relative": "jianguo", "grant": grant()}, headers=elder.headers)
    assert r.status_code == 201, r.text
    sent = r.json()
    assert sent["status"] == "invited"
    assert datetime.fromisoformat(sent["invite_expires_at"]) == start + timedelta(days=7)   # the default week

    app.state.clock = lambda: start + timedelta(days=7) - timedelta(seconds=1)
    assert client.get("/v1/family/links", headers=son.headers).json()["looking_after"][0]["status"] == "invited"
    app.state.clock = lambda: start + timedelta(days=7)
    for person, side in ((son, "looking_after"), (elder, "looked_after_by")):   # both sides see it expired
        shown = client.get("/v1/family/links", headers=person.headers).json()[side]
        assert [(x["id"], x["status"]) for x in shown] == [(sent["id"], "expired")]
    r = client.post(f"/v1/family/links/{sent['id']}/accept", headers=son.headers)
    assert (r.status_code, r.json()["code"], r.json()["link_id"]) == (410, "family_invite_expired", sent["id"])
    assert "Ask Nainai to invite you again" in r.json()["detail"]
    assert client.get("/v1/wallet", headers=acting_for(son, elder)).json()["code"] == "not_delegated"

    again = client.post("/v1/family/invites", json={"relative": "jianguo", "grant": grant()}, headers=elder.headers)
    assert again.status_code == 201, again.text
    assert (again.json()["id"], again.json()["status"]) == (sent["id"], "invited")   # the same link, sent anew
    assert datetime.fromisoformat(again.json()["invite_expires_at"]) == start + timedelta(days=14)
    r = client.post(f"/v1/family/links/{sent['id']}/accept", headers=son.headers)
    assert (r.status_code, r.json()["status"], r.json()["invite_expires_at"]) == (200, "active", None)
    assert client.get("/v1/wallet", headers=acting_for(son, elder)).status_code == 200


def test_the_invite_days_are_a_setting_and_an_accepted_link_never_expires_as_an_invitation(api, client, app):
    app.state.settings.family_invite_days = 2
    elder = api.funded("nainai", 10_000, display_name="Nainai")
    son, daughter = api.register("jianguo", display_name="Jianguo"), api.register("meili", display_name="Meili")
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    app.state.clock = lambda: start
    invites = [client.post("/v1/family/invites", json={"relative": who, "grant": grant()},
                           headers=elder.headers).json() for who in ("jianguo", "meili")]
    assert datetime.fromisoformat(invites[0]["invite_expires_at"]) == start + timedelta(days=2)
    assert client.post(f"/v1/family/links/{invites[0]['id']}/accept", headers=son.headers).status_code == 200
    app.state.clock = lambda: start + timedelta(days=30)
    shown = client.get("/v1/family/links", headers=elder.headers).json()["looked_after_by"]
    assert [(x["relative"]["username"], x["status"]) for x in shown] == [("jianguo", "active"), ("meili", "expired")]
    r = client.post(f"/v1/family/links/{invites[1]['id']}/accept", headers=daughter.headers)
    assert (r.status_code, r.json()["code"]) == (410, "family_invite_expired")
    assert client.delete(f"/v1/family/links/{invites[1]['id']}", headers=daughter.headers).status_code == 204


# ---- phone numbers: only the other party of an active link, only to the two of them ----------------

MUM_PHONE, SON_PHONE, STRANGER_PHONE = "+8613900139000", "+8613800138000", "+8613700137000"


def phones_seen(client, person) -> list[tuple[str, str | None, str | None]]:
    """(link status, the elder's phone, the relative's phone) for every link `person` is in."""
    links = client.get("/v1/family/links", headers=person.headers).json()
    return [(x["status"], x["elder"]["phone"], x["relative"]["phone"])
            for x in links["looking_after"] + links["looked_after_by"]]


def test_an_active_link_shows_each_the_others_phone_number_and_an_ended_one_shows_none(api, client):
    mum = api.register("nainai", phone=MUM_PHONE)
    son = api.register("jianguo", phone=SON_PHONE)
    stranger = api.register("stranger", phone=STRANGER_PHONE)
    invited = client.post("/v1/family/invites", json={"relative": "jianguo", "grant": grant()}, headers=mum.headers)
    assert (invited.json()["status"], invited.json()["relative"]["phone"]) == ("invited", None)
    assert phones_seen(client, son) == [("invited", None, None)]         # not before he accepts
    accepted = client.post(f"/v1/family/links/{invited.json()['id']}/accept", headers=son.headers).json()
    assert (accepted["elder"]["phone"], accepted["relative"]["phone"]) == (MUM_PHONE, None)
    # Each sees the other's number, never their own (their app knows it), in the list and the one link.
    assert phones_seen(client, mum) == [("active", None, SON_PHONE)]
    assert phones_seen(client, son) == [("active", MUM_PHONE, None)]
    one = client.get(f"/v1/family/links/{accepted['id']}", headers=mum.headers).json()
    assert (one["elder"]["phone"], one["relative"]["phone"]) == (None, SON_PHONE)
    # Someone not in the link sees neither the link nor a number.
    assert client.get(f"/v1/family/links/{accepted['id']}", headers=stranger.headers).status_code == 404
    assert phones_seen(client, stranger) == []
    # Ended (either side): no number for anyone any more.
    assert client.delete(f"/v1/family/links/{accepted['id']}", headers=mum.headers).status_code == 204
    assert phones_seen(client, mum) == [("ended", None, None)]
    assert phones_seen(client, son) == [("ended", None, None)]
    assert client.get(f"/v1/family/links/{accepted['id']}", headers=son.headers).json()["elder"]["phone"] is None


def test_inviting_by_phone_number_reveals_no_number_to_a_stranger(api, client):
    son = api.register("jianguo", phone=SON_PHONE)
    stranger = api.register("stranger", phone=STRANGER_PHONE)
    r = client.post("/v1/family/invites", json={"relative": SON_PHONE, "grant": grant()}, headers=stranger.headers)
    assert r.status_code == 201, r.text           # the invitation names him, but no number comes back
    assert (r.json()["relative"]["username"], r.json()["relative"]["phone"], r.json()["elder"]["phone"]) == (
        "jianguo", None, None)
    assert phones_seen(client, stranger) == [("invited", None, None)]
    assert phones_seen(client, son) == [("invited", None, None)]     # nor his to the stranger's invitation
    # He declines: still nobody's number.
    assert client.delete(f"/v1/family/links/{r.json()['id']}", headers=son.headers).status_code == 204
    assert phones_seen(client, stranger) == [("ended", None, None)]
