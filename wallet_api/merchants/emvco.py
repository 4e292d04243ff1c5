"""EMVCo Merchant-Presented Mode QR payloads for Anxin merchants.

A merchant's payment QR is a string of ID-length-value data objects ending in a
CRC (EMVCo "QR Code Specification for Payment Systems: Merchant-Presented Mode").
The codec is hand-written and stdlib-only because the format is small and the
wallet pays whoever the decoded fields name: a strict, auditable parser is worth
more than a dependency. ``decode`` is deliberately strict and applies the same
field rules as ``encode``, so every MerchantQR it returns can be re-encoded.
Other networks' IDs (e.g. 27-51, 80-99) are tolerated but ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "GUI", "MAX_PAYLOAD_LEN", "EmvcoError", "EmvcoCrcError", "MerchantQR",
    "crc16_ccitt_false", "parse_tlv", "encode", "decode",
]

GUI = "CN.ANXIN"  # globally unique identifier in sub-ID 00 of template 26
LANGUAGE = "ZH"  # language preference of template 64 (the only one we emit)
MAX_PAYLOAD_LEN = 512  # EMVCo maximum payload length
_MAX_MERCHANT_ID = 2**63 - 1  # merchant ids are BIGINT primary keys
_AMOUNT_RE = re.compile(r"[0-9]+(?:\.[0-9]{1,2})?")
_MANDATORY = {"52": "merchant category code", "53": "transaction currency",
              "58": "country code", "59": "merchant name", "60": "merchant city"}


class EmvcoError(ValueError):
    """A payload or QR field is invalid; a ValueError so callers can map it to a 400."""


class EmvcoCrcError(EmvcoError):
    """The CRC does not match: the payload was mistyped, damaged or tampered with."""


@dataclass(frozen=True)
class MerchantQR:
    """The fields of one Anxin merchant QR (static unless ``amount_fen`` is set)."""

    merchant_id: int
    name: str  # ASCII, at most 25 characters (EMVCo ID 59)
    city: str  # ASCII, at most 15 characters (EMVCo ID 60)
    mcc: str  # ISO 18245 merchant category code, 4 digits
    currency: str = "156"  # ISO 4217 numeric; only CNY is supported
    country: str = "CN"
    amount_fen: int | None = None  # set -> dynamic QR with a fixed amount
    local_name: str | None = None  # Chinese name, template 64 sub-ID 01
    local_city: str | None = None  # Chinese city, template 64 sub-ID 02
    reference: str | None = None  # template 62 sub-ID 05 reference label


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF), the checksum EMVCo mandates."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = (crc << 1) ^ 0x1021 if crc & 0x8000 else crc << 1
        crc &= 0xFFFF
    return crc


def _is_digits(s: str) -> bool:
    # Not str.isdigit(): that accepts non-ASCII digits such as "٣" or "３".
    return s != "" and all("0" <= c <= "9" for c in s)


def _is_ans(s: str) -> bool:
    """EMVCo 'ans' characters: printable ASCII (0x20-0x7E)."""
    return all(" " <= c <= "~" for c in s)


def parse_tlv(s: str) -> list[tuple[str, str]]:
    """Split ``s`` into (ID, value) pairs, checking structure only (no semantics)."""
    objects: list[tuple[str, str]] = []
    pos = 0
    while pos < len(s):
        tag, length = s[pos:pos + 2], s[pos + 2:pos + 4]
        if len(length) < 2:
            raise EmvcoError(f"truncated data object at offset {pos}: {s[pos:]!r}")
        if not _is_digits(tag):
            raise EmvcoError(f"ID at offset {pos} is not two digits: {tag!r}")
        if not _is_digits(length):
            raise EmvcoError(f"length of ID {tag} at offset {pos} is not two digits: {length!r}")
        if length == "00":
            raise EmvcoError(f"ID {tag} at offset {pos} has an empty value")
        end = pos + 4 + int(length)
        if end > len(s):
            raise EmvcoError(f"ID {tag} at offset {pos} declares length {length}, "
                             f"which runs past the end of the data")
        objects.append((tag, s[pos + 4:end]))
        pos = end
    return objects


def _unique(objects: list[tuple[str, str]], where: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for tag, value in objects:
        if tag in found:
            raise EmvcoError(f"duplicate ID {tag} in {where}")
        found[tag] = value
    return found


def _check_text(field: str, value: object, max_len: int, *, ascii_only: bool) -> None:
    if not isinstance(value, str) or not 1 <= len(value) <= max_len:
        raise EmvcoError(f"{field} must be a string of 1-{max_len} characters")
    if ascii_only and not _is_ans(value):
        raise EmvcoError(f"{field} must be printable ASCII (EMVCo); "
                         f"put a Chinese name or city in local_name/local_city")
    if not value.isprintable():
        raise EmvcoError(f"{field} must not contain control or unassigned characters")


def _format_amount(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _validate(qr: MerchantQR) -> None:
    """Field rules shared by encode and decode, so each accepts what the other makes."""
    mid = qr.merchant_id
    if type(mid) is not int or not 0 < mid <= _MAX_MERCHANT_ID:
        raise EmvcoError(f"merchant_id must be a positive 64-bit integer, got {mid!r}")
    _check_text("name", qr.name, 25, ascii_only=True)
    _check_text("city", qr.city, 15, ascii_only=True)
    if not (isinstance(qr.mcc, str) and len(qr.mcc) == 4 and _is_digits(qr.mcc)):
        raise EmvcoError(f"mcc must be 4 digits, got {qr.mcc!r}")
    if qr.currency != "156":
        raise EmvcoError(f"currency must be '156' (CNY), got {qr.currency!r}")
    if not (isinstance(qr.country, str) and len(qr.country) == 2
            and all("A" <= c <= "Z" for c in qr.country)):
        raise EmvcoError(f"country must be 2 uppercase letters, got {qr.country!r}")
    if qr.amount_fen is not None:
        if type(qr.amount_fen) is not int or qr.amount_fen <= 0:
            raise EmvcoError(f"amount_fen must be a positive integer, got {qr.amount_fen!r}")
        if len(_format_amount(qr.amount_fen)) > 13:
            raise EmvcoError("amount is too large for ID 54 (at most 13 characters)")
    if qr.reference is not None:
        _check_text("reference", qr.reference, 25, ascii_only=True)
    if qr.local_name is not None:
        _check_text("local_name", qr.local_name, 25, ascii_only=False)
    if qr.local_city is not None:
        if qr.local_name is None:
            raise EmvcoError("local_city requires local_name (template 64 needs a name)")
        _check_text("local_city", qr.local_city, 15, ascii_only=False)


def _tlv(tag: str, value: str) -> str:
    if not 1 <= len(value) <= 99:
        raise EmvcoError(f"value of ID {tag} must be 1-99 characters, got {len(value)}")
    return f"{tag}{len(value):02d}{value}"


def encode(qr: MerchantQR) -> str:
    """Build the QR payload: objects in ascending ID order, then the CRC (ID 63)."""
    _validate(qr)
    dynamic = qr.amount_fen is not None
    parts = [
        _tlv("00", "01"),
        _tlv("01", "12" if dynamic else "11"),
        _tlv("26", _tlv("00", GUI) + _tlv("01", str(qr.merchant_id))),
        _tlv("52", qr.mcc),
        _tlv("53", qr.currency),
    ]
    if qr.amount_fen is not None:
        parts.append(_tlv("54", _format_amount(qr.amount_fen)))
    parts += [_tlv("58", qr.country), _tlv("59", qr.name), _tlv("60", qr.city)]
    if qr.reference is not None:
        parts.append(_tlv("62", _tlv("05", qr.reference)))
    if qr.local_name is not None:
        local = _tlv("00", LANGUAGE) + _tlv("01", qr.local_name)
        if qr.local_city is not None:
            local += _tlv("02", qr.local_city)
        parts.append(_tlv("64", local))
    body = "".join(parts) + "6304"
    return body + f"{crc16_ccitt_false(body.encode('utf-8')):04X}"


def _check_crc(payload: str, objects: list[tuple[str, str]]) -> None:
    tag, crc = objects[-1]
    if tag != "63":
        where = "must be the last object" if any(t == "63" for t, _ in objects) else "is missing"
        raise EmvcoError(f"CRC (ID 63) {where}")
    if any(t == "63" for t, _ in objects[:-1]):
        raise EmvcoError("CRC (ID 63) appears more than once")
    if len(crc) != 4 or not all(c in "0123456789ABCDEF" for c in crc):
        raise EmvcoError(f"CRC must be 4 uppercase hex digits, got {crc!r}")
    try:
        data = payload[:-4].encode("utf-8")
    except UnicodeEncodeError:
        raise EmvcoError("payload contains characters that cannot be UTF-8 encoded") from None
    expected = crc16_ccitt_false(data)
    if int(crc, 16) != expected:
        raise EmvcoCrcError(f"CRC mismatch: payload says {crc}, computed {expected:04X}")


def _parse_amount(value: str) -> int:
    if len(value) > 13 or not _AMOUNT_RE.fullmatch(value):
        raise EmvcoError(f"amount (ID 54) must be a decimal with at most 2 decimals, got {value!r}")
    yuan, _, fen = value.partition(".")
    amount = int(yuan) * 100 + int(fen.ljust(2, "0") or "0")
    if amount <= 0:
        raise EmvcoError(f"amount (ID 54) must be positive, got {value!r}")
    return amount


def decode(payload: str) -> MerchantQR:
    """Parse and verify an Anxin merchant QR payload; raise EmvcoError if anything is off."""
    if not isinstance(payload, str):
        raise EmvcoError("payload must be a str")
    payload = payload.strip()
    if len(payload) > MAX_PAYLOAD_LEN:
        raise EmvcoError(f"payload is longer than {MAX_PAYLOAD_LEN} characters")
    if not payload.startswith("000201"):
        raise EmvcoError("payload must start with 000201 (payload format indicator)")
    objects = parse_tlv(payload)
    _check_crc(payload, objects)
    top = _unique(objects, "payload")
    for tag, value in top.items():
        if tag != "64" and not _is_ans(value):
            raise EmvcoError(f"ID {tag} must contain printable ASCII only")
    for tag, label in _MANDATORY.items():
        if tag not in top:
            raise EmvcoError(f"missing mandatory ID {tag} ({label})")
    if "26" not in top:
        raise EmvcoError("missing merchant account information template (ID 26)")
    account = _unique(parse_tlv(top["26"]), "template 26")
    if account.get("00") != GUI:
        raise EmvcoError(f"template 26 must carry GUI {GUI!r} in sub-ID 00")
    mid = account.get("01", "")
    if not _is_digits(mid) or mid.startswith("0") or len(mid) > 19:
        raise EmvcoError(f"template 26 sub-ID 01 must be a merchant id, got {mid!r}")
    amount = _parse_amount(top["54"]) if "54" in top else None
    initiation = top.get("01")
    if initiation not in (None, "11", "12"):
        raise EmvcoError(f"point of initiation (ID 01) must be 11 or 12, got {initiation!r}")
    if initiation is not None and (initiation == "12") != (amount is not None):
        raise EmvcoError("point of initiation 12 (dynamic) must go with an amount, 11 without")
    reference = _unique(parse_tlv(top["62"]), "template 62").get("05") if "62" in top else None
    local_name = local_city = None
    if "64" in top:
        local = _unique(parse_tlv(top["64"]), "template 64")
        if local.get("00") != LANGUAGE:
            raise EmvcoError(f"template 64 sub-ID 00 must be language {LANGUAGE!r}")
        if "01" not in local:
            raise EmvcoError("template 64 is missing the merchant name (sub-ID 01)")
        if not all(v.isprintable() for v in local.values()):
            raise EmvcoError("template 64 contains control or unassigned characters")
        local_name, local_city = local["01"], local.get("02")
    qr = MerchantQR(
        merchant_id=int(mid), name=top["59"], city=top["60"], mcc=top["52"],
        currency=top["53"], country=top["58"], amount_fen=amount,
        local_name=local_name, local_city=local_city, reference=reference,
    )
    _validate(qr)
    return qr
