"""Demo coupons (assets/demo/coupons.json): the city `city` runs a dining + supermarket campaign,
in which `meili` claimed a coupon and spent it at Lotus Noodles, and a small fitness lottery whose
first round is drawn, so `anxin coupons verify-draw --campaign 2 --round 1` has something to check."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from wallet_api.auth.models import User
from wallet_api.auth.service import verify_real_name
from wallet_api.config import Settings
from wallet_api.coupons import campaigns, claims, lottery, redemption, rounds
from wallet_api.db import transaction
from wallet_api.demo import demo_seeder, domain_data
from wallet_api.merchants.models import Merchant
from wallet_api.schemas import coupons as wire
from wallet_api.types import utcnow


def _user(session: Session, username: str) -> User:
    return session.scalar(select(User).where(User.username == username))


@demo_seeder("coupons", order=50)  # last: the campaign runs today (its batches are timed from now)
def seed_coupons(db: sessionmaker[Session], settings: Settings) -> None:
    data = domain_data("coupons")
    now = utcnow()
    with transaction(db) as s:
        for resident in data["residents"]:
            verify_real_name(s, settings, _user(s, resident["username"]), resident["real_name"],
                             resident["national_id"])
    for spec in data["campaigns"]:
        with transaction(db) as s:
            issuer = _user(s, data["issuer"])
            batches = [wire.BatchIn(release_at=now + timedelta(hours=b["release_in_hours"]), quantity=b["quantity"])
                       for b in spec["batches"]]
            fields = {k: v for k, v in spec.items() if k in wire.CampaignIn.model_fields and k != "batches"}
            campaign = campaigns.create_campaign(s, issuer, wire.CampaignIn(**fields, batches=batches))
            campaign_id = campaign.id
            if "lottery" in spec:
                draw = spec["lottery"]
                rounds.publish_commitment(s, issuer, campaign_id, draw["round"], lottery.commitment_of(draw["seed"]),
                                          now=now - timedelta(hours=2))
            campaigns.fund(s, issuer, campaign_id, spec["funding_fen"])
        with transaction(db) as s:
            for username in spec.get("claims", []):
                claims.claim(s, campaign_id, _user(s, username))
            if "lottery" in spec:
                draw = spec["lottery"]
                for username in draw["registrants"]:
                    rounds.register(s, campaign_id, _user(s, username), now=now - timedelta(hours=1, minutes=30))
                rounds.draw(s, _user(s, data["issuer"]), campaign_id, draw["round"], draw["seed"])
        with transaction(db) as s:
            for r in spec.get("redemptions", []):
                payer = _user(s, r["resident"])
                merchant = s.scalar(select(Merchant).where(Merchant.name == r["merchant"]))
                coupon = redemption.best(s, payer, merchant, r["amount_fen"]).coupon
                redemption.pay_with_coupon(s, payer, merchant, r["amount_fen"], coupon.id, r["memo"])
