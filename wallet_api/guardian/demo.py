"""The guardian part of `anxin seed-demo`: nainai names her son jianguo as her payment guardian and he
accepts (assets/demo/family_money.json)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from wallet_api.auth.models import User
from wallet_api.config import Settings
from wallet_api.db import transaction
from wallet_api.demo import demo_seeder, domain_data, on_the_day
from wallet_api.guardian import service
from wallet_api.types import utcnow


@demo_seeder("guardian", order=41)
def seed_guardians(db: sessionmaker[Session], settings: Settings) -> None:
    for g in domain_data("family_money")["guardians"]:
        with on_the_day(g["when"]), transaction(db) as s:
            now = utcnow()
            guardian = s.scalar(select(User).where(User.username == g["guardian"]))
            row = service.invite(s, s.scalar(select(User).where(User.username == g["elder"])), g["guardian"],
                                 g["delay_new_payee_transfers"], now)
            service.answer(s, guardian, row.id, True, now)
