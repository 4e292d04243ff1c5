"""The campus endpoints on top of WalletClient, and setting this phone up to make payment codes.

`CampusClient` is a WalletClient (same sign-in, tokens, retries) with one typed method per
campus endpoint. `activate_this_phone` / `register_this_phone` put the device key into the
keychain, checking first that the keychain will keep it, so a one-time activation code is
never spent on a phone that cannot remember the key.
"""

from __future__ import annotations

import uuid

from app.api_client import WalletClient
from app.campus_code import DeviceKey, DeviceKeyStore
from wallet_api.schemas import MerchantOut, RefundIn, RefundOut
from wallet_api.schemas.campus import (
    ActivateIn, ActivationCodeOut, CampusCardOut, CampusIn, CampusMerchantIn, CampusOut, ChargeIn, ChargeOut,
    ChargeStatus, ConfirmIn, DailyLimitIn, DeviceIn, DeviceSecretOut, FundingSourceIn, ScanPayIn, SpendingOut,
    StudentIn, StudentOut,
)


def _key(idempotency_key: str | None) -> str:
    return idempotency_key or uuid.uuid4().hex


class CampusClient(WalletClient):
    # ---- campus admin -----------------------------------------------------------------------

    def create_campus(self, body: CampusIn) -> CampusOut:
        return self._post(CampusOut, "/v1/campus/campuses", body)

    def my_campuses(self) -> list[CampusOut]:
        return self._get_list(CampusOut, "/v1/campus/campuses")

    def create_campus_merchant(self, campus_id: int, body: CampusMerchantIn) -> MerchantOut:
        return self._post(MerchantOut, f"/v1/campus/campuses/{campus_id}/merchants", body)

    def link_campus_merchant(self, campus_id: int, merchant_id: int) -> MerchantOut:
        return MerchantOut.model_validate(
            self._t.request("PUT", f"/v1/campus/campuses/{campus_id}/merchants/{merchant_id}").json())

    def campus_merchants(self, campus_id: int) -> list[MerchantOut]:
        return self._get_list(MerchantOut, f"/v1/campus/campuses/{campus_id}/merchants")

    def enrol_student(self, campus_id: int, body: StudentIn) -> ActivationCodeOut:
        return self._post(ActivationCodeOut, f"/v1/campus/campuses/{campus_id}/students", body)

    def campus_students(self, campus_id: int) -> list[StudentOut]:
        return self._get_list(StudentOut, f"/v1/campus/campuses/{campus_id}/students")

    def reissue_activation_code(self, campus_id: int, card_id: int) -> ActivationCodeOut:
        return self._post(ActivationCodeOut, f"/v1/campus/campuses/{campus_id}/students/{card_id}/activation-code")

    def suspend_student(self, campus_id: int, card_id: int) -> StudentOut:
        return self._post(StudentOut, f"/v1/campus/campuses/{campus_id}/students/{card_id}/suspend")

    def resume_student(self, campus_id: int, card_id: int) -> StudentOut:
        return self._post(StudentOut, f"/v1/campus/campuses/{campus_id}/students/{card_id}/resume")

    # ---- the student ------------------------------------------------------------------------

    def campus_activate(self, body: ActivateIn) -> DeviceSecretOut:
        return self._post(DeviceSecretOut, "/v1/campus/activate", body)

    def campus_card(self) -> CampusCardOut:
        return self._get(CampusCardOut, "/v1/campus/me")

    def add_campus_device(self, body: DeviceIn) -> DeviceSecretOut:
        return self._post(DeviceSecretOut, "/v1/campus/me/devices", body)

    def revoke_campus_device(self, device_id: int) -> None:
        self._t.request("DELETE", f"/v1/campus/me/devices/{device_id}")

    def set_campus_funding_source(self, body: FundingSourceIn) -> CampusCardOut:
        return CampusCardOut.model_validate(
            self._t.request("PUT", "/v1/campus/me/funding-source", json=body.model_dump(mode="json")).json())

    def set_campus_daily_limit(self, body: DailyLimitIn) -> CampusCardOut:
        return CampusCardOut.model_validate(
            self._t.request("PUT", "/v1/campus/me/daily-limit", json=body.model_dump(mode="json")).json())

    def campus_spending(self, *, days: int = 30) -> SpendingOut:
        return self._get(SpendingOut, "/v1/campus/me/spending", {"days": days})

    def campus_charges(self, *, status: ChargeStatus | None = None) -> list[ChargeOut]:
        return self._get_list(ChargeOut, "/v1/campus/me/charges", {"status": status} if status else None)

    def confirm_campus_charge(self, charge_id: int, body: ConfirmIn, *,
                              idempotency_key: str | None = None) -> ChargeOut:
        return self._post(ChargeOut, f"/v1/campus/charges/{charge_id}/confirm", body,
                          idempotency_key=_key(idempotency_key))

    def decline_campus_charge(self, charge_id: int) -> ChargeOut:
        return self._post(ChargeOut, f"/v1/campus/charges/{charge_id}/decline")

    def campus_scan_pay(self, body: ScanPayIn, *, idempotency_key: str | None = None) -> ChargeOut:
        return self._post(ChargeOut, "/v1/campus/scan-pay", body, idempotency_key=_key(idempotency_key))

    # ---- the cashier ------------------------------------------------------------------------

    def campus_charge(self, body: ChargeIn, *, idempotency_key: str | None = None) -> ChargeOut:
        """Charge a student's code: status "completed", or "awaiting_confirmation" (poll get_campus_charge)."""
        return self._post(ChargeOut, "/v1/campus/charges", body, idempotency_key=_key(idempotency_key))

    def get_campus_charge(self, charge_id: int) -> ChargeOut:
        return self._get(ChargeOut, f"/v1/campus/charges/{charge_id}")

    def merchant_campus_charges(self, merchant_id: int) -> list[ChargeOut]:
        return self._get_list(ChargeOut, f"/v1/campus/merchants/{merchant_id}/charges")

    def refund_campus_charge(self, charge_id: int, body: RefundIn, *, idempotency_key: str | None = None) -> RefundOut:
        return self._post(RefundOut, f"/v1/campus/charges/{charge_id}/refunds", body,
                          idempotency_key=_key(idempotency_key))


def _keep(client: CampusClient, store: DeviceKeyStore, out: DeviceSecretOut) -> DeviceKey:
    key = DeviceKey.from_wire(out)
    try:
        store.save(key)
    except Exception:
        # The key cannot be kept: a device nobody can use must not stay registered.
        client.revoke_campus_device(out.device.id)
        raise
    return key


def activate_this_phone(client: CampusClient, store: DeviceKeyStore, activation_code: str,
                        device_label: str = "my phone") -> DeviceKey:
    """Activate the campus card with the centre's one-time code; this phone makes the codes."""
    store.check_writable()  # before the one-time code is spent
    return _keep(client, store, client.campus_activate(ActivateIn(activation_code=activation_code,
                                                                  device_label=device_label)))


def register_this_phone(client: CampusClient, store: DeviceKeyStore, pin: str,
                        device_label: str = "my phone") -> DeviceKey:
    """Make codes on this phone for an already active campus card (a new phone, say); needs the PIN."""
    store.check_writable()
    return _keep(client, store, client.add_campus_device(DeviceIn(device_label=device_label, pin=pin)))
