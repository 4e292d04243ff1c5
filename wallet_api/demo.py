"""`anxin seed-demo`: a believable small world, built through the same services as real traffic."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from wallet_api import schemas
from wallet_api.auth.models import User
from wallet_api.auth.secrets import Hasher
from wallet_api.auth.service import create_user
from wallet_api.config import Settings
from wallet_api.db import make_engine, make_session_factory, transaction
from wallet_api.funding import service as funding
from wallet_api.funding.bank import SandboxBank
from wallet_api.merchants.models import Merchant
from wallet_api.merchants.service import create_merchant
from wallet_api.payments import service as payments
from wallet_api.types import clock_set_to, utcnow

DEMO_DIR = Path(__file__).resolve().parents[1] / "assets" / "demo"
WORLD = DEMO_DIR / "world.json"
DEMO_CARD = "6222020000000090001"  # a sandbox card that approves

# Domain seeders run after the core world, in `order`: (order, name) -> seeder(db, settings).
# A domain registers one with @demo_seeder and keeps its data in assets/demo/<domain>.json.
DomainSeeder = Callable[[sessionmaker[Session], Settings], None]
_SEEDERS: dict[tuple[int, str], DomainSeeder] = {}


def demo_seeder(name: str, order: int) -> Callable[[DomainSeeder], DomainSeeder]:
    def register(seed: DomainSeeder) -> DomainSeeder:
        _SEEDERS[(order, name)] = seed
        return seed
    return register


def domain_data(name: str) -> dict:
    return json.loads((DEMO_DIR / f"{name}.json").read_text(encoding="utf-8"))


# The demo's people live in Weihai: "at" in the data files is China time (UTC+8).
CHINA = timezone(timedelta(hours=8))


def demo_moment(when: dict, today: datetime | None = None) -> datetime:
    """`{"days_ago": 6, "at": "08:40"}` -> that moment, UTC. Always on an earlier day than today (China
    time), so no seeded payment is ever inside the safety guardian's rapid-repeats window."""
    days_ago = when["days_ago"]
    if type(days_ago) is not int or days_ago < 1:
        raise ValueError(f"demo activity happens on an earlier day: days_ago {days_ago!r} is not 1 or more")
    day = (today or utcnow()).astimezone(CHINA).date() - timedelta(days=days_ago)
    return datetime.combine(day, time.fromisoformat(when["at"]), CHINA).astimezone(UTC)


def on_the_day(when: dict) -> AbstractContextManager[None]:
    """What is seeded in this block happened on the demo's day `when` (see `demo_moment`): the ledger, the
    journal and the messages are dated then, as if it had happened; the journal still verifies."""
    return clock_set_to(demo_moment(when))


@dataclass(frozen=True)
class DemoLogin:
    username: str
    who: str


@dataclass(frozen=True)
class DemoWorld:
    password: str
    pin: str
    logins: list[DemoLogin]
    created: bool


def seed_demo(settings: Settings, world_file: Path = WORLD) -> DemoWorld:
    world = json.loads(world_file.read_text(encoding="utf-8"))
    logins = [DemoLogin(p["username"], p["who"]) for p in world["people"]] + \
             [DemoLogin(m["owner"], f"owner of {m['name']} ({m['local_name']})") for m in world["merchants"]]
    engine = make_engine(settings.sqlalchemy_url)
    db = make_session_factory(engine)
    hasher = Hasher(settings)
    try:
        with transaction(db) as s:
            if s.scalar(select(User.id).where(User.username == world["people"][0]["username"])) is not None:
                return DemoWorld(world["password"], world["pin"], logins, created=False)
        with on_the_day(world["joined"]), transaction(db) as s:
            if s.scalar(select(User.id).where(User.username == world["people"][0]["username"])) is not None:
                return DemoWorld(world["password"], world["pin"], logins, created=False)
            for person in world["people"]:
                user = create_user(s, hasher, username=person["username"], password=world["password"],
                                   display_name=person["display_name"], roles=person["roles"])
                user.pin_hash = hasher.hash(world["pin"])
            for m in world["merchants"]:
                owner = create_user(s, hasher, username=m["owner"], password=world["password"],
                                    display_name=m["owner_name"], roles=["merchant"])
                owner.pin_hash = hasher.hash(world["pin"])
                create_merchant(s, owner.id, schemas.MerchantIn(
                    name=m["name"], local_name=m["local_name"], category=m["category"], region=m["region"],
                    city=m["city"]))
        _fund_and_pay(db, world)
        import wallet_api.models  # noqa: F401  (importing the domains registers their seeders)

        for _key, seed in sorted(_SEEDERS.items()):
            seed(db, settings)
    finally:
        engine.dispose()
    return DemoWorld(world["password"], world["pin"], logins, created=True)


def _fund_and_pay(db, world: dict) -> None:
    bank = SandboxBank(db)
    with on_the_day(world["joined"]):  # one block: the clock runs on from one top-up to the next
        for person in world["people"]:
            if not person.get("top_up_fen"):
                continue
            with transaction(db) as s:
                user = _user(s, person["username"])
                card = funding.link_card(s, bank, user, schemas.BankCardIn(card_number=DEMO_CARD,
                                                                           holder_name=user.display_name))
            funding.top_up(db, bank, user, schemas.FundingIn(bank_card_id=card.id, amount_fen=person["top_up_fen"]),
                           f"demo-{uuid.uuid4().hex}")
    # In the order they happened (the data files list them so), each on its own day.
    for p in world["payments"]:
        with on_the_day(p["when"]), transaction(db) as s:
            if "merchant" in p:
                merchant = s.scalar(select(Merchant).where(Merchant.name == p["merchant"]))
                payments.pay_merchant(s, _user(s, p["payer"]), merchant, p["amount_fen"], p["memo"])
            else:
                payments.pay_person(s, _user(s, p["payer"]), p["to"], p["amount_fen"], p["memo"])


def _user(session, username: str) -> User:
    return session.scalar(select(User).where(User.username == username))
