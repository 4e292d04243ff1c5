"""Which scope each API route needs when a relative calls it for an elder — one table for the whole API.

Every route of the app must have an entry: tests/wallet_api/test_family_matrix.py walks the app's real
route list and fails on a route without a decision. Three kinds of decision:

- `needs(scope, ...)`: a relative may call it for the elder with any one of these scopes;
- `NEVER`: personal to the signed-in person (PIN, sign-in, granting, merchant and admin work):
  a request with `Acting-For` is refused with `acting_for_not_allowed`;
- `PUBLIC`: concerns no person (the journal's public key): `Acting-For` is ignored.

Adding a route? Add its line here, and if a relative can change something through it, record the
action with `wallet_api.family.acting.record` (docs/family.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from wallet_api.schemas.family import Scope


@dataclass(frozen=True)
class Rule:
    kind: str                       # "scoped" | "never" | "public"
    scopes: frozenset[Scope] = frozenset()
    why: str = ""

    @property
    def delegable(self) -> bool:
        return self.kind == "scoped"


def needs(*scopes: Scope) -> Rule:
    return Rule("scoped", frozenset(scopes))


def never(why: str) -> Rule:
    return Rule("never", why=why)


PUBLIC = Rule("public")
_SIGN_IN = never("signing in and the sign-in itself are personal")
_MERCHANT = never("running a shop is not part of looking after an elder")
_ADMIN = never("operator roles (regulator, campus admin, coupon issuer) are personal")
_CAMPUS = never("campus cards are for students, not delegated")
_FAMILY = never("only the person themselves grants, accepts or ends permission")
_CONSENT = never("family cards and guardians are consented to, and waiting payments decided, by the person")

V, BILLS, SHOPS, TOP_UP = Scope.VIEW, Scope.PAY_BILLS, Scope.PAY_MERCHANTS, Scope.TOP_UP
CARDS, SETTINGS, COUPONS = Scope.MANAGE_CARDS, Scope.MANAGE_SETTINGS, Scope.CLAIM_COUPONS

ROUTE_RULES: dict[str, Rule] = {
    # ---- sign-in, the person, preferences
    "POST /v1/auth/register": _SIGN_IN,
    "POST /v1/auth/login": _SIGN_IN,
    "POST /v1/auth/refresh": _SIGN_IN,
    "POST /v1/auth/logout": _SIGN_IN,
    "GET /v1/me": needs(V),
    "PUT /v1/me/pin": never("the payment PIN is only ever known to its owner"),
    "POST /v1/me/real-name": never("real-name verification is the person's own statement"),
    "GET /v1/me/preferences": needs(V),
    "PATCH /v1/me/preferences": needs(SETTINGS),
    # ---- wallet, bank cards, funding
    "GET /v1/wallet": needs(V),
    "GET /v1/wallet/history": needs(V),
    "GET /v1/wallet/transfers/{transfer_id}/proof": needs(V),
    "GET /v1/bank-cards": needs(V),
    "POST /v1/bank-cards": needs(CARDS),
    "DELETE /v1/bank-cards/{card_id}": needs(CARDS),
    "POST /v1/wallet/top-ups": needs(TOP_UP),
    "POST /v1/wallet/withdrawals": never("money leaving the wallet for a bank card is the elder's own decision"),
    # ---- payments: the endpoint picks pay_bills or pay_merchants from the merchant's category
    "POST /v1/payments/merchant": needs(BILLS, SHOPS),
    "POST /v1/payments/p2p": never("sending money to people is the commonest scam on elders; never delegated"),
    "GET /v1/payments/{payment_id}": needs(V),
    "POST /v1/payments/{payment_id}/refunds": _MERCHANT,
    # ---- merchants
    "POST /v1/merchants": _MERCHANT,
    "GET /v1/merchants/mine": _MERCHANT,
    "POST /v1/merchants/qr/parse": needs(V),
    "GET /v1/merchants/{merchant_id}": needs(V),
    "GET /v1/merchants/{merchant_id}/payments": _MERCHANT,
    # ---- messages and the journal
    "GET /v1/notifications": needs(V),
    "POST /v1/notifications/{notification_id}/read": never("the elder's messages stay unread until the elder reads "
                                                           "them (they include what relatives did)"),
    "POST /v1/notifications/marketing": _ADMIN,
    "GET /v1/journal/key": PUBLIC,
    "GET /v1/journal/checkpoints/latest": PUBLIC,
    "GET /healthz": PUBLIC,
    # ---- campus (students)
    "GET /v1/campus/campuses": _ADMIN,
    "POST /v1/campus/campuses": _ADMIN,
    "POST /v1/campus/campuses/{campus_id}/merchants": _ADMIN,
    "GET /v1/campus/campuses/{campus_id}/merchants": _ADMIN,
    "PUT /v1/campus/campuses/{campus_id}/merchants/{merchant_id}": _ADMIN,
    "POST /v1/campus/campuses/{campus_id}/students": _ADMIN,
    "GET /v1/campus/campuses/{campus_id}/students": _ADMIN,
    "POST /v1/campus/campuses/{campus_id}/students/{card_id}/activation-code": _ADMIN,
    "POST /v1/campus/campuses/{campus_id}/students/{card_id}/suspend": _ADMIN,
    "POST /v1/campus/campuses/{campus_id}/students/{card_id}/resume": _ADMIN,
    "POST /v1/campus/activate": _CAMPUS,
    "GET /v1/campus/me": _CAMPUS,
    "POST /v1/campus/me/devices": _CAMPUS,
    "DELETE /v1/campus/me/devices/{device_id}": _CAMPUS,
    "PUT /v1/campus/me/funding-source": _CAMPUS,
    "PUT /v1/campus/me/daily-limit": _CAMPUS,
    "GET /v1/campus/me/spending": _CAMPUS,
    "GET /v1/campus/me/charges": _CAMPUS,
    "POST /v1/campus/charges/{charge_id}/confirm": _CAMPUS,
    "POST /v1/campus/charges/{charge_id}/decline": _CAMPUS,
    "POST /v1/campus/scan-pay": _CAMPUS,
    "POST /v1/campus/charges": _MERCHANT,
    "GET /v1/campus/charges/{charge_id}": _CAMPUS,
    "GET /v1/campus/merchants/{merchant_id}/charges": _MERCHANT,
    "POST /v1/campus/charges/{charge_id}/refunds": _MERCHANT,
    # ---- city coupons
    "POST /v1/coupons/campaigns": _ADMIN,
    "GET /v1/coupons/campaigns": needs(V),
    "POST /v1/coupons/campaigns/{campaign_id}/funding": _ADMIN,
    "POST /v1/coupons/campaigns/{campaign_id}/rounds/{round_no}/commitment": _ADMIN,
    "POST /v1/coupons/campaigns/{campaign_id}/rounds/{round_no}/draw": _ADMIN,
    "POST /v1/coupons/campaigns/{campaign_id}/sweep": _ADMIN,
    "POST /v1/coupons/campaigns/{campaign_id}/announce": _ADMIN,
    "GET /v1/coupons/stats": _ADMIN,
    "GET /v1/coupons/campaigns/{campaign_id}": needs(V),
    "POST /v1/coupons/campaigns/{campaign_id}/claims": needs(COUPONS),
    "POST /v1/coupons/campaigns/{campaign_id}/registrations": needs(COUPONS),
    "GET /v1/coupons/campaigns/{campaign_id}/registrations/mine": needs(V),
    "GET /v1/coupons/campaigns/{campaign_id}/rounds/{round_no}": needs(V),
    "GET /v1/coupons/mine": needs(V),
    "GET /v1/coupons/best": needs(V),
    "GET /v1/coupons/merchants/{merchant_id}/subsidy": _MERCHANT,
    # ---- prepaid cards
    "POST /v1/prepaid/merchants/{merchant_id}/products": _MERCHANT,
    "PATCH /v1/prepaid/merchants/{merchant_id}/products/{product_id}": _MERCHANT,
    "GET /v1/prepaid/merchants/{merchant_id}/products/{product_id}/qr": _MERCHANT,
    "GET /v1/prepaid/merchants/{merchant_id}": _MERCHANT,
    "GET /v1/prepaid/merchants/{merchant_id}/cards": _MERCHANT,
    "GET /v1/prepaid/merchants/{merchant_id}/alerts": _MERCHANT,
    "POST /v1/prepaid/merchants/{merchant_id}/charges": _MERCHANT,
    "POST /v1/prepaid/merchants/{merchant_id}/escrow/withdrawals": _MERCHANT,
    "POST /v1/prepaid/merchants/{merchant_id}/closing-notice": _MERCHANT,
    "GET /v1/prepaid/products": needs(V),
    "POST /v1/prepaid/cards": needs(SHOPS),
    "GET /v1/prepaid/cards": needs(V),
    "GET /v1/prepaid/cards/{card_id}": needs(V),
    "POST /v1/prepaid/cards/{card_id}/top-ups": needs(SHOPS),
    "POST /v1/prepaid/cards/{card_id}/refund": needs(CARDS),
    "GET /v1/prepaid/complaints": needs(V),
    "POST /v1/prepaid/complaints": never("a complaint to the regulator is the holder's own statement"),
    "GET /v1/regulator/prepaid/merchants": _ADMIN,
    "GET /v1/regulator/prepaid/alerts": _ADMIN,
    "POST /v1/regulator/prepaid/alerts/{alert_id}/acknowledge": _ADMIN,
    "PUT /v1/regulator/prepaid/merchants/{merchant_id}/policy": _ADMIN,
    "POST /v1/regulator/prepaid/merchants/{merchant_id}/default": _ADMIN,
    "GET /v1/regulator/prepaid/policy": _ADMIN,
    "PUT /v1/regulator/prepaid/policy": _ADMIN,
    "GET /v1/regulator/prepaid/complaints": _ADMIN,
    "POST /v1/regulator/prepaid/complaints/{complaint_id}/resolve": _ADMIN,
    # ---- family: granting is personal
    "POST /v1/family/invites": _FAMILY,
    "POST /v1/family/invite-codes": _FAMILY,
    "POST /v1/family/invite-codes/accept": _FAMILY,
    "GET /v1/family/links": _FAMILY,
    "GET /v1/family/links/{link_id}": _FAMILY,
    "POST /v1/family/links/{link_id}/accept": _FAMILY,
    "PUT /v1/family/links/{link_id}/grant": _FAMILY,
    "DELETE /v1/family/links/{link_id}": _FAMILY,
    "GET /v1/family/links/{link_id}/actions": _FAMILY,
    "POST /v1/family/elders": _FAMILY,
    "POST /v1/family/setup/preview": _FAMILY,
    "POST /v1/family/setup": _FAMILY,
    # ---- family cards and the safety guardian (docs/family-card-and-guardian.md): consent is personal
    "POST /v1/family-cards": _CONSENT,
    "GET /v1/family-cards": _CONSENT,
    "POST /v1/family-cards/{card_id}/accept": _CONSENT,
    "POST /v1/family-cards/{card_id}/decline": _CONSENT,
    "PUT /v1/family-cards/{card_id}/paused": _CONSENT,
    "PUT /v1/family-cards/{card_id}/cap": _CONSENT,
    "POST /v1/family-cards/{card_id}/close": _CONSENT,
    "GET /v1/family-cards/{card_id}/uses": _CONSENT,
    "POST /v1/guardian/invitations": _CONSENT,
    "GET /v1/guardian": _CONSENT,
    "POST /v1/guardian/{gid}/accept": _CONSENT,
    "POST /v1/guardian/{gid}/decline": _CONSENT,
    "POST /v1/guardian/{gid}/end": _CONSENT,
    "GET /v1/pending-payments": _CONSENT,
    "GET /v1/pending-payments/{pid}": _CONSENT,
    "POST /v1/pending-payments/{pid}/approve": _CONSENT,
    "POST /v1/pending-payments/{pid}/decline": _CONSENT,
    "POST /v1/pending-payments/{pid}/revoke": _CONSENT,
}

UNDECIDED = never("no delegation decision was made for this route, so it refuses (fail closed)")


def rule_for(method: str, path: str) -> Rule:
    return ROUTE_RULES.get(f"{method.upper()} {path}", UNDECIDED)
