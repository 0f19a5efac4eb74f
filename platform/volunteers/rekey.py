"""Re-encrypting stored ID numbers under the current data key after a rotation, one batch at a time.

Each batch is its own transaction (the caller commits), so an interrupted run loses nothing: every
row holds either its old value (readable with a previous key) or its new one, never half of one.
Rows are picked by their key id, not by a cursor kept anywhere, so running again simply finishes.
"""

from __future__ import annotations

import dataclasses

from cryptography.exceptions import InvalidTag
from sqlalchemy import func, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.kernel.db import affected_rows
from servicebank.volunteers.identity import IdentityVault
from servicebank.volunteers.models import Volunteer


@dataclasses.dataclass(frozen=True)
class Batch:
    """One batch: the last row looked at (None when none was left), rows re-encrypted, rows no key opens."""

    last_id: int | None
    reencrypted: int
    unreadable: tuple[int, ...]


def _not_current(vault: IdentityVault):  # noqa: ANN202
    return (Volunteer.id_number_encrypted.is_not(None)
            & ~Volunteer.id_number_encrypted.startswith(vault.current_prefix, autoescape=True))


async def count_not_current(session: AsyncSession, *, vault: IdentityVault) -> int:
    """ID numbers still encrypted under a previous data key (or the key shared before per-install keys)."""
    # A database not migrated yet stores no ID numbers (`keys status` before the first `db upgrade`).
    if not await session.run_sync(lambda s: inspect(s.connection()).has_table(Volunteer.__tablename__)):
        return 0
    return int(await session.scalar(select(func.count(Volunteer.id)).where(_not_current(vault))) or 0)


async def reencrypt_batch(session: AsyncSession, *, vault: IdentityVault, after_id: int, limit: int) -> Batch:
    """Re-encrypt up to `limit` ID numbers with ids above `after_id` that are not under the current key."""
    rows = (await session.execute(
        select(Volunteer.id, Volunteer.id_number_encrypted)
        .where(_not_current(vault), Volunteer.id > after_id).order_by(Volunteer.id).limit(limit)
    )).all()
    done, unreadable = 0, []
    for volunteer_id, encrypted in rows:
        try:
            number = vault.decrypt(encrypted)
        except (ValueError, InvalidTag):
            unreadable.append(volunteer_id)
            continue
        # Compare-and-set: a number edited in the app since it was read is already under the current key.
        result = await session.execute(
            update(Volunteer).where(Volunteer.id == volunteer_id, Volunteer.id_number_encrypted == encrypted)
            .values(id_number_encrypted=vault.encrypt(number), id_number_digest=vault.digest(number))
            .execution_options(synchronize_session=False)
        )
        done += affected_rows(result)
    return Batch(last_id=rows[-1][0] if rows else None, reencrypted=done, unreadable=tuple(unreadable))
