"""The family-card part of `anxin seed-demo`: jianguo gives his mother nainai a family card, she accepts it
and buys fruit with it (assets/demo/family_money.json), through the same services as real traffic."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from wallet_api.auth.models import User
from wallet_api.config import Settings
from wallet_api.db import transaction
from wallet_api.demo import demo_seeder, domain_data, on_the_day
from wallet_api.family_card import service
from wallet_api.merchants.models import Merchant
from wallet_api.types import utcnow


@demo_seeder("family_card", order=40)
def seed_family_cards(db: sessionmaker[Session], settings: Settings) -> None:
    for c in domain_data("family_money")["family_cards"]:
        with on_the_day(c["when"]), transaction(db) as s:
            holder = _user(s, c["holder"])
            card = service.offer(s, settings, _user(s, c["giver"]), c["holder"], c["monthly_cap_fen"], c["note"],
                                 utcnow())
            service.answer(s, holder, card.id, True, utcnow())
            card_id = card.id
        for p in c["payments"]:
            with on_the_day(p["when"]), transaction(db) as s:
                merchant = s.scalar(select(Merchant).where(Merchant.name == p["merchant"]))
                service.pay(s, _user(s, c["holder"]), card_id, merchant, p["amount_fen"], p["memo"], None, utcnow())


def _user(session: Session, username: str) -> User:
    return session.scalar(select(User).where(User.username == username))
