"""ID numbers: validated, encrypted at rest (AES-GCM), a keyed digest for duplicates, shown masked only."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import os
import re
from collections.abc import Sequence
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from servicebank.config import Settings, SettingsError
from servicebank.kernel.errors import InvalidInput

RESIDENT_ID = "居民身份证"
# Other documents people volunteer with; only the resident ID has a checksum we can verify.
ID_TYPES = (RESIDENT_ID, "港澳居民来往内地通行证", "台湾居民来往大陆通行证", "护照", "外国人永久居留身份证", "其他")

_CIPHER_VERSION = "v2"
_LEGACY_VERSION = "v1"  # before per-install data keys: no key id in the value
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_RESIDENT_ID_SHAPE = re.compile(r"^[1-9]\d{16}[\dX]$")
_OTHER_ID_SHAPE = re.compile(r"^[A-Z0-9()\-]{5,32}$")


def normalise_id_number(value: str) -> str:
    """Upper-case, without spaces (people paste numbers with spaces or a lower-case x)."""
    return re.sub(r"\s+", "", value).upper()


def resident_id_check_char(first17: str) -> str:
    """The 18th character of a resident ID number (GB 11643-1999, ISO 7064 MOD 11-2)."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def resident_id_problem(value: str) -> str | None:
    """Why a resident ID number is malformed, or None when it is well-formed."""
    if len(value) != 18:
        return f"a resident ID number has 18 characters, this one has {len(value)}"
    if not _RESIDENT_ID_SHAPE.match(value):
        return "a resident ID number is 17 digits followed by a digit or X"
    year, month, day = int(value[6:10]), int(value[10:12]), int(value[12:14])
    if not (1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31):
        return "the birth date inside the ID number is not a real date"
    if resident_id_check_char(value[:17]) != value[17]:
        return "the check digit does not match (a digit was probably mistyped)"
    return None


def validate_id_number(id_type: str, value: str) -> str:
    """The normalised number, or InvalidInput(code=invalid_id_number) saying what is wrong."""
    number = normalise_id_number(value)
    if id_type == RESIDENT_ID:
        problem = resident_id_problem(number)
    elif not _OTHER_ID_SHAPE.match(number):
        problem = "use 5 to 32 letters and digits"
    else:
        problem = None
    if problem:
        raise InvalidInput(f"The {id_type} number is not valid: {problem}.", code="invalid_id_number")
    return number


def mask_id_number(number: str) -> str:
    """110***********1234: the region prefix and the last four, never more."""
    if len(number) <= 7:
        return number[:1] + "*" * (len(number) - 1)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def birth_year_from_resident_id(number: str) -> int:
    return int(number[6:10])


def gender_from_resident_id(number: str) -> str:
    """男 or 女 from the 17th digit (odd for men)."""
    return "男" if int(number[16]) % 2 else "女"


@dataclasses.dataclass(frozen=True)
class ProtectedId:
    """What is stored for one ID number."""

    encrypted: str
    digest: str
    last4: str
    masked: str


class _DataKey:
    """The AES-GCM and digest keys derived (HKDF) from one data key, and the id naming it in ciphertexts."""

    def __init__(self, master_key: str) -> None:
        material = master_key.encode()
        self.aead = AESGCM(_derive(material, b"servicebank id-number encryption v1"))
        self.digest_key = _derive(material, b"servicebank id-number digest v1")
        self.key_id = _derive(material, b"servicebank id-number key id v1")[:6].hex()

    def digest(self, number: str) -> str:
        return hmac.new(self.digest_key, normalise_id_number(number).encode(), hashlib.sha256).hexdigest()

    def open(self, raw: bytes, version: str) -> str:
        return self.aead.decrypt(raw[:12], raw[12:], version.encode()).decode()


class IdentityVault:
    """Encrypts and digests ID numbers with the current data key; older keys only decrypt and find duplicates.

    A value is `v2:<key id>:<nonce + AES-GCM>`, so re-encryption finds the values not under the current key
    without decrypting; `v1:` values (no key id) come from before per-install data keys and are tried with
    every key the vault knows.
    """

    def __init__(self, master_key: str, *, previous: Sequence[str] = (), legacy: Sequence[str] = ()) -> None:
        self._current = _DataKey(master_key)
        keys = [self._current, *(_DataKey(k) for k in dict.fromkeys(previous) if k != master_key)]
        self._by_id = {k.key_id: k for k in keys}
        # The old derivation (possibly the signing key) opens `v1:` values only, never a `v2:` one.
        self._legacy = [_DataKey(k) for k in dict.fromkeys(legacy) if k != master_key and k not in previous]

    @property
    def current_prefix(self) -> str:
        """How every value encrypted under the current key begins."""
        return f"{_CIPHER_VERSION}:{self._current.key_id}:"

    def digest(self, number: str) -> str:
        """Keyed HMAC-SHA256: finds duplicates without decrypting, useless without the key."""
        return self._current.digest(number)

    def digests(self, number: str) -> tuple[str, ...]:
        """The number's digest under every key, current first: a duplicate stored under an older key is found too."""
        return tuple(k.digest(number) for k in (*self._by_id.values(), *self._legacy))

    def encrypt(self, number: str) -> str:
        nonce = os.urandom(12)
        sealed = self._current.aead.encrypt(nonce, number.encode(), _CIPHER_VERSION.encode())
        return self.current_prefix + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str) -> str:
        """The plain number (for certificates issued to the volunteer themself); raises ValueError or InvalidTag."""
        version, _, rest = token.partition(":")
        if version == _CIPHER_VERSION:
            key_id, _, body = rest.partition(":")
            key = self._by_id.get(key_id)
            if key is None:
                raise ValueError(f"ID number encrypted with a data key this install does not have (key id {key_id})")
            return key.open(base64.urlsafe_b64decode(body.encode()), version)
        if version != _LEGACY_VERSION:
            raise ValueError(f"unknown ID cipher version {version!r}")
        raw = base64.urlsafe_b64decode(rest.encode())
        for key in (*self._by_id.values(), *self._legacy):
            try:
                return key.open(raw, version)
            except InvalidTag:
                continue
        raise InvalidTag("ID number encrypted with none of this install's data keys")

    def protect(self, number: str) -> ProtectedId:
        return ProtectedId(encrypted=self.encrypt(number), digest=self.digest(number), last4=number[-4:],
                           masked=mask_id_number(number))


def _derive(material: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"servicebank", info=info).derive(material)


@lru_cache(maxsize=8)
def _vault_for(master_key: str, previous: tuple[str, ...], legacy: tuple[str, ...]) -> IdentityVault:
    return IdentityVault(master_key, previous=previous, legacy=legacy)


def vault(settings: Settings) -> IdentityVault:
    """The vault for these settings: the data key encrypts, never the signing key; cached."""
    if not settings.data_key:
        raise SettingsError("No data key for ID numbers: set SERVICEBANK_DATA_KEY (embedded mode makes one in its "
                            "data directory).")
    return _vault_for(settings.data_key, settings.previous_data_keys, settings.legacy_data_keys)
