"""kernel/direct.py: a Core statement built once gives the same rows sent straight to asyncpg as through the session
(SQLite): an id list as one array parameter, a JSON parameter as JSON, a literal the statement carries itself."""

from __future__ import annotations

from functools import lru_cache

import pytest
from sqlalchemy import bindparam, select, update

from servicebank.kernel import direct
from servicebank.volunteers.models import Volunteer
from tests.factories import make_org, make_volunteer


@lru_cache(maxsize=2)
def _names(array: bool):  # noqa: ANN202
    return (select(Volunteer.id, Volunteer.real_name).where(direct.among_ids(Volunteer.id, array=array),
                                                            Volunteer.real_name != "无名")
            .order_by(Volunteer.id))


@lru_cache(maxsize=1)
def _retag():  # noqa: ANN202
    return (update(Volunteer).where(Volunteer.id == bindparam("volunteer_id"))
            .values(skill_tags=bindparam("tags")).returning(Volunteer.id))


async def test_rows_ids_json_and_carried_literals(session) -> None:  # noqa: ANN001
    org = await make_org(session)
    a, b = [await make_volunteer(session, org.community, name=n) for n in ("甲", "乙")]
    nameless = await make_volunteer(session, org.community, name="无名")
    await session.commit()
    rows = await direct.read(session, _names(direct.sends_direct(session)), {"ids": [b.id, a.id, nameless.id]})
    assert rows == [(a.id, "甲"), (b.id, "乙")]
    assert await direct.read(session, _names(direct.sends_direct(session)), {"ids": []}) == []

    changed = await direct.fetch_mapping(session, _retag(), {"volunteer_id": a.id, "tags": ["理发", "陪诊"]})
    assert changed == {"id": a.id}
    await session.commit()
    assert (await session.get(Volunteer, a.id, populate_existing=True)).skill_tags == ["理发", "陪诊"]


@pytest.mark.postgres_only  # two sessions at once: SQLite's pool holds one connection
async def test_a_read_sees_the_sessions_own_write_and_outside_a_transaction_what_was_committed(session,
                                                                                             db) -> None:  # noqa: ANN001
    org = await make_org(session)
    one = await make_volunteer(session, org.community, name="赵")
    await session.commit()
    ids = {"ids": [one.id]}
    async with db.sessionmaker() as fresh:
        assert await direct.read(fresh, _names(direct.sends_direct(fresh)), ids) == [(one.id, "赵")]
        assert not fresh.in_transaction(), "no transaction opened for a read outside one"
        await fresh.execute(update(Volunteer).where(Volunteer.id == one.id).values(real_name="钱"))
        assert await direct.read(fresh, _names(direct.sends_direct(fresh)), ids) == [(one.id, "钱")]
        async with db.sessionmaker() as other:
            assert await direct.read(other, _names(direct.sends_direct(other)), ids) == [(one.id, "赵")]
        await fresh.commit()
    async with db.sessionmaker() as later:
        assert await direct.read(later, _names(direct.sends_direct(later)), ids) == [(one.id, "钱")]
    assert await direct.fetch_mapping(session, _retag(), {"volunteer_id": -1, "tags": []}) is None
