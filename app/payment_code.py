"""My payment code: the campus code this device makes offline (app/campus_code.py), setting the
device up for it, and the charges a till made with it (some wait for the person's PIN).

The device key lives only in the keychain given to the session (the OS keychain by default); the
code itself needs no network. Looking at the card and the charges does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from keyring.backend import KeyringBackend

from app.campus_client import CampusClient, activate_this_phone, register_this_phone
from app.campus_code import DeviceKey, DeviceKeyStore, PaymentCode, payment_code
from app.errors import NotFound
from app.session import KeyringStatus
from app.state import AppState
from wallet_api.schemas.campus import CampusCardOut, ChargeOut, ConfirmIn

DEVICE_LABEL = "Anxin app"


@dataclass(frozen=True)
class CodeSetup:
    card: CampusCardOut | None      # None: the person has no campus card (yet)
    key: DeviceKey | None           # set: this device can make codes right now
    keychain: KeyringStatus         # whether this device could keep a key at all

    @property
    def keychain_usable(self) -> bool:
        return self.keychain.secure and self.keychain.can_store


@dataclass(frozen=True)
class CodeCharges:
    waiting: list[ChargeOut]        # a till asks for more than the PIN-free amount: confirm or decline
    settled: list[ChargeOut]        # paid, failed, declined or lapsed since the screen opened


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class PaymentCodes:
    def __init__(self, client: CampusClient, state: AppState, keychain: KeyringBackend | None = None) -> None:
        self.client = client
        self.state = state
        self.keychain = keychain

    def store(self) -> DeviceKeyStore:
        # One entry per person and server: two people on one device never share a key.
        return DeviceKeyStore(f"{self.state.username}@{self.state.server_url}", backend=self.keychain)

    def setup(self) -> CodeSetup:
        store = self.store()
        try:
            card = self.client.campus_card()
        except NotFound:
            return CodeSetup(None, None, store.security())
        key = store.load()
        if key is not None and not any(d.id == key.device_id and d.status == "active" for d in card.devices):
            store.clear()      # this device was reported lost (or replaced): its key makes no valid code
            key = None
        return CodeSetup(card, key, store.security())

    def register_this_device(self, pin: str) -> DeviceKey:
        """An active campus card, a new device: the PIN proves it is the person."""
        return register_this_phone(self.client, self.store(), pin, DEVICE_LABEL)

    def activate(self, activation_code: str) -> DeviceKey:
        """The first device of a new card, with the one-time code from the card centre."""
        return activate_this_phone(self.client, self.store(), activation_code.strip(), DEVICE_LABEL)

    @staticmethod
    def code(key: DeviceKey, now: float | None = None) -> PaymentCode:
        return payment_code(key, now)

    def charges_since(self, since: datetime) -> CodeCharges:
        """What tills did with this person's codes: every charge still waiting for the PIN (they
        lapse by themselves after two minutes), and those settled since `since`, newest first."""
        charges = sorted(self.client.campus_charges(), key=lambda c: c.created_at, reverse=True)
        waiting = [c for c in charges if c.status == "awaiting_confirmation"]
        settled = [c for c in charges if c.status != "awaiting_confirmation" and _aware(c.created_at) >= since]
        return CodeCharges(waiting, settled)

    def confirm(self, charge: ChargeOut, pin: str, idempotency_key: str) -> ChargeOut:
        return self.client.confirm_campus_charge(charge.id, ConfirmIn(pin=pin), idempotency_key=idempotency_key)

    def decline(self, charge: ChargeOut) -> ChargeOut:
        return self.client.decline_campus_charge(charge.id)
