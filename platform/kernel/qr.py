"""QR images: SVG, PNG and an inline data URI for pages."""

from __future__ import annotations

import base64
import io


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
