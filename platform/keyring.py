"""The install's own keys: a signing secret and a separate data-encryption key.

Embedded mode keeps them in `<data dir>/servicebank.keys` (JSON, mode 0600), made on first start
and reused afterwards, so no two installs share a key and nobody signs with a key published in the
source. Production takes them from environment variables instead. Either way a rotated signing key
stays accepted (never used to sign) until its `accept_until`, and a rotated data key stays a
decrypt-only key until every ID number is re-encrypted under the current one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fcntl
import hmac
import json
import os
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

KEYS_FILE = "servicebank.keys"
# The Web Push (VAPID) signing key: an EC P-256 private key in PEM, its own file since it is no shared secret.
VAPID_FILE = "servicebank.vapid.pem"
MIN_KEY_LENGTH = 32
DEFAULT_GRACE = dt.timedelta(days=7)
_FORMAT = 1


class KeyFileError(RuntimeError):
    """The keys file cannot be read or written; the message says which file and why."""


@dataclasses.dataclass(frozen=True)
class RetiredKey:
    """A signing key replaced by a newer one: its tokens verify until `accept_until`, then never."""

    key: str
    accept_until: dt.datetime


@dataclasses.dataclass(frozen=True)
class KeySet:
    """What one install signs and encrypts with."""

    signing_key: str
    data_key: str
    previous_signing_keys: tuple[RetiredKey, ...] = ()
    previous_data_keys: tuple[str, ...] = ()


def new_key() -> str:
    """A fresh random key (64 URL-safe characters, 384 bits)."""
    return secrets.token_urlsafe(48)


def accepted_signing_keys(current: str, previous: Sequence[RetiredKey], now: dt.datetime) -> tuple[str, ...]:
    """The current key first, then retired keys whose grace period has not ended."""
    return (current, *(r.key for r in previous if now < r.accept_until))


def as_keys(secret_key: str | Sequence[str]) -> tuple[str, ...]:
    """One key or the accepted keys (current first) as a tuple; verifiers take either."""
    return (secret_key,) if isinstance(secret_key, str) else tuple(secret_key)


def signed_by_any(signature: str, secret_key: str | Sequence[str], sign: Callable[[str], str]) -> bool:
    """Whether `signature` is sign(key) for one of the keys; all are tried, so timing tells nothing."""
    return any([hmac.compare_digest(signature, sign(key)) for key in as_keys(secret_key)])


def keys_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / KEYS_FILE


def load_or_create(data_dir: str | Path) -> KeySet:
    """This install's keys, made on first start. Two processes starting at once end up with the same keys."""
    path = keys_path(data_dir)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        _create_exclusively(path, _as_json(KeySet(signing_key=new_key(), data_key=new_key())))
    return read(path)


def new_vapid_key() -> str:
    """A fresh VAPID key: EC P-256, PKCS#8 PEM."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def load_or_create_vapid(data_dir: str | Path) -> str:
    """This install's Web Push key (PEM), made on first start like the other keys (0600, never replaced)."""
    path = Path(data_dir) / VAPID_FILE
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            _create_exclusively(path, new_vapid_key())
        return path.read_text()
    except OSError as exc:
        raise KeyFileError(f"The Web Push key file {path} cannot be read or written ({exc}).") from exc


def read(path: Path) -> KeySet:
    try:
        raw = json.loads(path.read_text())
        return KeySet(
            signing_key=raw["signing_key"], data_key=raw["data_key"],
            previous_signing_keys=tuple(RetiredKey(r["key"], dt.datetime.fromisoformat(r["accept_until"]))
                                        for r in raw.get("previous_signing_keys", [])),
            previous_data_keys=tuple(raw.get("previous_data_keys", [])),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KeyFileError(f"The keys file {path} cannot be read ({exc}). Restore it from your backup: without it "
                           "ID numbers cannot be decrypted and every printed card and link stops working.") from exc


def write(path: Path, keys: KeySet) -> None:
    """Replace the keys file in one step (a crash leaves the old or the new file, never half of one)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    _write_private(tmp, _as_json(keys))
    os.replace(tmp, path)


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Serialise read-modify-write of the keys file between processes (two rotations at once)."""
    lock = path.with_name(f".{path.name}.lock")
    fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def rotate_signing(keys: KeySet, *, now: dt.datetime, grace: dt.timedelta = DEFAULT_GRACE) -> KeySet:
    """A new signing key; the old one verifies until now + grace. Retired keys past their grace are dropped."""
    kept = tuple(r for r in keys.previous_signing_keys if now < r.accept_until)
    return dataclasses.replace(keys, signing_key=new_key(),
                               previous_signing_keys=(RetiredKey(keys.signing_key, now + grace), *kept))


def rotate_data(keys: KeySet) -> KeySet:
    """A new data key; the old one stays decrypt-only until the ID numbers are re-encrypted."""
    previous = (keys.data_key, *(k for k in keys.previous_data_keys if k != keys.data_key))
    return dataclasses.replace(keys, data_key=new_key(), previous_data_keys=previous)


def forget_previous_data_keys(keys: KeySet) -> KeySet:
    return dataclasses.replace(keys, previous_data_keys=())


def _as_json(keys: KeySet) -> str:
    return json.dumps({
        "format": _FORMAT,
        "signing_key": keys.signing_key,
        "data_key": keys.data_key,
        "previous_signing_keys": [{"key": r.key, "accept_until": r.accept_until.isoformat()}
                                  for r in keys.previous_signing_keys],
        "previous_data_keys": list(keys.previous_data_keys),
    }, indent=2) + "\n"


def _write_private(path: Path, text: str) -> None:
    # O_EXCL and mode 0600 from the first byte: the keys are never readable by others, not even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def _create_exclusively(path: Path, text: str) -> None:
    # Written whole under a private name, then linked into place: link never replaces an existing file,
    # so when two processes start together the second one's keys are discarded and both read the first's.
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    _write_private(tmp, text)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
