"""The account page's entries (statement.account_page: one read on PostgreSQL, three queries on SQLite): newest
first, each service entry with its activity and the minutes it credited, other entries without; a volunteer never
posted to has an empty account (created on first view); an unknown volunteer is a 404."""

from __future__ import annotations

from sqlalchemy import select

from servicebank.accounts.models import Role
from servicebank.activities.models import Activity
from servicebank.kernel.db import Database
from servicebank.ledger import transactions as ledger
from tests.factories import make_org, make_person
from tests.ledger.helpers import earn


async def test_entries_newest_first_with_the_activity_each_credited(db: Database, session, client) -> None:  # noqa: ANN001
    org = await make_org(session)
    me = await make_person(session, Role.VOLUNTEER, community=org.community)
    await earn(db, session, me.volunteer, 60)
    await earn(db, session, me.volunteer, 90)
    pool = await ledger.community_account(session, org.community.id)
    account = await ledger.volunteer_account(session, me.volunteer.id)
    await ledger.post_transaction(session, source_key="test:gift", kind="adjustment", memo="补记",
                                  entries=[(pool.id, -7), (account.id, 7)])
    await session.commit()
    titles = (await session.scalars(select(Activity.title).order_by(Activity.id))).all()
    await session.commit()  # SQLite: the request needs the one connection

    response = await client.get(f"/api/volunteers/{me.volunteer.id}/account", headers=me.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["balance"], body["service_minutes"]) == (157, 150)
    lines = [(e["kind"], e["amount"], e["activity_title"], e["service_minutes"], e["memo"])
             for e in body["recent_entries"]]
    assert lines[0] == ("adjustment", 7, None, None, "补记")
    assert [line[:4] for line in lines[1:]] == [("service", 90, titles[-1], 90), ("service", 60, titles[-2], 60)]
    assert all(e["created_at"] and e["reverses_id"] is None for e in body["recent_entries"])


async def test_a_volunteer_never_posted_to_and_an_unknown_one(session, client) -> None:  # noqa: ANN001
    org = await make_org(session)
    me = await make_person(session, Role.VOLUNTEER, community=org.community)
    body = (await client.get(f"/api/volunteers/{me.volunteer.id}/account", headers=me.headers)).json()
    assert (body["balance"], body["service_minutes"], body["recent_entries"]) == (0, 0, [])
    assert body["account_id"] == (await ledger.volunteer_account(session, me.volunteer.id)).id
    admin = await make_person(session, Role.PLATFORM_ADMIN)
    missing = await client.get("/api/volunteers/987654/account", headers=admin.headers)
    assert (missing.status_code, missing.json()["code"]) == (404, "volunteer_not_found")
