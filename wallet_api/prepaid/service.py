"""Prepaid cards: products, sales, top-ups, charges, refunds, escrow withdrawals, policy changes,
closing notices, merchant default and complaints. Money moves only through `post_transfer`.

Lock order, everywhere: the merchant's prepaid profile row (FOR UPDATE), then card rows (in id
order), then the ledger accounts (inside post_transfer). Every operation that changes a merchant's
escrow, liability or cards takes the profile lock first, so a default and a charge on the same
merchant are serialised, and the balances read after the lock cannot change under us.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wallet_api.auth.models import User
from wallet_api.errors import Forbidden, InvalidAmount, MerchantNotFound, NotFound, SelfPayment
from wallet_api.ledger import Account, Leg, open_account, post_transfer
from wallet_api.ledger.posting import PostedTransfer
from wallet_api.merchants.models import Merchant
from wallet_api.notifications.service import notify
from wallet_api.payments.service import wallet_account_id, yuan
from wallet_api.prepaid import alerts
from wallet_api.prepaid.errors import (BalanceRefundNotAllowed, BonusNotFunded, CardAlreadyUsed, CardBalanceTooLow,
                                       CardClosed, CardExpired, CardLimitExceeded, ClosingNoticeGiven,
                                       ComplaintAlreadyOpen, ComplaintNotAllowed, CoolingOffOver,
                                       EscrowWithdrawalRefused, ForeignCard, MerchantClosed, MerchantClosing,
                                       MerchantDefaulted, PrepaidCardNotFound, PrepaidNotEnrolled,
                                       PrepaidProductNotFound, ProductNotOnSale, RealNameRequired, RefundNotCovered)
from wallet_api.prepaid.models import (PrepaidAccountKind, PrepaidCard, PrepaidComplaint, PrepaidMerchant,
                                       PrepaidProduct, card_code, escrow_code, liability_code)
from wallet_api.prepaid.policy import (PolicyValues, charge_release, current_policy, default_split, holder_share,
                                       refund_split, required_escrow, save_policy, shortfall, withdrawable)
from wallet_api.schemas import NotificationCategory as Cat


# ---- locks and reads ----------------------------------------------------------------------------

def _lock_profile(session: Session, merchant_id: int) -> PrepaidMerchant:
    pm = session.scalars(select(PrepaidMerchant).where(PrepaidMerchant.merchant_id == merchant_id)
                         .with_for_update().execution_options(populate_existing=True)).first()
    if pm is None:
        raise PrepaidNotEnrolled(f"Merchant {merchant_id} sells no prepaid cards yet.")
    return pm


def _lock_card(session: Session, card_id: int) -> PrepaidCard:
    return session.scalars(select(PrepaidCard).where(PrepaidCard.id == card_id).with_for_update()
                           .execution_options(populate_existing=True)).one()


def _balance(session: Session, account_id: int) -> int:
    return session.scalar(select(Account.balance).where(Account.id == account_id))


@dataclass(frozen=True)
class Books:
    """A merchant's prepaid money, read under its profile lock."""

    escrow: int
    outstanding: int   # = minus the liability balance = the sum of its card balances
    settlement: int
    settlement_account_id: int
    pct: int           # the share of `outstanding` that must stay in escrow

    @property
    def required(self) -> int:
        return required_escrow(self.outstanding, self.pct)


def books(session: Session, pm: PrepaidMerchant, policy: PolicyValues, known: dict[int, int] | None = None) -> Books:
    """`known`: balances just written by post_transfer (account id -> balance), so they need no re-read."""
    known = known or {}
    merchant = session.get(Merchant, pm.merchant_id)

    def balance(account_id: int) -> int:
        return known[account_id] if account_id in known else _balance(session, account_id)
    return Books(escrow=balance(pm.escrow_account_id), outstanding=-balance(pm.liability_account_id),
                 settlement=balance(merchant.settlement_account_id),
                 settlement_account_id=merchant.settlement_account_id,
                 pct=policy.required_pct(pm.escrow_policy, pm.issuer_type))


def _after_money_moved(session: Session, pm: PrepaidMerchant, policy: PolicyValues, now: datetime,
                       posted: PostedTransfer | None = None) -> Books:
    """Run the warning rules on the merchant's books as they now stand, in the same transaction."""
    b = books(session, pm, policy, posted.balances if posted else None)
    alerts.evaluate_money_rules(session, pm, escrow=b.escrow, outstanding=b.outstanding, policy=policy, now=now)
    return b


def standing(pm: PrepaidMerchant, now: datetime) -> str:
    """active | closing (notice given) | closed (notice period over) | defaulted."""
    if pm.status == "closing" and pm.closes_at is not None and now >= pm.closes_at:
        return "closed"
    return pm.status


def _merchant_name(merchant: Merchant) -> str:
    return merchant.local_name or merchant.name


def _legs(*pairs: tuple[int, int]) -> list[Leg]:
    """Ledger legs, leaving out zero amounts and merging repeats of one account."""
    merged: dict[int, int] = defaultdict(int)
    for account_id, amount in pairs:
        merged[account_id] += amount
    return [Leg(account_id, amount) for account_id, amount in merged.items() if amount != 0]


def _require_positive(amount: int) -> None:
    if type(amount) is not int or amount <= 0:
        raise InvalidAmount("Amounts are whole numbers of fen greater than 0.")


# ---- enrolment and products ---------------------------------------------------------------------

def owned_merchant(session: Session, owner: User, merchant_id: int) -> Merchant:
    merchant = session.get(Merchant, merchant_id)
    if merchant is None:
        raise MerchantNotFound(f"There is no merchant {merchant_id}.")
    if merchant.owner_user_id != owner.id:
        raise Forbidden("Only the merchant's owner can do this.")
    return merchant


def enrol(session: Session, merchant: Merchant, now: datetime) -> PrepaidMerchant:
    """The merchant's prepaid profile, opening its escrow and liability accounts the first time."""
    # Lock the merchant row: two first products at once must not enrol it twice.
    session.execute(select(Merchant.id).where(Merchant.id == merchant.id).with_for_update())
    pm = session.get(PrepaidMerchant, merchant.id)
    if pm is not None:
        return pm
    # The escrow is held at the custodian for the merchant: no user owns it.
    escrow = open_account(session, code=escrow_code(merchant.id), kind=PrepaidAccountKind.ESCROW)
    liability = open_account(session, code=liability_code(merchant.id), kind=PrepaidAccountKind.PREPAID_LIABILITY,
                             allow_negative=True)
    pm = PrepaidMerchant(merchant_id=merchant.id, escrow_account_id=escrow.id, liability_account_id=liability.id,
                         escrow_policy="full", issuer_type="scale", status="active", created_at=now)
    session.add(pm)
    session.flush()
    return pm


def define_product(session: Session, merchant: Merchant, *, name: str, face_value_fen: int, bonus_value_fen: int,
                   validity_days: int, named: bool, now: datetime) -> PrepaidProduct:
    if merchant.status != "active":
        raise MerchantNotFound(f"{merchant.name} is not trading now.")
    pm = enrol(session, merchant, now)
    _refuse_sales(pm, now)
    policy = current_policy(session)
    limit = policy.card_limit(named)
    if face_value_fen + bonus_value_fen > limit:
        raise CardLimitExceeded(
            f"A {'named' if named else 'anonymous'} card may hold at most {yuan(limit)} CNY; this one would hold "
            f"{yuan(face_value_fen + bonus_value_fen)} CNY. Lower the value"
            f"{'' if named else ' or make it a named card'}.",
            limit_fen=limit, attempted_balance_fen=face_value_fen + bonus_value_fen)
    product = PrepaidProduct(merchant_id=merchant.id, name=name, face_value_fen=face_value_fen,
                             bonus_value_fen=bonus_value_fen, validity_days=validity_days, named=named, on_sale=True,
                             created_at=now)
    session.add(product)
    session.flush()
    return product


def set_on_sale(session: Session, merchant: Merchant, product_id: int, on_sale: bool,
                now: datetime) -> PrepaidProduct:
    product = session.get(PrepaidProduct, product_id)
    if product is None or product.merchant_id != merchant.id:
        raise PrepaidProductNotFound(f"{merchant.name} has no card product {product_id}.")
    if on_sale:
        _refuse_sales(_lock_profile(session, merchant.id), now)
    product.on_sale = on_sale
    return product


def _refuse_sales(pm: PrepaidMerchant, now: datetime) -> None:
    state = standing(pm, now)
    if state == "defaulted":
        raise MerchantDefaulted("This shop has been declared in default by the regulator: it can no longer sell "
                                "or charge prepaid cards. Remaining balances were refunded to holders' wallets.")
    if state in ("closing", "closed"):
        raise MerchantClosing(f"This shop has given notice that it closes on {pm.closes_at:%Y-%m-%d}, so it sells no "
                              "new cards or top-ups. Holders can still use or refund their balances.")


# ---- buying and topping up ----------------------------------------------------------------------

class OverLimit(CardLimitExceeded):
    """A refused sale or top-up above the per-card limit: the refusal rolls back, but the alert it
    raises is recorded afterwards in its own transaction (`alerts.record_over_limit`, called by the router)."""

    def __init__(self, detail: str, *, merchant_id: int, evidence: dict, **extra) -> None:
        super().__init__(detail, **extra)
        self.merchant_id, self.evidence = merchant_id, evidence


def _check_limit(pm: PrepaidMerchant, policy: PolicyValues, *, named: bool, balance_after: int,
                 what: str, evidence: dict) -> None:
    limit = policy.card_limit(named)
    if balance_after > limit:
        raise OverLimit(
            f"A {'named' if named else 'anonymous'} card may hold at most {yuan(limit)} CNY; after this {what} it "
            f"would hold {yuan(balance_after)} CNY. Choose a smaller amount. The shop and the regulator have "
            f"been told of the attempt.",
            merchant_id=pm.merchant_id, limit_fen=limit, attempted_balance_fen=balance_after,
            evidence=evidence | {"limit_fen": limit, "attempted_balance_fen": balance_after, "named": named,
                                 "operation": what})


def get_product(session: Session, product_id: int) -> PrepaidProduct:
    product = session.get(PrepaidProduct, product_id)
    if product is None:
        raise PrepaidProductNotFound(f"There is no card product {product_id}. Check it or scan the shop's QR again.")
    return product


def check_sale(session: Session, buyer: User, product: PrepaidProduct, pm: PrepaidMerchant, policy: PolicyValues,
               now: datetime) -> Merchant:
    """Everything that can refuse a sale before money moves (also run before a bank card is debited)."""
    merchant = session.get(Merchant, product.merchant_id)
    _refuse_sales(pm, now)
    if not product.on_sale:
        raise ProductNotOnSale(f"{merchant.name} no longer sells the card {product.name!r}.")
    if merchant.owner_user_id == buyer.id:
        raise SelfPayment("You cannot buy a prepaid card of your own shop.")
    if product.named and not buyer.real_name_verified:
        raise RealNameRequired("A named card is registered to your real name: verify your real name first "
                               "(Me → Real name), then buy the card.")
    value = product.face_value_fen + product.bonus_value_fen
    _check_limit(pm, policy, named=product.named, balance_after=value, what="sale",
                 evidence={"product_id": product.id, "buyer_user_id": buyer.id})
    if product.bonus_value_fen and _balance(session, merchant.settlement_account_id) < product.bonus_value_fen:
        raise BonusNotFunded(f"{merchant.name} cannot put this card's bonus value of "
                             f"{yuan(product.bonus_value_fen)} CNY into escrow right now, so the card cannot be sold. "
                             "Nothing was charged; try another card or ask the shop.")
    return merchant


def precheck_sale(session: Session, buyer: User, product_id: int, now: datetime) -> PrepaidProduct:
    product = get_product(session, product_id)
    pm = session.get(PrepaidMerchant, product.merchant_id)
    check_sale(session, buyer, product, pm, current_policy(session), now)
    return product


def buy_card(session: Session, buyer: User, product_id: int, now: datetime) -> PrepaidCard:
    """Wallet -> escrow for the price; the card and the merchant's liability get price + bonus.
    A bonus is funded by the merchant, from its settlement balance into escrow (docs/prepaid.md)."""
    product = get_product(session, product_id)
    pm = _lock_profile(session, product.merchant_id)
    policy = current_policy(session)
    merchant = check_sale(session, buyer, product, pm, policy, now)
    price, bonus = product.face_value_fen, product.bonus_value_fen
    account = open_account(session, code=f"prepaid_card:pending:{uuid.uuid4().hex}",
                           kind=PrepaidAccountKind.PREPAID_CARD, owner_user_id=buyer.id)
    card = PrepaidCard(product_id=product.id, merchant_id=pm.merchant_id, holder_user_id=buyer.id,
                       account_id=account.id, named=product.named, status="active", paid_fen=price, bonus_fen=bonus,
                       purchased_at=now, expires_at=now + timedelta(days=product.validity_days),
                       refunded_fen=0, unrecovered_fen=0)
    session.add(card)
    session.flush()
    account.code = card_code(card.id)
    transfer = post_transfer(
        session, kind="prepaid_purchase", memo=product.name, actor_user_id=buyer.id,
        legs=_legs((wallet_account_id(session, buyer.id), -price), (pm.escrow_account_id, price + bonus),
                   (account.id, price + bonus), (pm.liability_account_id, -(price + bonus)),
                   (merchant.settlement_account_id, -bonus)),
        details={"from": buyer.display_name, "to": _merchant_name(merchant), "merchant_id": merchant.id,
                 "card_id": card.id, "product_id": product.id})
    card.purchase_transfer_id = transfer.id
    _after_money_moved(session, pm, policy, now, transfer)
    notify(session, buyer.id, Cat.TRANSACTIONAL, "notice.prepaid_card_bought",
           f"You bought the card {product.name!r} of {merchant.name} for {yuan(price)} CNY. It holds "
           f"{yuan(price + bonus)} CNY until {card.expires_at:%Y-%m-%d}; the money waits in escrow and reaches the "
           "shop only as you use it.", card_id=card.id, amount_fen=price, merchant=merchant.name)
    notify(session, merchant.owner_user_id, Cat.TRANSACTIONAL, "notice.prepaid_card_sold",
           f"{merchant.name} sold the card {product.name!r} to {buyer.display_name}; {yuan(price + bonus)} CNY is "
           "held in escrow and released to you as it is used.", card_id=card.id, amount_fen=price)
    session.flush()
    return card


def holder_card(session: Session, holder: User, card_id: int) -> PrepaidCard:
    card = session.get(PrepaidCard, card_id)
    if card is None or card.holder_user_id != holder.id:
        raise PrepaidCardNotFound(f"You have no prepaid card {card_id}.")
    return card


def precheck_top_up(session: Session, holder: User, card_id: int, amount: int, now: datetime) -> None:
    card = holder_card(session, holder, card_id)
    pm = session.get(PrepaidMerchant, card.merchant_id)
    _check_top_up(session, card, pm, current_policy(session), amount, now)


def _check_top_up(session: Session, card: PrepaidCard, pm: PrepaidMerchant, policy: PolicyValues, amount: int,
                  now: datetime) -> int:
    _refuse_sales(pm, now)
    _refuse_closed_or_expired(card, now)
    balance = _balance(session, card.account_id)
    _check_limit(pm, policy, named=card.named, balance_after=balance + amount, what="top-up",
                 evidence={"card_id": card.id, "holder_user_id": card.holder_user_id, "amount_fen": amount})
    return balance


def top_up_card(session: Session, holder: User, card_id: int, amount: int, now: datetime) -> PrepaidCard:
    _require_positive(amount)
    card = holder_card(session, holder, card_id)
    pm = _lock_profile(session, card.merchant_id)
    card = _lock_card(session, card.id)
    policy = current_policy(session)
    _check_top_up(session, card, pm, policy, amount, now)
    merchant = session.get(Merchant, pm.merchant_id)
    transfer = post_transfer(session, kind="prepaid_top_up", memo="top-up", actor_user_id=holder.id,
                  legs=_legs((wallet_account_id(session, holder.id), -amount), (pm.escrow_account_id, amount),
                             (card.account_id, amount), (pm.liability_account_id, -amount)),
                  details={"from": holder.display_name, "to": _merchant_name(merchant), "merchant_id": merchant.id,
                           "card_id": card.id})
    card.paid_fen += amount
    _after_money_moved(session, pm, policy, now, transfer)
    notify(session, holder.id, Cat.TRANSACTIONAL, "notice.prepaid_card_topped_up",
           f"You added {yuan(amount)} CNY to your {merchant.name} card; it is held in escrow.",
           card_id=card.id, amount_fen=amount)
    return card


def _refuse_closed_or_expired(card: PrepaidCard, now: datetime) -> None:
    if card.status == "closed":
        raise CardClosed(f"Card {card.id} is closed ({card.closed_reason}); it can no longer be used.")
    if now >= card.expires_at:
        raise CardExpired(f"Card {card.id} expired on {card.expires_at:%Y-%m-%d}. Its remaining balance can still "
                          "be refunded to your wallet.")


# ---- charging (release per consumption) ---------------------------------------------------------

@dataclass(frozen=True)
class Charge:
    card: PrepaidCard
    transfer_id: int
    amount: int
    released: int
    balance_after: int


def charge_card(session: Session, merchant: Merchant, card_id: int, amount: int, description: str,
                now: datetime) -> Charge:
    """Card -Y and liability +Y; escrow releases to the merchant what the policy allows (all of Y
    under the full policy), in the same transfer."""
    _require_positive(amount)
    card = session.get(PrepaidCard, card_id)
    if card is None:
        raise PrepaidCardNotFound(f"There is no prepaid card {card_id}. Check the number on the customer's card.")
    if card.merchant_id != merchant.id:
        raise ForeignCard(f"Card {card_id} was sold by another shop and can only be used there.")
    pm = _lock_profile(session, merchant.id)
    card = _lock_card(session, card_id)
    state = standing(pm, now)
    if state == "defaulted":
        raise MerchantDefaulted("This shop is in default: its cards were closed and refunded.")
    if state == "closed":
        raise MerchantClosed(f"This shop closed on {pm.closes_at:%Y-%m-%d}; its cards can no longer be charged.")
    _refuse_closed_or_expired(card, now)
    policy = current_policy(session)
    b = books(session, pm, policy)
    balance = _balance(session, card.account_id)
    if amount > balance:
        raise CardBalanceTooLow(f"The card holds {yuan(balance)} CNY, less than {yuan(amount)} CNY. Charge at most "
                                "the balance, or ask the customer to top the card up.",
                                balance_fen=balance, needed_fen=amount)
    released = charge_release(b.escrow, b.outstanding, amount, b.pct)
    holder = session.get(User, card.holder_user_id)
    transfer = post_transfer(
        session, kind="prepaid_charge", memo=description, actor_user_id=merchant.owner_user_id,
        legs=_legs((card.account_id, -amount), (pm.liability_account_id, amount),
                   (pm.escrow_account_id, -released), (b.settlement_account_id, released)),
        details={"from": holder.display_name, "to": _merchant_name(merchant), "merchant_id": merchant.id,
                 "card_id": card.id, "released_fen": released})
    card.first_charged_at = card.first_charged_at or now
    _after_money_moved(session, pm, policy, now, transfer)
    notify(session, holder.id, Cat.TRANSACTIONAL, "notice.prepaid_card_charged",
           f"{merchant.name} charged {yuan(amount)} CNY to your card for: {description}. "
           f"{yuan(balance - amount)} CNY left.", card_id=card.id, amount_fen=amount, merchant=merchant.name)
    return Charge(card=card, transfer_id=transfer.id, amount=amount, released=released,
                  balance_after=balance - amount)


# ---- refunds to the holder ----------------------------------------------------------------------

@dataclass(frozen=True)
class CardRefund:
    card: PrepaidCard
    kind: str               # cooling_off | balance
    balance: int            # what the card held
    to_holder: int
    to_merchant: int        # the bonus share of the balance, back to the merchant
    transfer_id: int | None


def in_cooling_off(card: PrepaidCard, policy: PolicyValues, now: datetime) -> bool:
    return card.first_charged_at is None and now <= card.purchased_at + timedelta(days=policy.cooling_off_days)


def refund_card(session: Session, holder: User, card_id: int, kind: str, now: datetime) -> CardRefund:
    """Close the card and pay its balance back to the holder's wallet.

    kind: "cooling_off" (unused, within the cooling-off period: everything paid comes back),
    "balance" (the remaining balance, if policy allows), or "auto" (cooling-off when it applies).
    """
    card = holder_card(session, holder, card_id)
    pm = _lock_profile(session, card.merchant_id)
    card = _lock_card(session, card_id)
    if card.status == "closed":
        raise CardClosed(f"Card {card.id} is already closed ({card.closed_reason}).")
    policy = current_policy(session)
    cooling = in_cooling_off(card, policy, now)
    if kind == "cooling_off" and not cooling:
        if card.first_charged_at is not None:
            raise CardAlreadyUsed("The card has been used, so the cooling-off refund no longer applies. You can ask "
                                  "for the remaining balance instead.")
        raise CoolingOffOver(f"The {policy.cooling_off_days}-day cooling-off period ended on "
                             f"{card.purchased_at + timedelta(days=policy.cooling_off_days):%Y-%m-%d}. You can ask "
                             "for the remaining balance instead.")
    kind = "cooling_off" if cooling and kind != "balance" else "balance"
    if kind == "balance" and not (policy.balance_refunds_allowed or standing(pm, now) in ("closing", "closed")):
        raise BalanceRefundNotAllowed("Refunds of a remaining balance are switched off by the programme's policy. "
                                      "Use the balance at the shop, or file a complaint if the shop refuses service.")
    merchant = session.get(Merchant, pm.merchant_id)
    balance = _balance(session, card.account_id)
    to_holder = holder_share(balance, card.paid_fen, card.bonus_fen)
    transfer, to_merchant = None, 0
    if balance > 0:
        b = books(session, pm, policy)
        split = refund_split(escrow=b.escrow, outstanding=b.outstanding, settlement=b.settlement, balance=balance,
                             to_holder=to_holder, pct=b.pct)
        if split is None:
            raise RefundNotCovered("The escrow and the shop's own balance cannot pay this refund in full right now. "
                                   "Nothing was changed. File a complaint: the regulator can act on it.",
                                   refundable_fen=to_holder, escrow_fen=b.escrow)
        to_merchant = balance - to_holder
        transfer = post_transfer(
            session, kind="prepaid_refund", memo=f"{kind.replace('_', '-')} refund", actor_user_id=holder.id,
            legs=_legs((card.account_id, -balance), (pm.liability_account_id, balance),
                       (pm.escrow_account_id, -(split.escrow_to_holder + split.escrow_to_merchant)),
                       (b.settlement_account_id, split.escrow_to_merchant - split.settlement_to_holder),
                       (wallet_account_id(session, holder.id), to_holder)),
            details={"from": _merchant_name(merchant), "to": holder.display_name, "merchant_id": merchant.id,
                     "card_id": card.id, "refund": kind, "bonus_share_fen": to_merchant})
    card.status, card.closed_at, card.closed_reason, card.refunded_fen = "closed", now, kind, to_holder
    _after_money_moved(session, pm, policy, now, transfer)
    notify(session, holder.id, Cat.TRANSACTIONAL, "notice.prepaid_card_refunded",
           f"Your {merchant.name} card is closed and {yuan(to_holder)} CNY is back in your wallet.",
           card_id=card.id, amount_fen=to_holder)
    notify(session, merchant.owner_user_id, Cat.TRANSACTIONAL, "notice.prepaid_card_returned",
           f"{holder.display_name} returned a {merchant.name} card; {yuan(to_holder)} CNY was refunded from escrow.",
           card_id=card.id, amount_fen=to_holder)
    return CardRefund(card=card, kind=kind, balance=balance, to_holder=to_holder, to_merchant=to_merchant,
                      transfer_id=transfer.id if transfer else None)


# ---- escrow: withdrawals and policy -------------------------------------------------------------

def withdraw_escrow(session: Session, merchant: Merchant, amount: int, now: datetime) -> tuple[int, Books]:
    """Ratio policy: the merchant takes escrow above the required share into its settlement account."""
    _require_positive(amount)
    pm = _lock_profile(session, merchant.id)
    if pm.status == "defaulted":
        raise MerchantDefaulted("This shop is in default; its escrow was paid out to card holders.")
    policy = current_policy(session)
    b = books(session, pm, policy)
    available = withdrawable(b.escrow, b.outstanding, b.pct)
    if amount > available:
        why = ("Under the full-escrow policy money leaves escrow only as cards are used."
               if pm.escrow_policy == "full" else
               f"Escrow must keep {b.pct}% of the {yuan(b.outstanding)} CNY on your cards ({yuan(b.required)} CNY).")
        raise EscrowWithdrawalRefused(f"{why} You can withdraw at most {yuan(available)} CNY now.",
                                      available_fen=available, required_fen=b.required, escrow_fen=b.escrow)
    transfer = post_transfer(session, kind="prepaid_escrow_withdrawal", memo="escrow withdrawal",
                             actor_user_id=merchant.owner_user_id,
                             legs=[Leg(pm.escrow_account_id, -amount), Leg(b.settlement_account_id, amount)],
                             details={"from": "escrow", "to": _merchant_name(merchant), "merchant_id": merchant.id})
    return transfer.id, _after_money_moved(session, pm, policy, now, transfer)


def _cover_shortfall(session: Session, pm: PrepaidMerchant, merchant: Merchant, policy: PolicyValues,
                     actor_user_id: int | None) -> None:
    """After a stricter policy: move the shortfall from the merchant's settlement balance into escrow, as far
    as that balance goes (what it cannot cover stays a shortfall, and the coverage alert says so)."""
    b = books(session, pm, policy)
    amount = min(shortfall(b.escrow, b.outstanding, b.pct), max(b.settlement, 0))
    if amount > 0:
        post_transfer(session, kind="prepaid_escrow_deposit", memo="escrow top-up after a policy change",
                      actor_user_id=actor_user_id,
                      legs=[Leg(b.settlement_account_id, -amount), Leg(pm.escrow_account_id, amount)],
                      details={"from": _merchant_name(merchant), "to": "escrow", "merchant_id": merchant.id})


def set_merchant_policy(session: Session, regulator: User, merchant: Merchant, *, escrow_policy: str,
                        issuer_type: str, now: datetime) -> PrepaidMerchant:
    enrol(session, merchant, now)
    pm = _lock_profile(session, merchant.id)
    if pm.status == "defaulted":
        raise MerchantDefaulted("This merchant is in default; its policy can no longer change.")
    pm.escrow_policy, pm.issuer_type = escrow_policy, issuer_type
    policy = current_policy(session)
    _cover_shortfall(session, pm, merchant, policy, regulator.id)
    b = _after_money_moved(session, pm, policy, now)
    notify(session, merchant.owner_user_id, Cat.SECURITY, "notice.prepaid_policy_changed",
           f"The regulator set {merchant.name}'s escrow policy to {escrow_policy} ({b.pct}% of card balances "
           "held in escrow).", escrow_policy=escrow_policy, required_pct=b.pct)
    return pm


def apply_programme_policy(session: Session, regulator: User, values: PolicyValues, now: datetime) -> None:
    """New programme-wide numbers: every merchant's coverage is re-checked (and topped up) at once."""
    save_policy(session, values, by_user_id=regulator.id, now=now)
    ids = session.scalars(select(PrepaidMerchant.merchant_id).where(PrepaidMerchant.status != "defaulted")
                          .order_by(PrepaidMerchant.merchant_id)).all()
    for merchant_id in ids:
        pm = _lock_profile(session, merchant_id)
        _cover_shortfall(session, pm, session.get(Merchant, merchant_id), values, regulator.id)
        _after_money_moved(session, pm, values, now)


# ---- closing and default ------------------------------------------------------------------------

def give_closing_notice(session: Session, merchant: Merchant, now: datetime) -> tuple[PrepaidMerchant, int, int]:
    """The merchant announces it closes in `closing_notice_days`. Sales stop; holders are told to use or
    refund their balances (refunds are allowed whatever the refund policy). Returns (profile, outstanding,
    holders told)."""
    pm = _lock_profile(session, merchant.id)
    if pm.status == "defaulted":
        raise MerchantDefaulted("This shop is already in default.")
    if pm.status == "closing":
        raise ClosingNoticeGiven(f"Notice of closing was already given; the shop closes on {pm.closes_at:%Y-%m-%d}.")
    policy = current_policy(session)
    pm.status, pm.closing_notice_at = "closing", now
    pm.closes_at = now + timedelta(days=policy.closing_notice_days)
    for product in session.scalars(select(PrepaidProduct).where(PrepaidProduct.merchant_id == merchant.id)):
        product.on_sale = False
    b = _after_money_moved(session, pm, policy, now)
    holders = _holders_with_balance(session, merchant.id)
    for holder_id, balance in holders.items():
        notify(session, holder_id, Cat.TRANSACTIONAL, "notice.prepaid_merchant_closing",
               f"{merchant.name} closes on {pm.closes_at:%Y-%m-%d}. Your card still holds {yuan(balance)} CNY: use it "
               "before then or ask for a refund to your wallet.", merchant=merchant.name, amount_fen=balance,
               closes_at=pm.closes_at.isoformat())
    return pm, b.outstanding, len(holders)


def _holders_with_balance(session: Session, merchant_id: int) -> dict[int, int]:
    rows = session.execute(select(PrepaidCard.holder_user_id, Account.balance)
                           .join(Account, Account.id == PrepaidCard.account_id)
                           .where(PrepaidCard.merchant_id == merchant_id, PrepaidCard.status == "active",
                                  Account.balance > 0))
    holders: dict[int, int] = defaultdict(int)
    for holder_id, balance in rows:
        holders[holder_id] += balance
    return dict(holders)


@dataclass(frozen=True)
class DefaultResult:
    merchant_id: int
    cards_closed: int
    holders: int
    refunded: int
    unrecovered: int
    returned_to_merchant: int
    transfer_id: int | None


def declare_default(session: Session, regulator: User, merchant: Merchant, now: datetime) -> DefaultResult:
    """Refund every outstanding card balance of the merchant from escrow to the holders' wallets in ONE
    transfer, close every card, stop sales, and tell every holder."""
    pm = _lock_profile(session, merchant.id)
    if pm.status == "defaulted":
        raise MerchantDefaulted(f"{merchant.name} was already declared in default on {pm.defaulted_at:%Y-%m-%d}.")
    cards = list(session.scalars(select(PrepaidCard).where(PrepaidCard.merchant_id == merchant.id,
                                                           PrepaidCard.status == "active")
                                 .order_by(PrepaidCard.id).with_for_update()
                                 .execution_options(populate_existing=True)))
    balances = dict(session.execute(select(PrepaidCard.id, Account.balance)
                                    .join(Account, Account.id == PrepaidCard.account_id)
                                    .where(PrepaidCard.id.in_([c.id for c in cards]))).all()) if cards else {}
    policy = current_policy(session)
    b = books(session, pm, policy)
    owed = {card_id: balance for card_id, balance in balances.items() if balance > 0}
    split = default_split(escrow=b.escrow, settlement=b.settlement, balances=owed)
    by_id = {card.id: card for card in cards}
    paid_to: dict[int, int] = defaultdict(int)
    for card_id, amount in split.payouts.items():
        paid_to[by_id[card_id].holder_user_id] += amount
    legs = _legs(*((by_id[card_id].account_id, -balance) for card_id, balance in owed.items()),
                 (pm.liability_account_id, sum(owed.values())), (pm.escrow_account_id, -split.from_escrow),
                 (b.settlement_account_id, split.settlement_delta),
                 *((wallet_account_id(session, holder_id), amount) for holder_id, amount in paid_to.items()))
    transfer = None
    if legs:
        transfer = post_transfer(session, kind="prepaid_default_refund", memo="merchant default: cards refunded",
                                 actor_user_id=regulator.id, legs=legs,
                                 details={"from": f"escrow of {_merchant_name(merchant)}", "to": "card holders",
                                          "merchant_id": merchant.id, "cards": len(owed)})
    transfer_id = transfer.id if transfer else None
    for card in cards:
        card.status, card.closed_at, card.closed_reason = "closed", now, "merchant_default"
        card.refunded_fen = split.payouts.get(card.id, 0)
        card.unrecovered_fen = split.unrecovered.get(card.id, 0)
    for product in session.scalars(select(PrepaidProduct).where(PrepaidProduct.merchant_id == merchant.id)):
        product.on_sale = False
    pm.status, pm.defaulted_at, pm.default_transfer_id = "defaulted", now, transfer_id
    _after_money_moved(session, pm, policy, now, transfer)
    for holder_id, amount in sorted(paid_to.items()):
        short = sum(split.unrecovered[c] for c in owed if by_id[c].holder_user_id == holder_id)
        notify(session, holder_id, Cat.TRANSACTIONAL, "notice.prepaid_merchant_default",
               f"{merchant.name} has been declared in default by the regulator. Your card is closed and "
               f"{yuan(amount)} CNY from escrow is back in your wallet."
               + (f" {yuan(short)} CNY could not be recovered; the regulator holds your claim." if short else ""),
               merchant=merchant.name, amount_fen=amount, unrecovered_fen=short)
    notify(session, merchant.owner_user_id, Cat.SECURITY, "notice.prepaid_default_declared",
           f"The regulator declared {merchant.name} in default: all its prepaid cards were refunded from escrow "
           "and closed, and it can no longer sell cards.", merchant=merchant.name)
    return DefaultResult(merchant_id=merchant.id, cards_closed=len(cards), holders=len(paid_to),
                         refunded=sum(split.payouts.values()), unrecovered=sum(split.unrecovered.values()),
                         returned_to_merchant=max(split.settlement_delta, 0), transfer_id=transfer_id)


# ---- complaints ---------------------------------------------------------------------------------

def file_complaint(session: Session, user: User, merchant_id: int, category: str, text: str,
                   now: datetime) -> PrepaidComplaint:
    pm = _lock_profile(session, merchant_id)
    held = session.scalar(select(PrepaidCard.id).where(PrepaidCard.merchant_id == merchant_id,
                                                       PrepaidCard.holder_user_id == user.id).limit(1))
    if held is None:
        raise ComplaintNotAllowed("Only people who hold or held a prepaid card of this shop can file a complaint "
                                  "about it here.")
    complaint = PrepaidComplaint(merchant_id=merchant_id, user_id=user.id, category=category, text=text,
                                 status="open", open_key=f"{merchant_id}:{user.id}", created_at=now)
    try:
        with session.begin_nested():
            session.add(complaint)
            session.flush()
    except IntegrityError:
        raise ComplaintAlreadyOpen("You already have an open complaint about this shop; the regulator will deal "
                                   "with it. Add to it by contacting the regulator.") from None
    alerts.evaluate_complaints(session, pm.merchant_id, policy=current_policy(session), now=now)
    merchant = session.get(Merchant, merchant_id)
    notify(session, merchant.owner_user_id, Cat.SECURITY, "notice.prepaid_complaint",
           f"A card holder filed a complaint about {merchant.name} ({category}).", complaint_category=category)
    return complaint


def resolve_complaint(session: Session, complaint_id: int, resolution: str, now: datetime) -> PrepaidComplaint:
    complaint = session.get(PrepaidComplaint, complaint_id)
    if complaint is None:
        raise NotFound(f"There is no complaint {complaint_id}.")
    _lock_profile(session, complaint.merchant_id)
    if complaint.status == "open":
        complaint.status, complaint.open_key, complaint.resolved_at = "resolved", None, now
        complaint.resolution = resolution
        notify(session, complaint.user_id, Cat.TRANSACTIONAL, "notice.prepaid_complaint_resolved",
               f"The regulator closed your complaint: {resolution}", complaint_id=complaint.id)
    alerts.evaluate_complaints(session, complaint.merchant_id, policy=current_policy(session), now=now)
    return complaint
