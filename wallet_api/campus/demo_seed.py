"""The campus part of `anxin seed-demo` (data in assets/demo/campus.json)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from wallet_api.auth.models import User
from wallet_api.campus import admin, cards
from wallet_api.campus.codes import SecretBox
from wallet_api.config import Settings
from wallet_api.db import transaction
from wallet_api.demo import demo_seeder, domain_data
from wallet_api.merchants.models import Merchant
from wallet_api.schemas import campus as wire


@demo_seeder("campus", order=20)
def seed_campus(db: sessionmaker[Session], settings: Settings) -> None:
    data = domain_data("campus")
    box = SecretBox(settings.resolved_secret_key())
    with transaction(db) as s:
        spec = data["campus"]
        campus = admin.create_campus(s, _user(s, spec["owner"]), wire.CampusIn(
            name=spec["name"], local_name=spec["local_name"], pin_free_limit_fen=spec["pin_free_limit_fen"],
            default_daily_limit_fen=spec["default_daily_limit_fen"]))
        for name in data["merchants"]:  # merchants of the core world, not new ones
            admin.link_merchant(s, campus, s.scalar(select(Merchant.id).where(Merchant.name == name)))
        for student in data["students"]:
            card, code, _expires = admin.enrol_student(s, campus, wire.StudentIn(
                student_number=student["student_number"], name=student["name"]))
            if student.get("username"):
                # The card is bound; the phone registers itself later (app: add a device with the PIN).
                cards.activate(s, box, _user(s, student["username"]), code, device_label=None)


def _user(s: Session, username: str) -> User:
    return s.scalar(select(User).where(User.username == username))
