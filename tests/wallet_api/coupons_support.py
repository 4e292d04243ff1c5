"""Helpers shared by the coupon tests: issuers, real-name residents, campaigns, and moving the clock
(by moving the stored times back, the way a day passing would look to the server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from wallet_api.auth.models import User
from wallet_api.auth.service import grant_role
from wallet_api.coupons.models import Coupon, CouponBatch, CouponCampaign
from wallet_api.db import transaction
from wallet_api.ledger import Account

from tests.helpers import Api, Person, key

_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def national_id(n: int) -> str:
    """A GB 11643-valid 18-character ID, distinct for each n."""
    base = f"3710021990{n:07d}"
    return base + "10X98765432"[sum(int(d) * w for d, w in zip(base, _WEIGHTS, strict=True)) % 11]


def when(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def verify(api: Api, person: Person, n: int) -> None:
    r = api.c.post("/v1/me/real-name", json={"real_name": person.username.title(), "national_id": national_id(n)},
                   headers=person.headers)
    assert r.status_code == 200, r.text


def resident(api: Api, username: str, n: int, *, top_up: int = 0) -> Person:
    person = api.funded(username, top_up) if top_up else api.register(username)
    verify(api, person, n)
    return person


def make_issuer(api: Api, db, username: str = "city") -> Person:
    person = api.register(username)
    with transaction(db) as s:
        grant_role(s, person.id, "coupon_issuer")
    return person


def campaign_body(**over: Any) -> dict[str, Any]:
    body = {"name": "Weihai Spring Coupons", "categories": ["dining", "supermarket"], "region": "weihai",
            "shape": "spend_x_save_y", "threshold_fen": 10_000, "value_fen": 3_000, "total_quantity": 10,
            "subsidy_budget_fen": 30_000, "batches": [{"release_at": when(minutes=-1), "quantity": 10}],
            "per_person_cap": 2, "validity_days": 7}
    return body | over


def create(api: Api, issuer: Person, **over: Any) -> dict[str, Any]:
    r = api.c.post("/v1/coupons/campaigns", json=campaign_body(**over), headers=issuer.headers)
    assert r.status_code == 201, r.text
    return r.json()


def fund(api: Api, issuer: Person, campaign_id: int, amount: int, idem: str | None = None):
    return api.c.post(f"/v1/coupons/campaigns/{campaign_id}/funding", json={"amount_fen": amount},
                      headers=issuer.headers | {"Idempotency-Key": idem or key()})


def funded_campaign(api: Api, issuer: Person, **over: Any) -> dict[str, Any]:
    campaign = create(api, issuer, **over)
    r = fund(api, issuer, campaign["id"], campaign_body(**over)["subsidy_budget_fen"])
    assert r.status_code == 201, r.text
    return campaign


def claim(api: Api, person: Person, campaign_id: int, idem: str | None = None):
    return api.c.post(f"/v1/coupons/campaigns/{campaign_id}/claims",
                      headers=person.headers | {"Idempotency-Key": idem or key()})


def claimed(api: Api, person: Person, campaign_id: int) -> dict[str, Any]:
    r = claim(api, person, campaign_id)
    assert r.status_code == 201, r.text
    return r.json()


def campaign_view(api: Api, person: Person, campaign_id: int) -> dict[str, Any]:
    r = api.c.get(f"/v1/coupons/campaigns/{campaign_id}", headers=person.headers)
    assert r.status_code == 200, r.text
    return r.json()


def subsidy_balance(db, campaign_id: int) -> int:
    with transaction(db) as s:
        return s.scalar(select(Account.balance).join(CouponCampaign, CouponCampaign.subsidy_account_id == Account.id)
                        .where(CouponCampaign.id == campaign_id))


def settlement_balance(db, merchant_id: int) -> int:
    with transaction(db) as s:
        return s.scalar(select(Account.balance).where(Account.code == f"merchant:{merchant_id}:settlement"))


def expire_coupons(db, *coupon_ids: int) -> None:
    """As if the coupons' validity had run out a minute ago."""
    with transaction(db) as s:
        s.execute(update(Coupon).where(Coupon.id.in_(coupon_ids))
                  .values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))


def make_due(db, campaign_id: int, seq: int) -> None:
    """As if batch `seq` (or a lottery round's registration close) had been scheduled for this moment
    (not earlier: a commitment published a moment ago must stay before the close)."""
    past = datetime.now(UTC)
    with transaction(db) as s:
        s.execute(update(CouponBatch).where(CouponBatch.campaign_id == campaign_id, CouponBatch.seq == seq)
                  .values(release_at=past))
        campaign = s.get(CouponCampaign, campaign_id)
        if campaign.next_release_at is not None:
            campaign.next_release_at = past


def user_count(db) -> int:
    with transaction(db) as s:
        return s.scalar(select(func.count()).select_from(User))
