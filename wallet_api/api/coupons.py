"""City consumption coupons: campaigns (issuer), claims and lotteries (residents), subsidy (merchants).

Paying with a coupon is `POST /v1/payments/merchant` with `coupon_id`; refunds go through the
ordinary refund endpoint. See docs/coupons.md.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from wallet_api.api.deps import CurrentActor, CurrentUser, DbDep, IdempotencyKey, require_role
from wallet_api.auth.models import User
from wallet_api.coupons import campaigns, claims, promotion, redemption, rounds, stats
from wallet_api.db import transaction
from wallet_api.errors import Forbidden, ServiceUnavailable
from wallet_api.family import acting
from wallet_api.idempotency import Outcome, run_once
from wallet_api.merchants import service as merchants
from wallet_api.schemas import MerchantCategory
from wallet_api.schemas import coupons as wire

router = APIRouter(tags=["coupons"])
Issuer = Annotated[User, require_role("coupon_issuer")]


def _reply(outcome: Outcome) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)


# ---- the issuer -------------------------------------------------------------------------------------

@router.post("/v1/coupons/campaigns", status_code=201, response_model=wire.CampaignOut)
def create_campaign(data: wire.CampaignIn, issuer: Issuer, db: DbDep) -> wire.CampaignOut:
    with transaction(db) as s:
        return campaigns.campaign_out(s, campaigns.create_campaign(s, issuer, data))


@router.post("/v1/coupons/campaigns/{campaign_id}/funding", status_code=201, response_model=wire.CampaignFundingOut)
def fund_campaign(campaign_id: int, data: wire.CampaignFundingIn, issuer: Issuer, db: DbDep,
                  idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Move money from the city's budget into the campaign's subsidy account; due batches it now pays for
    are released at once."""
    request = data.model_dump() | {"route": "coupon_funding", "campaign_id": campaign_id}
    return _reply(run_once(db, scope=f"user:{issuer.id}", key=idempotency_key, request=request,
                           action=lambda s: campaigns.fund(s, issuer, campaign_id, data.amount_fen)))


@router.post("/v1/coupons/campaigns/{campaign_id}/rounds/{round_no}/commitment", status_code=201,
             response_model=wire.DrawRecord)
def publish_commitment(campaign_id: int, round_no: int, data: wire.CommitmentIn, issuer: Issuer,
                       db: DbDep) -> wire.DrawRecord:
    """Publish SHA-256(seed) for a lottery round. Registration for the round opens with it."""
    with transaction(db) as s:
        return rounds.publish_commitment(s, issuer, campaign_id, round_no, data.commitment)


@router.post("/v1/coupons/campaigns/{campaign_id}/rounds/{round_no}/draw", response_model=wire.DrawRecord)
def draw(campaign_id: int, round_no: int, data: wire.DrawIn, issuer: Issuer, db: DbDep) -> wire.DrawRecord:
    """Reveal the seed after registration closed; the winners get their coupons. Repeating it with the
    same seed returns the same record."""
    with transaction(db) as s:
        return rounds.draw(s, issuer, campaign_id, round_no, data.seed)


@router.post("/v1/coupons/campaigns/{campaign_id}/sweep", response_model=wire.SweepOut)
def sweep(campaign_id: int, issuer: Issuer, db: DbDep) -> wire.SweepOut:
    """Expire coupons past their validity now (and return them to the pool if the campaign recycles)."""
    with transaction(db) as s:
        return campaigns.sweep(s, campaigns.issuer_campaign(s, issuer, campaign_id, lock=True))


@router.post("/v1/coupons/campaigns/{campaign_id}/announce", response_model=wire.AnnounceOut)
def announce(campaign_id: int, issuer: Issuer, db: DbDep) -> wire.AnnounceOut:
    """Tell residents about the campaign: promotion, so only those who allowed marketing hear of it."""
    with transaction(db) as s:
        return promotion.announce(s, campaigns.issuer_campaign(s, issuer, campaign_id))


@router.get("/v1/coupons/stats", response_model=wire.IssuerStats)
def issuer_stats(issuer: Issuer, db: DbDep, campaign_id: int | None = None) -> wire.IssuerStats:
    """Released, claimed, redeemed, expired, subsidy paid and spending driven per yuan of subsidy, per
    campaign and per industry, for the issuer's campaigns (or one of them)."""
    with transaction(db) as s:
        if campaign_id is not None:
            campaigns.issuer_campaign(s, issuer, campaign_id)
        return stats.issuer_stats(s, issuer, campaign_id)


# ---- residents ---------------------------------------------------------------------------------------

@router.get("/v1/coupons/campaigns", response_model=list[wire.CampaignOut])
def browse(user: CurrentUser, db: DbDep, category: MerchantCategory | None = None,
           include_closed: bool = False) -> list[wire.CampaignOut]:
    """Campaigns with the progress of the issue (claimed / total), optionally for one industry."""
    with transaction(db) as s:
        return campaigns.browse(s, category=category, open_only=not include_closed)


@router.get("/v1/coupons/campaigns/{campaign_id}", response_model=wire.CampaignOut)
def campaign(campaign_id: int, user: CurrentUser, db: DbDep) -> wire.CampaignOut:
    with transaction(db) as s:
        return campaigns.campaign_out(s, campaigns.get_campaign(s, campaign_id))


@router.post("/v1/coupons/campaigns/{campaign_id}/claims", status_code=201, response_model=wire.CouponOut)
def claim(campaign_id: int, actor: CurrentActor, db: DbDep, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Claim one coupon (first come, first served). The Idempotency-Key makes a retried claim (a timeout in a
    flash crowd) return the same coupon instead of taking a second one."""
    user = actor.subject

    def act(s) -> wire.CouponOut:
        acting.authorize(s, actor, acting.Scope.CLAIM_COUPONS)
        out = claims.coupon_out(*claims.claim(s, campaign_id, user))
        acting.record(s, actor, action="claim_coupon", scope=acting.Scope.CLAIM_COUPONS, campaign=out.campaign_name,
                      what=f"claimed a coupon from {out.campaign_name}")
        return out

    request = {"route": "coupon_claim", "campaign_id": campaign_id}
    for _attempt in range(3):
        try:
            return _reply(run_once(db, scope=f"user:{user.id}", key=idempotency_key, request=request, action=act))
        except claims.ReleaseDue:
            campaigns.release_if_due(db, campaign_id)
    raise ServiceUnavailable("Coupons are being released right now. Try again in a moment.",
                             headers={"Retry-After": "1"})


@router.post("/v1/coupons/campaigns/{campaign_id}/registrations", status_code=201,
             response_model=wire.RegistrationOut)
def register(campaign_id: int, actor: CurrentActor, db: DbDep) -> wire.RegistrationOut:
    """Enter the current lottery round (once per person; registering again returns the same entry)."""
    with transaction(db) as s:
        acting.authorize(s, actor, acting.Scope.CLAIM_COUPONS)
        out = rounds.registration_out(rounds.register(s, campaign_id, actor.subject))
        acting.record(s, actor, action="coupon_lottery", scope=acting.Scope.CLAIM_COUPONS,
                      what=f"entered the coupon lottery of campaign {campaign_id}")
        return out


@router.get("/v1/coupons/campaigns/{campaign_id}/registrations/mine", response_model=list[wire.RegistrationOut])
def my_registrations(campaign_id: int, user: CurrentUser, db: DbDep) -> list[wire.RegistrationOut]:
    """Your entries in this lottery and their results."""
    with transaction(db) as s:
        campaigns.get_campaign(s, campaign_id)
        return rounds.my_registrations(s, campaign_id, user)


@router.get("/v1/coupons/campaigns/{campaign_id}/rounds/{round_no}", response_model=wire.DrawRecord)
def draw_record(campaign_id: int, round_no: int, user: CurrentUser, db: DbDep) -> wire.DrawRecord:
    """The public record of a lottery round: save it and check it with `anxin coupons verify-draw FILE`."""
    with transaction(db) as s:
        return rounds.draw_record(s, campaign_id, round_no)


@router.get("/v1/coupons/mine", response_model=list[wire.CouponOut])
def my_coupons(user: CurrentUser, db: DbDep,
               status: Literal["claimed", "redeemed", "expired"] | None = None) -> list[wire.CouponOut]:
    """Your coupons with their expiry dates, soonest first."""
    with transaction(db) as s:
        return claims.my_coupons(s, user.id, status)


@router.get("/v1/coupons/best", response_model=wire.CouponProposal)
def best_coupon(user: CurrentUser, db: DbDep, merchant_id: int,
                amount_fen: Annotated[int, Query(gt=0, le=100_000_000)]) -> wire.CouponProposal:
    """The coupon to offer at payment (right industry and region, threshold met, worth most). The payer
    accepts it by paying with its `coupon_id`, or declines by paying without."""
    with transaction(db) as s:
        return redemption.best(s, user, merchants.get_merchant(s, merchant_id), amount_fen)


# ---- merchants ---------------------------------------------------------------------------------------

@router.get("/v1/coupons/merchants/{merchant_id}/subsidy", response_model=wire.MerchantSubsidyOut)
def merchant_subsidy(merchant_id: int, user: CurrentUser, db: DbDep) -> wire.MerchantSubsidyOut:
    """What the cities' coupons paid this shop."""
    with transaction(db) as s:
        merchant = merchants.get_merchant(s, merchant_id)
        if merchant.owner_user_id != user.id:
            raise Forbidden("Only the merchant can see its subsidy.")
        return redemption.merchant_subsidy(s, merchant)
