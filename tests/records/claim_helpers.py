"""Helpers for the late-claim tests: a past activity, photo bytes, sending a claim."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update

from servicebank.activities.models import Activity
from tests.activities.conftest import World, create

# The first bytes decide the type; the rest is what a phone would send after them.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 64


def iso(value: dt.datetime) -> str:
    return value.replace(microsecond=0).isoformat()


async def past_activity(client, db, world: World, *, hours_ago: float = 1) -> dict[str, Any]:  # noqa: ANN001
    """A two-hour activity that ended `hours_ago` hours ago, with its times."""
    activity = await create(client, world)
    end = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours_ago)).replace(microsecond=0)
    async with db.session_scope() as s:
        await s.execute(update(Activity).where(Activity.id == activity["id"])
                        .values(starts_at=end - dt.timedelta(hours=2), ends_at=end, status="completed"))
    return {**activity, "starts_at": end - dt.timedelta(hours=2), "ends_at": end}


async def send_claim(client, headers: dict[str, str], *, photos: list[tuple[str, bytes, str]] | None = None,  # noqa: ANN001
                     **fields: Any):  # noqa: ANN201
    """POST /api/me/claims as multipart; photos are (file name, bytes, declared type)."""
    data = {k: iso(v) if isinstance(v, dt.datetime) else str(v) for k, v in fields.items()}
    files = [("photos", photo) for photo in (photos if photos is not None else [("proof.png", PNG, "image/png")])]
    return await client.post("/api/me/claims", data=data, files=files or None, headers=headers)


async def claim_activity(client, world: World, activity: dict[str, Any], **overrides: Any):  # noqa: ANN001, ANN201
    fields: dict[str, Any] = {"activity_id": activity["id"], "started_at": activity["starts_at"],
                              "ended_at": activity["ends_at"], "content": "帮忙整理楼道杂物，忘了扫码"}
    photos = overrides.pop("photos", None)
    fields.update(overrides)
    return await send_claim(client, world.volunteer.headers, photos=photos, **fields)
