"""Tests for the EMVCo merchant QR codec (wallet_api.merchants.emvco)."""

from __future__ import annotations

import string

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from wallet_api.merchants.emvco import (
    GUI,
    EmvcoCrcError,
    EmvcoError,
    MerchantQR,
    crc16_ccitt_false,
    decode,
    encode,
    parse_tlv,
)


# --- independent reference helpers (deliberately not reusing the module) -----

def ref_crc(data: bytes) -> int:
    """Bit-serial CRC-16/CCITT-FALSE: shift message bits in one at a time."""
    reg = 0xFFFF
    for byte in data:
        for i in range(7, -1, -1):
            feedback = ((reg >> 15) & 1) ^ ((byte >> i) & 1)
            reg = (reg << 1) & 0xFFFF
            if feedback:
                reg ^= 0x1021
    return reg


def obj(tag: str, value: str) -> str:
    return tag + str(len(value)).zfill(2) + value


def with_crc(body: str) -> str:
    """Append ID 63 and a correct CRC, so a test reaches the check it targets."""
    body += "6304"
    return body + "%04X" % ref_crc(body.encode("utf-8"))


ACCOUNT = obj("26", obj("00", GUI) + obj("01", "42"))
MANDATORY = {"52": "5411", "53": "156", "58": "CN", "59": "ANXIN MART", "60": "SHANGHAI"}


def build(**fields: str | None) -> str:
    """A valid static payload (merchant 42); keyword ``f52=None`` drops ID 52 etc."""
    objects = {"00": "01", "01": "11", "26": ACCOUNT[4:], **MANDATORY}
    for key, value in fields.items():
        objects[key[1:]] = value
    return with_crc("".join(obj(t, v) for t, v in sorted(objects.items()) if v is not None))


# EMVCo MPM specification example (also used by many public implementations).
SPEC_SAMPLE = (
    "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678"
    "520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京"
    "540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988"
    "770708123456786304A13A"
)

# A valid payload whose CRC contains letters (so lowercasing it changes something).
LOWER_CRC = next(p for p in (build(f59=f"SHOP {i}") for i in range(100)) if p[-4:] != p[-4:].lower())

FULL = MerchantQR(
    merchant_id=10086, name="ANXIN CAFE", city="HANGZHOU", mcc="5814", amount_fen=1250,
    local_name="安心咖啡", local_city="杭州", reference="INV0001",
)


# --- CRC ----------------------------------------------------------------------

def test_crc_check_value() -> None:
    assert crc16_ccitt_false(b"123456789") == 0x29B1
    assert ref_crc(b"123456789") == 0x29B1
    assert crc16_ccitt_false(b"") == 0xFFFF


def test_crc_matches_spec_sample_over_utf8() -> None:
    assert crc16_ccitt_false(SPEC_SAMPLE[:-4].encode("utf-8")) == 0xA13A


@given(st.binary(max_size=64))
def test_crc_matches_reference(data: bytes) -> None:
    assert crc16_ccitt_false(data) == ref_crc(data)


# --- parse_tlv ------------------------------------------------------------------

def test_parse_tlv_spec_sample() -> None:
    objects = parse_tlv(SPEC_SAMPLE)
    assert [t for t, _ in objects] == [
        "00", "01", "29", "31", "52", "58", "59", "60", "64", "54", "53", "55", "62", "91", "63"]
    assert dict(objects)["64"] == "0002ZH0104最佳运输0202北京"
    assert parse_tlv(dict(objects)["64"]) == [("00", "ZH"), ("01", "最佳运输"), ("02", "北京")]
    assert parse_tlv("") == []


@pytest.mark.parametrize("data", ["0", "000", "0002ABC", "0A02AB", "00x2AB", "0000", "00٣1A"])
def test_parse_tlv_rejects_bad_structure(data: str) -> None:
    with pytest.raises(EmvcoError):
        parse_tlv(data)


def test_spec_sample_is_not_an_anxin_qr() -> None:
    with pytest.raises(EmvcoError, match="26"):
        decode(SPEC_SAMPLE)


# --- encode: exact payload --------------------------------------------------------

def test_known_payload_built_by_hand() -> None:
    body = (
        "000201"
        "010212"
        "2621" "0008CN.ANXIN" "010510086"
        "52045814"
        "5303156"
        "540512.50"
        "5802CN"
        "5910ANXIN CAFE"
        "6008HANGZHOU"
        "6211" "0507INV0001"
        "6420" "0002ZH" "0104安心咖啡" "0202杭州"
        "6304"
    )
    expected = body + "%04X" % ref_crc(body.encode("utf-8"))
    assert encode(FULL) == expected
    assert decode(expected) == FULL


def test_known_static_payload() -> None:
    qr = MerchantQR(merchant_id=42, name="ANXIN MART", city="SHANGHAI", mcc="5411")
    assert encode(qr) == build()
    assert "010211" in encode(qr) and "54" not in dict(parse_tlv(encode(qr)))


# --- round trips ------------------------------------------------------------------

@pytest.mark.parametrize("qr", [
    MerchantQR(merchant_id=1, name="A", city="B", mcc="0000"),
    MerchantQR(merchant_id=7, name="ANXIN FRUIT", city="BEIJING", mcc="5411",
               local_name="安心水果店", local_city="北京"),
    MerchantQR(merchant_id=2**63 - 1, name="X" * 25, city="Y" * 15, mcc="5999",
               amount_fen=1, local_name="安" * 25, local_city="京" * 15, reference="R" * 25),
    FULL,
])
def test_round_trip_examples(qr: MerchantQR) -> None:
    payload = encode(qr)
    assert decode(payload) == qr
    assert decode(f"  {payload}\n") == qr
    point_of_initiation = dict(parse_tlv(payload))["01"]
    assert point_of_initiation == ("12" if qr.amount_fen is not None else "11")


@pytest.mark.parametrize(("text", "fen"), [
    ("12.5", 1250), ("12.50", 1250), ("12", 1200), ("0.01", 1), ("007.1", 710),
    ("9999999999.99", 999999999999),
])
def test_amount_parsing(text: str, fen: int) -> None:
    assert decode(build(f01="12", f54=text)).amount_fen == fen


def test_amount_is_formatted_in_yuan() -> None:
    payload = encode(MerchantQR(merchant_id=1, name="A", city="B", mcc="5411", amount_fen=5))
    assert dict(parse_tlv(payload))["54"] == "0.05"


# --- decode rejections --------------------------------------------------------------

def test_valid_base_payload_decodes() -> None:
    # Guards the rejection tests below: each differs from this only in one defect.
    assert decode(build()) == MerchantQR(merchant_id=42, name="ANXIN MART", city="SHANGHAI",
                                         mcc="5411")


def test_rejects_crc_mismatch() -> None:
    payload = build()
    wrong = "%04X" % (int(payload[-4:], 16) ^ 1)
    with pytest.raises(EmvcoCrcError, match="CRC mismatch"):
        decode(payload[:-4] + wrong)


def test_rejects_tampered_field_with_crc_error() -> None:
    with pytest.raises(EmvcoCrcError):
        decode(build().replace("SHANGHAI", "SHANGHAJ"))


@pytest.mark.parametrize(("payload", "message"), [
    (LOWER_CRC[:-4] + LOWER_CRC[-4:].lower(), "uppercase hex"),
    (build()[:-4] + "12G4", "uppercase hex"),
    (build()[:-8] + "6303" + build()[-3:], "uppercase hex"),
    (build()[:-8], "CRC \\(ID 63\\) is missing"),
    (build() + obj("99", "X"), "must be the last"),
    (build()[:-8] + "6304" + build()[-4:] + "6304ABCD", "more than once"),
    (build()[:-2], "past the end"),
    (build() + "0", "truncated"),
    (build()[:-8] + "6305ABCD", "past the end"),
])
def test_rejects_bad_crc_object(payload: str, message: str) -> None:
    with pytest.raises(EmvcoError, match=message) as info:
        decode(payload)
    assert type(info.value) is EmvcoError  # a format error, not a checksum mismatch


@pytest.mark.parametrize("payload", [
    with_crc("000202" + build()[6:-8]),
    with_crc("0102" + build()[6:-8]),
    build()[1:],
    "",
    "   ",
])
def test_rejects_missing_payload_format_indicator(payload: str) -> None:
    with pytest.raises(EmvcoError, match="000201"):
        decode(payload)


@pytest.mark.parametrize(("body", "message"), [
    ("000201" + "AB02XY", "ID at offset 6 is not two digits"),
    ("000201" + "5X02XY", "not two digits"),
    ("000201" + "52X4" + "5411", "length of ID 52"),
    ("000201" + "52٠4" + "5411", "length of ID 52"),
    ("000201" + "5200", "empty value"),
    ("000201" + "5299" + "5411", "past the end"),
])
def test_rejects_bad_structure(body: str, message: str) -> None:
    with pytest.raises(EmvcoError, match=message):
        decode(with_crc(body))


def test_rejects_duplicate_top_level_id() -> None:
    payload = build()
    body = payload[:-8] + obj("59", "SECOND NAME")
    with pytest.raises(EmvcoError, match="duplicate ID 59"):
        decode(with_crc(body))


@pytest.mark.parametrize("tag", ["52", "53", "58", "59", "60", "26"])
def test_rejects_missing_mandatory_field(tag: str) -> None:
    with pytest.raises(EmvcoError, match=f"ID {tag}"):
        decode(build(**{f"f{tag}": None}))


@pytest.mark.parametrize(("account", "message"), [
    (obj("00", "CN.OTHER") + obj("01", "42"), "GUI"),
    (obj("00", "cn.anxin") + obj("01", "42"), "GUI"),
    (obj("01", "42"), "GUI"),
    (obj("00", GUI), "merchant id"),
    (obj("00", GUI) + obj("01", "042"), "merchant id"),
    (obj("00", GUI) + obj("01", "0"), "merchant id"),
    (obj("00", GUI) + obj("01", "4x"), "merchant id"),
    (obj("00", GUI) + obj("01", "1" * 20), "merchant id"),
    (obj("00", GUI) + obj("01", "9223372036854775808"), "merchant_id"),
    (obj("00", GUI) + obj("01", "42") + obj("01", "43"), "duplicate ID 01"),
    ("0008CN.ANXIN01", "truncated"),
])
def test_rejects_bad_merchant_account(account: str, message: str) -> None:
    with pytest.raises(EmvcoError, match=message):
        decode(build(f26=account))


def test_merchant_account_in_other_template_is_not_enough() -> None:
    with pytest.raises(EmvcoError, match="ID 26"):
        decode(build(f26=None, f27=ACCOUNT[4:]))


@pytest.mark.parametrize("amount", [
    "12.505", "-1.00", "+1.00", "0", "0.00", "00.0", "1e3", "12.", ".5", "1,00", "12.5a",
    " 12.50", "１２", "12.٥", "NaN", "Infinity", "12345678901.00",
])
def test_rejects_bad_amount(amount: str) -> None:
    with pytest.raises(EmvcoError, match="amount|ID 54"):
        decode(build(f01="12", f54=amount))


@pytest.mark.parametrize("currency", ["840", "978", "15", "1560", "CNY"])
def test_rejects_other_currency(currency: str) -> None:
    with pytest.raises(EmvcoError, match="currency"):
        decode(build(f53=currency))


@pytest.mark.parametrize(("fields", "message"), [
    ({"f01": "13"}, "point of initiation"),
    ({"f01": "12"}, "point of initiation"),
    ({"f01": "11", "f54": "1.00"}, "point of initiation"),
    ({"f52": "54a1"}, "mcc"),
    ({"f52": "541"}, "mcc"),
    ({"f58": "cn"}, "country"),
    ({"f58": "CHN"}, "country"),
    ({"f59": "N" * 26}, "name"),
    ({"f59": "安心"}, "ID 59 must contain printable ASCII"),
    ({"f60": "C" * 16}, "city"),
    ({"f60": "BEI\tJING"}, "ID 60 must contain printable ASCII"),
    ({"f62": obj("05", "R" * 26)}, "reference"),
    ({"f62": obj("05", "REF") + obj("05", "REF")}, "duplicate ID 05"),
    ({"f64": obj("00", "EN") + obj("01", "ANXIN")}, "language"),
    ({"f64": obj("01", "安心")}, "language"),
    ({"f64": obj("00", "ZH")}, "sub-ID 01"),
    ({"f64": obj("00", "ZH") + obj("01", "安" * 26)}, "local_name"),
    ({"f64": obj("00", "ZH") + obj("01", "安心") + obj("02", "京" * 16)}, "local_city"),
    ({"f64": obj("00", "ZH") + obj("01", "安\n心")}, "control"),
    ({"f64": obj("00", "ZH") + obj("01", "安心") + obj("03", "\u200b")}, "control"),
])
def test_rejects_bad_field(fields: dict[str, str], message: str) -> None:
    with pytest.raises(EmvcoError, match=message):
        decode(build(**fields))


def test_ignores_unknown_ids_and_subids() -> None:
    payload = build(f62=obj("01", "BILL1") + obj("05", "REF9"), f61="200000", f80="0003ABC")
    assert decode(payload).reference == "REF9"


def test_rejects_too_long_payload() -> None:
    padded = build(**{f"f{tag}": "P" * 99 for tag in ("80", "81", "82", "83", "84")})
    assert len(padded) > 512
    with pytest.raises(EmvcoError, match="512"):
        decode(padded)


def test_rejects_non_str_payload() -> None:
    with pytest.raises(EmvcoError):
        decode(build().encode())  # type: ignore[arg-type]


def test_rejects_lone_surrogate() -> None:
    body = build()[:-8] + obj("64", obj("00", "ZH") + obj("01", "\ud800"))
    with pytest.raises(EmvcoError):
        decode(body + "6304" + "0000")


# --- encode rejections ------------------------------------------------------------

BASE = dict(merchant_id=1, name="ANXIN", city="WUHAN", mcc="5411")


@pytest.mark.parametrize(("changes", "message"), [
    ({"name": "安心超市"}, "ASCII"),
    ({"name": "CAFÉ"}, "ASCII"),
    ({"name": "N" * 26}, "1-25"),
    ({"name": ""}, "1-25"),
    ({"name": None}, "name"),
    ({"city": "武汉"}, "ASCII"),
    ({"city": "C" * 16}, "1-15"),
    ({"city": "WU\nHAN"}, "ASCII"),
    ({"mcc": "541"}, "mcc"),
    ({"mcc": "54a1"}, "mcc"),
    ({"mcc": "５４１１"}, "mcc"),
    ({"mcc": 5411}, "mcc"),
    ({"amount_fen": 0}, "positive"),
    ({"amount_fen": -100}, "positive"),
    ({"amount_fen": True}, "positive"),
    ({"amount_fen": 12.5}, "positive"),
    ({"amount_fen": 10**13}, "too large"),
    ({"merchant_id": 0}, "merchant_id"),
    ({"merchant_id": -1}, "merchant_id"),
    ({"merchant_id": 2**63}, "merchant_id"),
    ({"merchant_id": "1"}, "merchant_id"),
    ({"currency": "840"}, "currency"),
    ({"country": "cn"}, "country"),
    ({"country": "CHN"}, "country"),
    ({"reference": "参考"}, "ASCII"),
    ({"reference": "R" * 26}, "1-25"),
    ({"local_name": "安" * 26}, "1-25"),
    ({"local_name": "安\x00心"}, "control"),
    ({"local_city": "北京"}, "requires local_name"),
    ({"local_name": "安心", "local_city": "京" * 16}, "1-15"),
])
def test_encode_rejects_bad_input(changes: dict[str, object], message: str) -> None:
    with pytest.raises(EmvcoError, match=message):
        encode(MerchantQR(**{**BASE, **changes}))  # type: ignore[arg-type]


def test_encode_largest_amount() -> None:
    qr = MerchantQR(**BASE, amount_fen=10**12 - 1)
    assert dict(parse_tlv(encode(qr)))["54"] == "9999999999.99"
    assert decode(encode(qr)) == qr


# --- properties ---------------------------------------------------------------------

ANS = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
LOCAL = st.one_of(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),  # CJK
                  st.characters(codec="utf-8").filter(str.isprintable))


@st.composite
def merchant_qrs(draw: st.DrawFn) -> MerchantQR:
    local_name = draw(st.none() | st.text(LOCAL, min_size=1, max_size=25))
    return MerchantQR(
        merchant_id=draw(st.integers(1, 2**63 - 1)),
        name=draw(st.text(ANS, min_size=1, max_size=25)),
        city=draw(st.text(ANS, min_size=1, max_size=15)),
        mcc=draw(st.text(st.sampled_from(string.digits), min_size=4, max_size=4)),
        country=draw(st.text(st.sampled_from(string.ascii_uppercase), min_size=2, max_size=2)),
        amount_fen=draw(st.none() | st.integers(1, 10**12 - 1)),
        local_name=local_name,
        local_city=None if local_name is None else draw(
            st.none() | st.text(LOCAL, min_size=1, max_size=15)),
        reference=draw(st.none() | st.text(ANS, min_size=1, max_size=25)),
    )


@given(merchant_qrs())
def test_round_trip_property(qr: MerchantQR) -> None:
    payload = encode(qr)
    assert len(payload) <= 512
    assert payload.startswith("000201") and payload[-8:-4] == "6304"
    assert decode(payload) == qr
    assert encode(decode(payload)) == payload


def _template_64_span(payload: str) -> range:
    """Character positions of template 64's value within payload (empty if absent)."""
    pos = 0
    for tag, value in parse_tlv(payload):
        if tag == "64":
            return range(pos + 4, pos + 4 + len(value))
        pos += 4 + len(value)
    return range(0)


@given(merchant_qrs(), st.data())
@settings(max_examples=300)
def test_single_changed_character_is_detected(qr: MerchantQR, data: st.DataObject) -> None:
    payload = encode(qr)
    pos = data.draw(st.integers(0, len(payload) - 1), label="pos")
    char = data.draw(st.characters(codec="utf-8") | st.sampled_from(string.printable), label="char")
    assume(char != payload[pos])
    # A 16-bit CRC detects every change of up to 16 adjacent bits, so it catches any
    # ASCII-for-ASCII swap; non-ASCII characters are rejected outright everywhere except
    # in template 64 (free text), where a multi-byte UTF-8 change has a ~1/65536
    # chance of colliding. That case is covered by the exhaustive test below.
    assume(pos not in _template_64_span(payload) or (payload[pos] + char).isascii())
    mutated = payload[:pos] + char + payload[pos + 1:]
    with pytest.raises(EmvcoError):
        decode(mutated)


def test_every_single_character_change_of_a_chinese_payload_is_detected() -> None:
    payload = encode(FULL)
    replacements = string.printable + "安心咖啡杭州北京店é€\u3000\u00a0\U0001F600"
    checked = 0
    for pos, original in enumerate(payload):
        for char in replacements:
            if char == original:
                continue
            with pytest.raises(EmvcoError):
                decode(payload[:pos] + char + payload[pos + 1:])
            checked += 1
    assert checked > 100 * len(payload)


@given(st.text(max_size=600))
def test_garbage_raises_only_emvco_error(text: str) -> None:
    with pytest.raises(EmvcoError):
        decode(text)


@given(st.lists(st.sampled_from(["000201", "6304", "26", "0008CN.ANXIN", "99", "00", "01",
                                 "5204", "5411", "6420", "0002ZH", "安", "A13A"]), max_size=40)
       | st.text(st.sampled_from("0123456789ABCDEF安 "), max_size=200).map(lambda s: "000201" + s))
def test_near_valid_garbage_raises_only_emvco_error(parts: list[str] | str) -> None:
    text = parts if isinstance(parts, str) else "".join(parts)
    try:
        result = decode(text)
    except EmvcoError:
        return
    assert isinstance(result, MerchantQR)  # a valid CRC by chance: still a real result


def test_every_truncation_is_rejected() -> None:
    payload = encode(FULL)
    for cut in range(len(payload)):
        with pytest.raises(EmvcoError):
            decode(payload[:cut])
    with pytest.raises(EmvcoError):
        decode(payload[:-1] + "0" + payload[-1])  # one character too many
