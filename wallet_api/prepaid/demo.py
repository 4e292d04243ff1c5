"""The prepaid part of `anxin seed-demo`: Iron Gym and Jade Hair Salon sell cards to the elder and
the student (assets/demo/prepaid.json), through the same services as real traffic."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from wallet_api import schemas
from wallet_api.auth.models import User, UserRole
from wallet_api.auth.service import verify_real_name
from wallet_api.config import Settings
from wallet_api.db import transaction
from wallet_api.demo import demo_seeder, domain_data, on_the_day
from wallet_api.funding import service as funding
from wallet_api.funding.bank import SandboxBank
from wallet_api.funding.models import BankCard
from wallet_api.merchants.models import Merchant
from wallet_api.prepaid import alerts, service
from wallet_api.prepaid.models import PrepaidCard, PrepaidProduct
from wallet_api.prepaid.service import OverLimit
from wallet_api.types import utcnow


@demo_seeder("prepaid", order=10)
def seed_prepaid(db: sessionmaker[Session], settings: Settings) -> None:
    data = domain_data("prepaid")
    when = data["timeline"]
    with on_the_day(when["products"]), transaction(db) as s:
        now = utcnow()
        for person in data["real_names"]:
            user = _user(s, person["username"])
            if not user.real_name_verified:
                verify_real_name(s, settings, user, person["real_name"], person["national_id"])
        products = {}
        for p in data["products"]:
            merchant = _merchant(s, p["merchant"])
            products[p["name"]] = service.define_product(
                s, merchant, name=p["name"], face_value_fen=p["face_value_fen"], bonus_value_fen=p["bonus_value_fen"],
                validity_days=p["validity_days"], named=p["named"], now=now).id
        regulator = s.scalar(select(User).join(UserRole, UserRole.user_id == User.id)
                             .where(UserRole.role == "regulator").order_by(User.id).limit(1))
        for p in data["policies"]:
            service.set_merchant_policy(s, regulator, _merchant(s, p["merchant"]), escrow_policy=p["escrow_policy"],
                                        issuer_type=p["issuer_type"], now=now)
    bank = SandboxBank(db)
    with on_the_day(when["sales"]):  # one block: the clock runs on from one sale to the next
        for sale in data["sales"]:
            price = _price(db, products[sale["product"]])
            if sale["pay_with"] == "bank_card":
                with transaction(db) as s:
                    buyer = _user(s, sale["buyer"])
                    card_id = s.scalar(select(BankCard.id).where(BankCard.user_id == buyer.id,
                                                                 BankCard.status == "active").limit(1))
                funding.top_up(db, bank, buyer, schemas.FundingIn(bank_card_id=card_id, amount_fen=price),
                               f"demo-prepaid-{uuid.uuid4().hex}")
            with transaction(db) as s:
                service.buy_card(s, _user(s, sale["buyer"]), products[sale["product"]], utcnow())
    for c in data["charges"]:
        with on_the_day(c["when"]), transaction(db) as s:
            card = _card(s, c["holder"], products[c["product"]])
            service.charge_card(s, s.get(Merchant, card.merchant_id), card.id, c["amount_fen"], c["description"],
                                utcnow())
    with on_the_day(when["escrow_withdrawals"]), transaction(db) as s:
        for w in data["escrow_withdrawals"]:
            service.withdraw_escrow(s, _merchant(s, w["merchant"]), w["amount_fen"], utcnow())
    with on_the_day(when["over_limit_top_ups"]):
        for attempt in data["over_limit_top_ups"]:
            try:
                with transaction(db) as s:
                    card = _card(s, attempt["holder"], products[attempt["product"]])
                    service.top_up_card(s, _user(s, attempt["holder"]), card.id, attempt["amount_fen"], utcnow())
            except OverLimit as refusal:  # refused, as it should be: the alert is what the demo wants to show
                with transaction(db) as s:
                    alerts.record_over_limit(s, refusal.merchant_id, refusal.evidence, utcnow())
    for c in data["complaints"]:
        with on_the_day(c["when"]), transaction(db) as s:
            service.file_complaint(s, _user(s, c["by"]), _merchant(s, c["merchant"]).id, c["category"], c["text"],
                                   utcnow())


def _user(session: Session, username: str) -> User:
    return session.scalar(select(User).where(User.username == username))


def _merchant(session: Session, name: str) -> Merchant:
    return session.scalar(select(Merchant).where(Merchant.name == name))


def _price(db: sessionmaker[Session], product_id: int) -> int:
    with transaction(db) as s:
        return s.get(PrepaidProduct, product_id).face_value_fen


def _card(session: Session, holder: str, product_id: int) -> PrepaidCard:
    return session.scalar(select(PrepaidCard).where(PrepaidCard.product_id == product_id,
                                                    PrepaidCard.holder_user_id == _user(session, holder).id))
