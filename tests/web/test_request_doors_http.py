"""The door pages over HTTP: the volunteer's phone opens the 门牌码 and starts then finishes; the 网格员 scans the
volunteer's card; the printable code; refusals in Chinese; cross-origin posts refused with nothing changed."""

from __future__ import annotations

from servicebank.checkins.tokens import issue_card_token
from servicebank.requests.models import ServiceRequest
from tests.conftest import TEST_SECRET
from tests.requests.support import Street, make_street, open_in_hall
from tests.web.pages import location, log_in, post, text_of


async def _accepted_with_code(client, street: Street) -> tuple[int, str]:  # noqa: ANN001
    request_id = await open_in_hall(client, street)
    assert (await client.post(f"/api/requests/{request_id}/accept", headers=street.helper.headers)).status_code == 200
    r = await client.get(f"/api/households/{street.household.id}/door-code", headers=street.grid_worker.headers)
    return request_id, r.json()["token"]


async def _status(db, request_id: int) -> str:  # noqa: ANN001
    async with db.session_scope() as s:
        return (await s.get(ServiceRequest, request_id)).status


async def test_the_volunteer_starts_and_finishes_from_the_door_page(client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    request_id, token = await _accepted_with_code(client, street)
    first = await client.get(f"/d/{token}")
    assert first.status_code == 303 and first.headers["location"].startswith("/login?next=")
    await log_in(client, street.helper)
    page = await client.get(f"/d/{token}")
    assert page.status_code == 200 and "开始服务" in page.text and "3号楼" in text_of(page.text)
    assert location(await post(client, f"/d/{token}")).startswith("/requests/tasks?done=started")
    assert await _status(db, request_id) == "in_service"
    page = await client.get(f"/d/{token}")
    assert "服务结束" in page.text
    assert location(await post(client, f"/d/{token}")).startswith("/requests/tasks?done=finished")
    assert await _status(db, request_id) == "awaiting_rating"
    page = await client.get(f"/d/{token}")
    assert "这位志愿者在这户人家没有已接的任务" in text_of(page.text)
    forged = await client.get(f"/d/{token[:-4]}AAAA")
    assert forged.status_code == 409 and "这不是居民家的门牌码" in text_of(forged.text)


async def test_the_grid_worker_scans_the_card_and_prints_the_door_code(client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    request_id, _ = await _accepted_with_code(client, street)
    helper = street.helper.volunteer
    card = issue_card_token(secret_key=TEST_SECRET, volunteer_id=helper.id, card_version=helper.card_version)
    await log_in(client, street.grid_worker)
    printable = await client.get(f"/manage/households/{street.household.id}/door-code")
    assert printable.status_code == 200 and "门牌码" in printable.text and "data:image/svg+xml" in printable.text
    form = await client.get("/requests/card-scan")
    assert form.status_code == 200 and "扫志愿者服务卡" in form.text
    wrong = await post(client, "/requests/card-scan", {"card": "v.1.1.forged"})
    assert wrong.status_code == 409 and await _status(db, request_id) == "accepted"
    done = location(await post(client, "/requests/card-scan", {"card": card}))
    assert "done=started" in done and await _status(db, request_id) == "in_service"
    assert "已为志愿者开始服务" in text_of((await client.get(done)).text)
    assert "done=finished" in location(await post(client, "/requests/card-scan", {"card": card,
                                                                               "household_id": ""}))
    assert await _status(db, request_id) == "awaiting_rating"


async def test_a_volunteer_gets_neither_the_print_nor_the_card_scan(client, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    await log_in(client, street.second)
    assert (await client.get(f"/manage/households/{street.household.id}/door-code")).status_code == 403
    assert (await client.get("/requests/card-scan")).status_code == 403


async def test_door_and_card_posts_from_another_site_are_refused(client, db, session) -> None:  # noqa: ANN001
    street = await make_street(session)
    request_id, token = await _accepted_with_code(client, street)
    helper = street.helper.volunteer
    card = issue_card_token(secret_key=TEST_SECRET, volunteer_id=helper.id, card_version=helper.card_version)
    await log_in(client, street.helper)
    evil = {"origin": "http://evil.example"}
    r = await client.post(f"/d/{token}", data={"csrf_token": client.cookies.get("sb_csrf")}, headers=evil)
    assert r.status_code == 403 and await _status(db, request_id) == "accepted"
    r = await client.post(f"/d/{token}", data={})  # our origin, no token
    assert r.status_code == 403 and await _status(db, request_id) == "accepted"
    await log_in(client, street.grid_worker)
    r = await client.post("/requests/card-scan", data={"card": card, "csrf_token": client.cookies.get("sb_csrf")},
                          headers=evil)
    assert r.status_code == 403 and await _status(db, request_id) == "accepted"
