"""QR images: SVG, PNG and an inline data URI for pages."""

from __future__ import annotations

import base64
import io
from typing import Literal


def qr_svg(data: str) -> bytes:
    """`data` as a QR code in SVG."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=2,
                        error_correction=qrcode.constants.ERROR_CORRECT_M)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def qr_png(data: str, *, box_size: int = 10) -> bytes:
    """`data` as a QR code in PNG."""
    import qrcode

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=2)
    code.add_data(data)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def qr_data_uri(data: str) -> str:
    """A QR code as an inline SVG image (allowed by our CSP: img-src data:)."""
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(data)).decode()


# The formats a QR endpoint answers in: JSON (the token itself) or an image to print.
ImageFormat = Literal["json", "svg", "png"]
MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


def qr_image(data: str, fmt: str) -> tuple[bytes, str]:
    """`data` as a QR image in `fmt` ("svg" or "png") and its media type."""
    return (qr_svg(data) if fmt == "svg" else qr_png(data)), MEDIA_TYPES[fmt]
