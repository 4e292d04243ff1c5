"""QR codes: reading a merchant's payment QR from a picture, and drawing one to show.

Decoding uses zxing-cpp (a wheel with its own native code: nothing to install from the OS,
works offline); drawing uses qrcode + Pillow. Both are pure functions of bytes.
"""

from __future__ import annotations

import io

import qrcode
import zxingcpp
from PIL import Image, UnidentifiedImageError


class QrNotFound(Exception):
    """The picture has no readable QR code in it (or is not a picture at all)."""


def decode_qr_image(data: bytes) -> str:
    """The text of the first QR code in an image file's bytes (PNG, JPEG, ...)."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise QrNotFound("not an image") from exc
    for barcode in zxingcpp.read_barcodes(image.convert("L")):
        if barcode.format == zxingcpp.BarcodeFormat.QRCode and barcode.text:
            return barcode.text
    raise QrNotFound("no QR code in the image")


def qr_png(payload: str, *, box_size: int = 8) -> bytes:
    """A PNG of `payload` as a QR code with a quiet zone, ready for ft.Image(src=bytes)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=4)
    code.add_data(payload)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()
