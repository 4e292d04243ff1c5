"""Demo family (assets/demo/family.json): `jianguo` looks after his mother `nainai` with a grant,
and once paid her groceries for her, so her history shows "done by Li Jianguo for you"."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from wallet_api.auth.models import User
from wallet_api.config import Settings
from wallet_api.db import transaction
from wallet_api.demo import demo_seeder, domain_data, on_the_day
from wallet_api.family import acting, service
from wallet_api.family.models import FamilyLink
from wallet_api.merchants.models import Merchant
from wallet_api.payments import service as payments
from wallet_api.schemas.family import GrantIn


def _user(session: Session, username: str) -> User:
    return session.scalar(select(User).where(User.username == username))


@demo_seeder("family", order=40)
def seed_family(db: sessionmaker[Session], settings: Settings) -> None:
    data = domain_data("family")
    for spec in data["links"]:
        with on_the_day(spec["when"]), transaction(db) as s:
            grant = GrantIn(scopes=spec["scopes"], per_payment_limit_fen=spec["per_payment_limit_fen"],
                            per_day_limit_fen=spec["per_day_limit_fen"])
            link = service.invite(s, _user(s, spec["elder"]), spec["relative"], grant,
                                  invite_days=settings.family_invite_days)
            service.accept(s, _user(s, spec["relative"]), link.id)
    for p in data["delegated_payments"]:
        # Through the same checks as a relative's request: the grant's scope and limits, then the record.
        with on_the_day(p["when"]), transaction(db) as s:
            elder, relative = _user(s, p["elder"]), _user(s, p["relative"])
            link = s.scalar(select(FamilyLink).where(FamilyLink.elder_user_id == elder.id,
                                                     FamilyLink.relative_user_id == relative.id))
            actor = acting.Actor(user=relative, subject=elder, link_id=link.id, scopes=frozenset(link.scopes))
            merchant = s.scalar(select(Merchant).where(Merchant.name == p["merchant"]))
            scope = acting.payment_scope(merchant.category)
            acting.authorize(s, actor, scope, p["amount_fen"])
            payment = payments.pay_merchant(s, elder, merchant, p["amount_fen"], p["memo"], actor_user_id=relative.id)
            acting.record(s, actor, action="pay_merchant", scope=scope, amount=p["amount_fen"],
                          transfer_id=payment.transfer_id, payee=merchant.name,
                          what=f"paid {merchant.name} {acting.yuan(p['amount_fen'])} CNY")
