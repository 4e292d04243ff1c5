"""The campus payment code on the phone: the device key only in an OS keychain, codes made
offline, the QR image, and setting a phone up without wasting a one-time activation code."""

from __future__ import annotations

import io

import httpx
import pytest
import qrcode
from keyring.backends import fail
from keyrings.alt.file import PlaintextKeyring
from PIL import Image

from app.campus_client import CampusClient, activate_this_phone, register_this_phone
from app.campus_code import DeviceKey, DeviceKeyStore, InsecureDeviceKeyError, payment_code, qr_png
from app.session import MemoryTokenStore
from tests.app.client_fakes import BASE_URL, FakeWalletServer, body_of, ok
from tests.fakes import FakeOsKeychain

KEY = DeviceKey(device_id=7, number=42, secret=bytes(range(32)))
NOW = "2026-11-22T11:00:00Z"



@pytest.fixture
def plaintext(tmp_path) -> PlaintextKeyring:
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring_pass.cfg")
    return backend


# ---- the keychain ---------------------------------------------------------------------------

def test_the_key_lives_in_the_os_keychain_under_service_anxin():
    keychain = FakeOsKeychain()
    store = DeviceKeyStore("xiaoming", backend=keychain)
    store.save(KEY)
    assert list(keychain.entries) == [("anxin", "campus-device:xiaoming")]
    assert store.load() == KEY
    assert "secret" not in repr(KEY) and bytes(range(32)).hex() not in repr(KEY)
    store.clear()
    store.clear()  # twice is fine
    assert store.load() is None


def test_a_file_based_keyring_is_refused_unless_the_person_accepts_the_risk(plaintext, tmp_path):
    with pytest.raises(InsecureDeviceKeyError) as refused:
        DeviceKeyStore(backend=plaintext).save(KEY)
    assert "file on disk" in str(refused.value) and "allow insecure storage" in str(refused.value)
    assert not (tmp_path / "keyring_pass.cfg").exists()
    accepted = DeviceKeyStore(backend=plaintext, allow_insecure=True)
    accepted.save(KEY)
    assert accepted.load() == KEY
    assert DeviceKeyStore(backend=plaintext).load() is None  # not read back without the opt-in either


def test_no_keychain_at_all_cannot_keep_a_key_even_when_allowed():
    with pytest.raises(InsecureDeviceKeyError) as refused:
        DeviceKeyStore(backend=fail.Keyring(), allow_insecure=True).save(KEY)
    assert not refused.value.status.can_store


def test_a_damaged_entry_reads_as_no_key():
    keychain = FakeOsKeychain()
    keychain.entries[("anxin", "campus-device:default")] = '{"device_id": 1}'
    assert DeviceKeyStore(backend=keychain).load() is None


# ---- codes ----------------------------------------------------------------------------------

def test_codes_are_18_digits_with_the_prefix_and_the_device_number():
    made = payment_code(KEY, 1_800_000_030)
    assert made.code.startswith("28000042") and len(made.code) == 18 and made.code.isdigit()
    assert made.seconds_left == 30
    assert made.grouped == "28 " + " ".join(made.code[i:i + 4] for i in range(2, 18, 4))
    assert payment_code(KEY, 1_800_000_031).code == made.code
    assert payment_code(KEY, 1_800_000_060).code != made.code


def test_the_qr_png_carries_exactly_the_code():
    made = payment_code(KEY, 1_800_000_000)
    image = Image.open(io.BytesIO(made.qr_png(box_size=4))).convert("L")
    spec = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=4, border=4)
    spec.add_data(made.code)
    matrix = spec.get_matrix()  # includes the quiet zone
    assert image.size == (len(matrix) * 4, len(matrix) * 4)
    seen = [[image.getpixel((x * 4 + 2, y * 4 + 2)) < 128 for x in range(len(matrix))] for y in range(len(matrix))]
    assert seen == matrix
    assert qr_png("other") != made.qr_png(box_size=4)


# ---- setting a phone up ---------------------------------------------------------------------

def device_body(device_id: int = 9) -> dict:
    return {"device": {"id": device_id, "number": 123456, "label": "phone", "status": "active", "created_at": NOW,
                       "revoked_at": None, "last_used_at": None},
            "secret_b32": "AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQTCQKRMFYYDENBWHA5DYPQ", "algorithm": "SHA256",
            "digits": 10, "step_seconds": 60, "prefix": "28", "code_length": 18}


@pytest.fixture
def fake() -> FakeWalletServer:
    return FakeWalletServer()


@pytest.fixture
def campus_client(fake) -> CampusClient:
    tokens = MemoryTokenStore()
    tokens.save("access", "refresh-token")
    return CampusClient(BASE_URL, http=httpx.Client(transport=httpx.MockTransport(fake)), tokens=tokens,
                        sleep=lambda _s: None)


def test_activation_keeps_the_key_made_by_the_server(fake, campus_client):
    fake.on("POST", "/v1/campus/activate", ok(201, device_body()))
    keychain = FakeOsKeychain()
    key = activate_this_phone(campus_client, DeviceKeyStore("me", backend=keychain), "ABCD-EFGH-IJKL-MNOP")
    assert body_of(fake.requests[0]) == {"activation_code": "ABCD-EFGH-IJKL-MNOP", "device_label": "my phone"}
    assert (key.device_id, key.number, key.secret) == (9, 123456, bytes(range(32)))
    assert DeviceKeyStore("me", backend=keychain).load() == key


def test_an_unsafe_keychain_is_found_before_the_one_time_code_is_spent(fake, campus_client, plaintext):
    with pytest.raises(InsecureDeviceKeyError):
        activate_this_phone(campus_client, DeviceKeyStore(backend=plaintext), "ABCD-EFGH-IJKL-MNOP")
    with pytest.raises(InsecureDeviceKeyError):
        register_this_phone(campus_client, DeviceKeyStore(backend=plaintext), "135790")
    assert fake.requests == []


def test_a_key_that_cannot_be_kept_does_not_leave_a_device_behind(fake, campus_client):
    fake.on("POST", "/v1/campus/me/devices", ok(201, device_body(device_id=31)))
    fake.on("DELETE", "/v1/campus/me/devices/31", httpx.Response(204))
    with pytest.raises(InsecureDeviceKeyError):
        register_this_phone(campus_client, DeviceKeyStore(backend=FakeOsKeychain(broken=True)), "135790")
    assert body_of(fake.sent("POST", "/v1/campus/me/devices")[0]) == {"device_label": "my phone", "pin": "135790"}
    assert len(fake.sent("DELETE", "/v1/campus/me/devices/31")) == 1
