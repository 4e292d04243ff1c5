"""Giving, answering, pausing and closing family cards, and paying a shop with one.

A card is a permission, not an account: a payment with it debits the giver's wallet and credits the shop in
one ledger transfer, written in the same transaction as the payment and its `FamilyCardUse`. The month's
spend is counted while the card row is locked, so concurrent payments queue on the card and can never take
the month past its cap. Months are calendar months in Asia/Shanghai time (UTC+8, no daylight saving).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wallet_api.auth.models import User
from wallet_api.config import Settings
from wallet_api.coupons import redemption as coupon_payments
from wallet_api.coupons.models import Coupon, CouponCampaign
from wallet_api.errors import InsufficientFunds, PayeeNotFound, SelfPayment
from wallet_api.family_card.errors import (CapOutOfRange, CapReached, CardAlreadyGiven, CardNotOpen, CardPaused,
                                           FamilyCardNotFound, GiveLimitReached, GiverShort, HoldLimitReached,
                                           NotAnOffer)
from wallet_api.family_card.models import OPEN_STATUSES, FamilyCard, FamilyCardUse
from wallet_api.ledger import Transfer
from wallet_api.merchants.models import Merchant
from wallet_api.notifications.service import notify
from wallet_api.payments import service as payments
from wallet_api.payments.models import Payment
from wallet_api.schemas import NotificationCategory as Cat
from wallet_api.schemas import family_card as wire

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
MAX_GIVEN = 4   # cards a user may give (offered, active or paused)
MAX_HELD = 3    # cards a user may hold (active or paused)
HELD_STATUSES = ("active", "paused")
yuan = payments.yuan


def month_of(at: datetime) -> str:
    """The card month an instant falls in: the calendar month in Asia/Shanghai."""
    return at.astimezone(SHANGHAI).strftime("%Y-%m")


def _check_cap(settings: Settings, cap: int) -> None:
    if not settings.family_card_min_cap_fen <= cap <= settings.family_card_max_cap_fen:
        raise CapOutOfRange(f"A monthly cap is between {yuan(settings.family_card_min_cap_fen)} and "
                            f"{yuan(settings.family_card_max_cap_fen)} CNY.",
                            min_fen=settings.family_card_min_cap_fen, max_fen=settings.family_card_max_cap_fen)


def _count(session: Session, column, user_id: int, statuses: tuple[str, ...]) -> int:
    return session.scalar(select(func.count()).select_from(FamilyCard)
                          .where(column == user_id, FamilyCard.status.in_(statuses)))


def _lock_user(session: Session, user_id: int) -> None:
    # Counting a user's cards and adding one must not interleave with another request doing the same.
    session.get(User, user_id, with_for_update=True)


def offer(session: Session, settings: Settings, giver: User, holder_username: str, cap: int, note: str,
          now: datetime) -> FamilyCard:
    _check_cap(settings, cap)
    holder = session.scalar(select(User).where(User.username == holder_username))
    if holder is None:
        raise PayeeNotFound(f"There is no user {holder_username!r}. Check the name and try again.")
    if holder.id == giver.id:
        raise SelfPayment("A family card is for someone else; you cannot give one to yourself.")
    _lock_user(session, giver.id)
    if _count(session, FamilyCard.giver_user_id, giver.id, OPEN_STATUSES) >= MAX_GIVEN:
        raise GiveLimitReached(f"You already give {MAX_GIVEN} family cards. Close one before giving another.",
                               limit=MAX_GIVEN)
    if _count(session, FamilyCard.holder_user_id, holder.id, HELD_STATUSES) >= MAX_HELD:
        raise HoldLimitReached(f"{holder.display_name} already holds {MAX_HELD} family cards.", limit=MAX_HELD)
    if session.scalar(select(FamilyCard.id).where(FamilyCard.giver_user_id == giver.id,
                                                  FamilyCard.holder_user_id == holder.id,
                                                  FamilyCard.status.in_(OPEN_STATUSES))) is not None:
        raise CardAlreadyGiven(f"You already give {holder.display_name} a family card. Change its cap instead.")
    card = FamilyCard(giver_user_id=giver.id, holder_user_id=holder.id, monthly_cap_fen=cap, status="offered",
                      note=note, created_at=now)
    session.add(card)
    session.flush()
    notify(session, holder.id, Cat.TRANSACTIONAL, "notice.family_card_offered",
           f"{giver.display_name} offers you a family card of up to {yuan(cap)} CNY a month. Accept it to use it.",
           giver=giver.display_name, amount_fen=cap, card_id=card.id)
    return card


def _card(session: Session, card_id: int, *, lock: bool = False) -> FamilyCard:
    card = session.get(FamilyCard, card_id, with_for_update=lock, populate_existing=lock)
    if card is None:
        raise FamilyCardNotFound(f"There is no family card {card_id}.")
    return card


def _card_of(session: Session, user: User, card_id: int, role: str) -> FamilyCard:
    card = _card(session, card_id, lock=True)
    owner = card.giver_user_id if role == "giver" else card.holder_user_id
    if owner != user.id:
        raise FamilyCardNotFound(f"You {'give' if role == 'giver' else 'hold'} no family card {card_id}.")
    return card


def answer(session: Session, holder: User, card_id: int, accept: bool, now: datetime) -> FamilyCard:
    """The holder's consent: a card draws on nobody's money until its holder accepts it."""
    _lock_user(session, holder.id)
    card = _card_of(session, holder, card_id, "holder")
    if card.status != "offered":
        raise NotAnOffer(f"This family card is already {card.status}.", card_status=card.status)
    if accept and _count(session, FamilyCard.holder_user_id, holder.id, HELD_STATUSES) >= MAX_HELD:
        raise HoldLimitReached(f"You already hold {MAX_HELD} family cards. Close one to accept this one.",
                               limit=MAX_HELD)
    card.status = "active" if accept else "declined"
    card.accepted_at = now if accept else None
    card.closed_at = None if accept else now
    giver_id = card.giver_user_id
    key = "notice.family_card_accepted" if accept else "notice.family_card_declined"
    verb = "accepted" if accept else "declined"
    notify(session, giver_id, Cat.TRANSACTIONAL, key, f"{holder.display_name} {verb} your family card.",
           holder=holder.display_name, card_id=card.id)
    return card


def set_paused(session: Session, giver: User, card_id: int, paused: bool) -> FamilyCard:
    card = _card_of(session, giver, card_id, "giver")
    if card.status not in HELD_STATUSES:
        raise CardNotOpen(f"This family card is {card.status}; only an accepted card can be paused or resumed.",
                          card_status=card.status)
    card.status = "paused" if paused else "active"
    key = "notice.family_card_paused" if paused else "notice.family_card_resumed"
    text = (f"{giver.display_name} paused your family card." if paused
            else f"{giver.display_name} resumed your family card.")
    notify(session, card.holder_user_id, Cat.TRANSACTIONAL, key, text, giver=giver.display_name, card_id=card.id)
    return card


def set_cap(session: Session, settings: Settings, giver: User, card_id: int, cap: int) -> FamilyCard:
    """A lower cap applies at once: if the month already spent more, the card pays nothing more this month."""
    _check_cap(settings, cap)
    card = _card_of(session, giver, card_id, "giver")
    if card.status not in OPEN_STATUSES:
        raise CardNotOpen(f"This family card is {card.status}.", card_status=card.status)
    card.monthly_cap_fen = cap
    notify(session, card.holder_user_id, Cat.TRANSACTIONAL, "notice.family_card_cap_changed",
           f"{giver.display_name} set your family card to {yuan(cap)} CNY a month.", giver=giver.display_name,
           amount_fen=cap, card_id=card.id)
    return card


def close(session: Session, user: User, card_id: int, now: datetime) -> FamilyCard:
    """Either side may close a card for good (a giver who only wants a break pauses it)."""
    card = _card(session, card_id, lock=True)
    if user.id not in (card.giver_user_id, card.holder_user_id):
        raise FamilyCardNotFound(f"You have no family card {card_id}.")
    if card.status not in OPEN_STATUSES:
        raise CardNotOpen(f"This family card is already {card.status}.", card_status=card.status)
    card.status, card.closed_at = "closed", now
    other = card.holder_user_id if user.id == card.giver_user_id else card.giver_user_id
    notify(session, other, Cat.TRANSACTIONAL, "notice.family_card_closed",
           f"{user.display_name} closed a family card.", who=user.display_name, card_id=card.id)
    return card


def month_spent(session: Session, card_id: int, month: str) -> int:
    """What the card paid in `month`, less what refunds gave back."""
    return int(session.scalar(select(func.coalesce(func.sum(FamilyCardUse.amount_fen - FamilyCardUse.refunded_fen), 0))
                              .where(FamilyCardUse.card_id == card_id, FamilyCardUse.month == month)))


def room(session: Session, card: FamilyCard, now: datetime) -> int:
    return max(0, card.monthly_cap_fen - month_spent(session, card.id, month_of(now)))


# ---- paying -------------------------------------------------------------------------------------------

def _payer_share(session: Session, amount: int, coupon_id: int | None) -> int:
    """What the payer's side pays: the amount, less a coupon's subsidy (its other checks come later)."""
    if coupon_id is None:
        return amount
    value = session.scalar(select(CouponCampaign.value_fen).join(Coupon, Coupon.campaign_id == CouponCampaign.id)
                           .where(Coupon.id == coupon_id))
    return amount - value if value is not None and value < amount else amount


def choose(session: Session, payer: User, funding: str | None, amount: int, coupon_id: int | None,
           now: datetime) -> int | None:
    """The family card that pays, or None for the wallet. 'wallet' means the wallet; 'family_card:<id>' that
    card (checked when paying); nothing: the wallet, unless it is short and a held card has room."""
    if funding == "wallet":
        return None
    if funding is not None:
        return int(funding.split(":", 1)[1])
    share = _payer_share(session, amount, coupon_id)
    if payments.wallet_balance(session, payer.id) >= share:
        return None
    cards = session.scalars(select(FamilyCard).where(FamilyCard.holder_user_id == payer.id,
                                                     FamilyCard.status == "active").order_by(FamilyCard.id))
    return next((card.id for card in cards if room(session, card, now) >= share), None)


def pay(session: Session, payer: User, card_id: int, merchant: Merchant, amount: int, memo: str,
        coupon_id: int | None, now: datetime, actor_user_id: int | None = None) -> Payment:
    # The card row first (it serialises the month's spend), then the coupon, ledger accounts last.
    card = session.get(FamilyCard, card_id, with_for_update=True, populate_existing=True)
    if card is None or card.holder_user_id != payer.id:
        raise FamilyCardNotFound(f"You hold no family card {card_id}. Pay from your wallet or choose another card.")
    if card.status == "paused":
        raise CardPaused("This family card is paused by its giver. Pay from your wallet.")
    if card.status != "active":
        raise CardNotOpen(f"This family card is {card.status}. Pay from your wallet.", card_status=card.status)
    month = month_of(now)
    share = _payer_share(session, amount, coupon_id)
    left = card.monthly_cap_fen - month_spent(session, card.id, month)
    if share > left:
        raise CapReached(f"This family card has {yuan(max(left, 0))} CNY left this month. Pay from your wallet "
                         "or pay less.", left_fen=max(left, 0))
    giver = session.get(User, card.giver_user_id)
    giver_wallet = payments.wallet_account_id(session, giver.id)
    details = {"family_card_id": card.id}
    try:
        if coupon_id is not None:
            payment = coupon_payments.pay_with_coupon(session, payer, merchant, amount, coupon_id, memo, now=now,
                                                      actor_user_id=actor_user_id, funding_account_id=giver_wallet,
                                                      details=details)
        else:
            payment = payments.pay_merchant(session, payer, merchant, amount, memo, actor_user_id=actor_user_id,
                                            funding_account_id=giver_wallet, details=details)
    except InsufficientFunds as exc:
        if exc.extra.get("account_id") != giver_wallet:
            raise
        # The giver's balance is theirs to know: say only that the card cannot pay now.
        raise GiverShort("This family card cannot pay right now. Pay from your wallet, or ask "
                         f"{giver.display_name} to top up.") from None
    paid = amount - int((session.get(Transfer, payment.transfer_id).details or {}).get("subsidy_fen", 0))
    session.add(FamilyCardUse(card_id=card.id, payment_id=payment.id, month=month, amount_fen=paid, refunded_fen=0,
                              cap_fen=card.monthly_cap_fen, created_at=now))
    shop = merchant.local_name or merchant.name
    notify(session, giver.id, Cat.TRANSACTIONAL, "notice.family_card_used",
           f"{payer.display_name} paid {shop} {yuan(paid)} CNY with your family card.",
           holder=payer.display_name, payee=shop, amount_fen=paid, card_id=card.id)
    session.flush()
    return payment


def refund_target(session: Session, payment: Payment) -> payments.RefundTarget | None:
    """A refund of a family-card payment goes back to the giver's wallet and gives the month its room back."""
    use = session.scalar(select(FamilyCardUse).where(FamilyCardUse.payment_id == payment.id).with_for_update())
    if use is None:
        return None
    card = session.get(FamilyCard, use.card_id)
    holder = session.get(User, card.holder_user_id)
    merchant = session.get(Merchant, payment.merchant_id)
    shop = merchant.local_name or merchant.name

    def refunded(amount: int) -> None:
        use.refunded_fen += amount
        notify(session, card.giver_user_id, Cat.TRANSACTIONAL, "notice.family_card_refund",
               f"{shop} refunded {yuan(amount)} CNY of {holder.display_name}'s family-card payment to you.",
               payee=shop, holder=holder.display_name, amount_fen=amount, card_id=card.id)
        notify(session, holder.id, Cat.TRANSACTIONAL, "notice.family_card_refund_to_giver",
               f"{shop} refunded {yuan(amount)} CNY to the giver of your family card.", payee=shop,
               amount_fen=amount, card_id=card.id)

    return payments.RefundTarget(payments.wallet_account_id(session, card.giver_user_id), refunded)


payments.REFUND_TARGETS.append(refund_target)


def giver_sees(session: Session, user: User, payment: Payment) -> bool:
    """The giver paid: the payment is in their history, so its receipt opens for them too."""
    return session.scalar(select(FamilyCard.giver_user_id).join(FamilyCardUse, FamilyCardUse.card_id == FamilyCard.id)
                          .where(FamilyCardUse.payment_id == payment.id)) == user.id


payments.PAYMENT_VIEWERS.append(giver_sees)


# ---- views --------------------------------------------------------------------------------------------

def card_out(session: Session, card: FamilyCard, now: datetime) -> wire.FamilyCardOut:
    giver, holder = session.get(User, card.giver_user_id), session.get(User, card.holder_user_id)
    spent = month_spent(session, card.id, month_of(now))
    return wire.FamilyCardOut(
        id=card.id, giver=giver.display_name, giver_username=giver.username, holder=holder.display_name,
        holder_username=holder.username, status=card.status, monthly_cap_fen=card.monthly_cap_fen, note=card.note,
        month=month_of(now), spent_this_month_fen=spent, left_this_month_fen=max(0, card.monthly_cap_fen - spent),
        created_at=card.created_at, accepted_at=card.accepted_at, closed_at=card.closed_at)


def cards_of(session: Session, settings: Settings, user: User, now: datetime) -> wire.FamilyCardsOut:
    """The cards I give and hold, with the range of caps this server allows (so a screen can say it first)."""
    def of(column) -> list[wire.FamilyCardOut]:
        rows = session.scalars(select(FamilyCard).where(column == user.id).order_by(FamilyCard.id.desc()))
        return [card_out(session, c, now) for c in rows]
    return wire.FamilyCardsOut(given=of(FamilyCard.giver_user_id), held=of(FamilyCard.holder_user_id),
                               cap_min_fen=settings.family_card_min_cap_fen,
                               cap_max_fen=settings.family_card_max_cap_fen)


def uses(session: Session, user: User, card_id: int) -> list[wire.FamilyCardUseOut]:
    card = _card(session, card_id)
    if user.id not in (card.giver_user_id, card.holder_user_id):
        raise FamilyCardNotFound(f"You have no family card {card_id}.")
    rows = session.execute(select(FamilyCardUse, Payment, Merchant)
                           .join(Payment, Payment.id == FamilyCardUse.payment_id)
                           .join(Merchant, Merchant.id == Payment.merchant_id)
                           .where(FamilyCardUse.card_id == card_id).order_by(FamilyCardUse.id.desc()).limit(200))
    return [wire.FamilyCardUseOut(id=u.id, payment_id=p.id, payee=m.local_name or m.name, month=u.month,
                                  amount_fen=u.amount_fen, refunded_fen=u.refunded_fen, created_at=u.created_at)
            for u, p, m in rows]
