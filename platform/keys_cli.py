"""`servicebank keys ...`: show, rotate and apply the install's signing and data keys.

Embedded mode rotates its keys file itself. In production the keys are environment variables, so
`rotate` prints the values to set and `reencrypt` moves ID numbers to the new data key once every
process runs with it (docs/security.md, "Secrets and keys").
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from servicebank import keyring
from servicebank.cli_support import emit, fail, json_option, progress
from servicebank.config import Settings, SettingsError, get_settings

if TYPE_CHECKING:  # the command line loads no database layer until a command needs it
    from servicebank.kernel.db import Database

BATCH_SIZE = 500
T = TypeVar("T")


def fingerprint(key: str) -> str:
    """A short name for a key that reveals nothing about it (for status output and logs)."""
    return hmac.new(key.encode(), b"servicebank key fingerprint", hashlib.sha256).hexdigest()[:12]


def _settings(as_json: bool) -> Settings:
    try:
        return get_settings()
    except SettingsError as exc:
        fail(str(exc), code="bad_settings", as_json=as_json, exit_code=2)
        raise  # unreachable: fail exits


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _with_db(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    # These settings' database, not get_settings()'s: `up` and `rotate` pass the keys they have just read.
    from servicebank.kernel.db import Database

    async def main() -> T:
        db = Database(settings)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(main())


def _pending(settings: Settings) -> int:
    from servicebank.volunteers import rekey
    from servicebank.volunteers.identity import vault

    async def work(db: Database) -> int:
        async with db.session_scope() as session:
            return await rekey.count_not_current(session, vault=vault(settings))

    return _with_db(settings, work)


def reencrypt(settings: Settings, *, as_json: bool, batch_size: int = BATCH_SIZE) -> dict[str, Any]:
    """Re-encrypt every ID number not under the current data key; a transaction per batch, progress on stderr."""
    from servicebank.volunteers import rekey
    from servicebank.volunteers.identity import vault

    id_vault = vault(settings)
    total = _pending(settings)

    async def work(db: Database) -> dict[str, Any]:
        after, done = 0, 0
        unreadable: list[int] = []
        with progress("re-encrypting ID numbers", total, as_json=as_json) as bar:
            while True:
                async with db.session_scope() as session:
                    batch = await rekey.reencrypt_batch(session, vault=id_vault, after_id=after, limit=batch_size)
                if batch.last_id is None:
                    break
                after, done = batch.last_id, done + batch.reencrypted
                unreadable.extend(batch.unreadable)
                bar.advance(batch.reencrypted + len(batch.unreadable))
        async with db.session_scope() as session:
            remaining = await rekey.count_not_current(session, vault=id_vault)
        return {"reencrypted": done, "unreadable": unreadable, "remaining": remaining}

    return _with_db(settings, work) if total else {"reencrypted": 0, "unreadable": [], "remaining": 0}


def finish_embedded_rotation(settings: Settings) -> None:
    """At `servicebank up`: re-encrypt ID numbers left under an older key, then forget older data keys."""
    if settings.is_production:
        return
    result = reencrypt(settings, as_json=False)
    if result["reencrypted"]:
        click.echo(f"Re-encrypted {result['reencrypted']} ID numbers under this install's data key.")
    if result["unreadable"]:
        click.echo(f"Warning: {len(result['unreadable'])} ID numbers open with none of this install's data keys "
                   "(see `servicebank keys status` and docs/security.md).", err=True)
    if settings.keys_file and settings.previous_data_keys and result["remaining"] == 0:
        # Safe only here: the one embedded server is this process, so nothing still encrypts with the old key.
        path = Path(settings.keys_file)
        with keyring.locked(path):
            keyring.write(path, keyring.forget_previous_data_keys(keyring.read(path)))


def _status(settings: Settings) -> dict[str, Any]:
    now = _now()
    return {
        "mode": settings.mode,
        "source": str(Path(settings.keys_file).resolve()) if settings.keys_file else "environment",
        "signing_key": fingerprint(settings.secret_key),
        "previous_signing_keys": [
            {"fingerprint": fingerprint(r.key), "accept_until": r.accept_until.isoformat(),
             "accepted": now < r.accept_until} for r in settings.previous_secret_keys],
        "data_key": fingerprint(settings.data_key or ""),
        "previous_data_keys": [fingerprint(k) for k in settings.previous_data_keys],
        "id_numbers_to_reencrypt": _pending(settings),
    }


def _human_status(d: dict[str, Any]) -> str:
    lines = [f"keys from {d['source']} ({d['mode']} mode)", f"signing key {d['signing_key']}"]
    for r in d["previous_signing_keys"]:
        state = "accepted until" if r["accepted"] else "refused since"
        lines.append(f"  previous signing key {r['fingerprint']}: {state} {r['accept_until']}")
    lines.append(f"data key {d['data_key']}")
    lines += [f"  previous data key {k} (decrypts only)" for k in d["previous_data_keys"]]
    lines.append(f"ID numbers to re-encrypt: {d['id_numbers_to_reencrypt']}")
    return "\n".join(lines)


def _rotate_file(settings: Settings, *, signing: bool, data: bool, grace: dt.timedelta) -> keyring.KeySet:
    path = Path(settings.keys_file or "")
    with keyring.locked(path):
        keys = keyring.read(path)
        if signing:
            keys = keyring.rotate_signing(keys, now=_now(), grace=grace)
        if data:
            keys = keyring.rotate_data(keys)
        keyring.write(path, keys)
    return keys


def _env_to_set(settings: Settings, *, signing: bool, data: bool, grace: dt.timedelta) -> dict[str, str]:
    env: dict[str, str] = {}
    if signing:
        kept = [r.key for r in settings.previous_secret_keys if _now() < r.accept_until]
        env["SERVICEBANK_SECRET_KEY"] = keyring.new_key()
        env["SERVICEBANK_PREVIOUS_SECRET_KEYS"] = ",".join([settings.secret_key, *kept])
        env["SERVICEBANK_PREVIOUS_SECRET_KEYS_UNTIL"] = (_now() + grace).isoformat(timespec="seconds")
    if data:
        env["SERVICEBANK_DATA_KEY"] = keyring.new_key()
        env["SERVICEBANK_PREVIOUS_DATA_KEYS"] = ",".join([settings.data_key or "", *settings.previous_data_keys])
    return env


def _human_env(d: dict[str, Any]) -> str:
    lines = ["Keys come from the environment. Set these for every process (API, worker, scheduler) and restart "
             "them all:"]
    lines += [f"  {name}={value}" for name, value in d["env"].items()]
    if "SERVICEBANK_DATA_KEY" in d["env"]:
        lines.append("Then run `servicebank keys reencrypt`; when `servicebank keys status` shows 0 ID numbers to "
                     "re-encrypt, remove SERVICEBANK_PREVIOUS_DATA_KEYS and restart again.")
    if "SERVICEBANK_SECRET_KEY" in d["env"]:
        lines.append("Remove SERVICEBANK_PREVIOUS_SECRET_KEYS(_UNTIL) after that time; codes signed with the old key "
                     "are refused from then on (printed cards must be reprinted).")
    return "\n".join(lines)


def _human_rotated(d: dict[str, Any]) -> str:
    lines = []
    if d["signing"]:
        lines.append(f"New signing key {d['signing_key']}; codes, cards and calendar links signed with the old key "
                     f"are accepted until {d['accept_until']}, then refused (reprint cards before then).")
    if d["data"]:
        r = d["reencryption"]
        lines.append(f"New data key {d['data_key']}; re-encrypted {r['reencrypted']} ID numbers, "
                     f"{r['remaining']} left, {len(r['unreadable'])} unreadable.")
    lines.append("Restart `servicebank up` so the server uses the new keys.")
    return "\n".join(lines)


def register(cli: click.Group) -> None:
    """Add the `keys` command group to the main CLI."""

    @cli.group()
    def keys() -> None:
        """The install's signing key and ID-number (data) key: status, rotation, re-encryption."""

    @keys.command("status")
    @json_option
    def status(as_json: bool) -> None:
        """Which keys are in use (by fingerprint), retired keys' grace periods, ID numbers left to re-encrypt."""
        emit(_status(_settings(as_json)), as_json=as_json, human=_human_status)

    @keys.command("rotate")
    @click.option("--signing", is_flag=True, help="New signing key (kiosk codes, cards, redemption codes, feeds).")
    @click.option("--data", is_flag=True, help="New data key; ID numbers are re-encrypted under it.")
    @click.option("--grace-days", type=click.IntRange(min=0), default=7, show_default=True,
                  envvar="SERVICEBANK_KEY_GRACE_DAYS", help="How long codes signed with the old key stay accepted.")
    @json_option
    def rotate(signing: bool, data: bool, grace_days: int, as_json: bool) -> None:
        """Replace the signing key, the data key or both; the old ones keep working for a while."""
        if not (signing or data):
            fail("Say which key to rotate: --signing, --data or both.", code="no_key_chosen", as_json=as_json,
                 exit_code=2)
        settings, grace = _settings(as_json), dt.timedelta(days=grace_days)
        if settings.keys_file is None:
            emit({"env": _env_to_set(settings, signing=signing, data=data, grace=grace)}, as_json=as_json,
                 human=_human_env)
            return
        new = _rotate_file(settings, signing=signing, data=data, grace=grace)
        get_settings.cache_clear()
        result: dict[str, Any] = {"signing": signing, "data": data, "keys_file": settings.keys_file,
                                  "signing_key": fingerprint(new.signing_key), "data_key": fingerprint(new.data_key)}
        if signing:
            result["accept_until"] = new.previous_signing_keys[0].accept_until.isoformat(timespec="seconds")
        if data:
            result["reencryption"] = reencrypt(get_settings(), as_json=as_json)
        emit(result, as_json=as_json, human=_human_rotated)

    @keys.command("reencrypt")
    @click.option("--batch-size", type=click.IntRange(min=1), default=BATCH_SIZE, show_default=True)
    @json_option
    def reencrypt_command(batch_size: int, as_json: bool) -> None:
        """Re-encrypt every ID number not under the current data key (safe to interrupt and run again)."""
        result = reencrypt(_settings(as_json), as_json=as_json, batch_size=batch_size)
        emit(result, as_json=as_json, human=lambda d: f"re-encrypted {d['reencrypted']} ID numbers, "
                                                      f"{d['remaining']} left, {len(d['unreadable'])} unreadable")
        if result["unreadable"]:
            fail(f"{len(result['unreadable'])} ID numbers open with none of the data keys (volunteer ids "
                 f"{result['unreadable'][:20]}): add the key they were encrypted with to "
                 "SERVICEBANK_PREVIOUS_DATA_KEYS and run again.", code="id_numbers_unreadable", as_json=as_json)
