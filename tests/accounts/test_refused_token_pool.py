"""A refused token gives its connection back at once: Litestar does not clean up dependencies already resolved when
a later one (the principal) raises, so the request's session, held by a read session, kept the connection the token
lookup took until the garbage collector ran; on SQLite's single connection the next request waited 60 s."""

from __future__ import annotations

from servicebank.accounts.models import Role
from tests.factories import make_org, make_person


async def test_a_deactivated_login_leaves_no_connection_checked_out(client, db, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    gone = await make_person(session, Role.ORGANISER, community=org.community)
    gone.user.is_active = False
    await session.commit()
    headers = {"Authorization": f"Bearer {gone.token}"}
    for path in (f"/api/reports/taizhang?scope=community:{org.community.id}&period=2026-10",
                 f"/api/records/export?scope=community:{org.community.id}&from=2026-10&to=2026-10"):
        r = await client.get(path, headers=headers)
        assert r.status_code == 401 and r.json()["code"] == "not_authenticated", r.text
        assert db.engine.pool.checkedout() == 0
