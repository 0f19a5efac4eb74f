"""Evidence photos of late claims: checked by their first bytes and size, kept by content hash, never public.

Files live under the data directory (embedded mode) or SERVICEBANK_EVIDENCE_DIR (production), as
`ab/abcdef….jpg` named by the SHA-256 of the bytes: the same photo sent twice is kept once, and a name reveals
nothing. Only the claim's volunteer and the organisers of its community read them (claims.photo).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
from pathlib import Path

from servicebank.config import Settings
from servicebank.kernel.errors import InvalidInput

MAX_PHOTOS = 3
# What a photo must start with. The browser's declared type and the file name are not trusted.
SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)


@dataclasses.dataclass(frozen=True)
class Photo:
    """A checked photo, not yet stored."""

    data: bytes
    media_type: str
    extension: str

    @property
    def stored_name(self) -> str:
        digest = hashlib.sha256(self.data).hexdigest()
        return f"{digest[:2]}/{digest}.{self.extension}"


def root(settings: Settings) -> Path:
    """The evidence directory: the configured one, else `evidence` under the data directory."""
    return Path(settings.evidence_dir) if settings.evidence_dir else Path(settings.data_dir) / "evidence"


def _kind_of(data: bytes) -> tuple[str, str] | None:
    for magic, media_type, extension in SIGNATURES:
        if data.startswith(magic):
            return media_type, extension
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def check(files: list[bytes], *, max_bytes: int) -> list[Photo]:
    """The photos if each is a JPEG, PNG or WebP image within the size limit; refuses the lot otherwise."""
    if len(files) > MAX_PHOTOS:
        raise InvalidInput(f"At most {MAX_PHOTOS} photos.", code="claim_too_many_photos", limit=MAX_PHOTOS)
    photos = []
    for number, data in enumerate(files, start=1):
        if len(data) > max_bytes:
            raise InvalidInput(f"Photo {number} is larger than {max_bytes // 1024} KB.", code="claim_photo_too_large",
                               photo=number, limit_bytes=max_bytes)
        kind = _kind_of(data)
        if kind is None:
            raise InvalidInput(f"Photo {number} is not a JPEG, PNG or WebP image.", code="claim_photo_type",
                               photo=number)
        photos.append(Photo(data, *kind))
    return photos


def store(settings: Settings, photo: Photo) -> None:
    """Write the photo (atomically: a reader never sees half a file); an identical one already kept is left alone."""
    target = root(settings) / photo.stored_name
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(photo.data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def path_of(settings: Settings, stored_name: str) -> Path:
    """Where a stored photo is (names come from our own rows, never from the request)."""
    return root(settings) / stored_name
