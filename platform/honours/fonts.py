"""The CJK font the posters and certificates are drawn with (Noto Sans CJK SC from Debian's fonts-noto-cjk)."""

from __future__ import annotations

import dataclasses
import os
from functools import lru_cache
from pathlib import Path

from servicebank.kernel.errors import ServiceUnavailable

# fpdf2 (via fontTools) and Pillow both read one face out of a .ttc collection by its index.
CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-{weight}.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-{weight}.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


@dataclasses.dataclass(frozen=True)
class FontFace:
    path: str
    index: int  # face inside a .ttc collection (0 for a single font file)


def _simplified_chinese_index(path: str) -> int:
    """The face of a collection made for Simplified Chinese (Noto's "... CJK SC"), else the first."""
    if not path.lower().endswith(".ttc"):
        return 0
    from fontTools.ttLib import TTCollection

    collection = TTCollection(path, lazy=True)
    try:
        for index, font in enumerate(collection.fonts):
            name = font["name"].getDebugName(4) or ""
            if " SC" in name and "Mono" not in name:
                return index
    finally:
        collection.close()
    return 0


@lru_cache(maxsize=4)
def cjk_font(weight: str = "Regular") -> FontFace:
    """The CJK font file to use; SERVICEBANK_CJK_FONT (a .ttf/.otf/.ttc path) overrides the search."""
    override = os.environ.get("SERVICEBANK_CJK_FONT")
    paths = [override] if override else [c.format(weight=weight) for c in CANDIDATES]
    for path in paths:
        if path and Path(path).is_file():
            return FontFace(path=path, index=_simplified_chinese_index(path))
    raise ServiceUnavailable("No Chinese font is installed on the server, so the PDF/PNG cannot be drawn. "
                             "Install Debian's fonts-noto-cjk (apt-get install fonts-noto-cjk) or set "
                             "SERVICEBANK_CJK_FONT to a .ttf/.otf/.ttc file.", code="cjk_font_missing")


def bold_or_regular() -> FontFace:
    try:
        return cjk_font("Bold")
    except ServiceUnavailable:
        return cjk_font("Regular")
