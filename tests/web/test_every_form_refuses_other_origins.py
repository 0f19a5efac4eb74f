"""Every form of every page refuses a post sent from another site, including forms added later.

The pages' router runs `web/guard.check_csrf` before any handler, but Litestar lets the closest layer's
`before_request` replace it: a controller or handler that sets its own would lose the check without a sound.
So each unsafe page route is posted to, logged in, with the right CSRF token but another site's Origin, and
must answer 403 `csrf_failed` before its handler runs (and nothing is written)."""

from __future__ import annotations

import re

import pytest

from servicebank.accounts.models import Role
from tests.factories import PASSWORD, make_org, make_person

pytestmark = [pytest.mark.sqlite_only]

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
PARAMETER = re.compile(r"\{(\w+):(\w+)\}")
SAMPLE = {"int": "1", "str": "x", "path": "x", "uuid": "00000000-0000-0000-0000-000000000001"}


def page_forms(app) -> list[tuple[str, str]]:  # noqa: ANN001
    """(method, path with sample parameters) of every unsafe route outside the API, static files and /health."""
    found = set()
    for route in app.routes:
        if route.path.startswith(("/api/", "/static", "/schema")):
            continue
        for handler in getattr(route, "route_handlers", ()):
            for method in set(getattr(handler, "http_methods", ())) & UNSAFE:
                found.add((method, PARAMETER.sub(lambda m: SAMPLE.get(m.group(2), "x"), route.path)))
    return sorted(found)


async def test_there_are_forms_to_check(app) -> None:  # noqa: ANN001
    forms = page_forms(app)
    assert len(forms) > 70, len(forms)  # the sweep below would pass vacuously if the routes were not found
    assert ("POST", "/login") in forms


async def test_every_form_refuses_a_post_from_another_site(app, client, session) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    await client.get("/login")
    token = client.cookies.get("sb_csrf")
    logged_in = await client.post("/login", data={"login": organiser.user.username, "password": PASSWORD,
                                                  "csrf_token": token})
    assert logged_in.status_code == 303
    token = client.cookies.get("sb_csrf")
    let_through = []
    for method, path in page_forms(app):
        response = await client.request(method, path, data={"csrf_token": token},
                                        headers={"Origin": "https://evil.example", "X-CSRF-Token": token})
        # The CSRF refusal's own words (lang zh-CN), not some other 403 of the handler's.
        if response.status_code != 403 or "页面已过期" not in response.text:
            let_through.append((method, path, response.status_code))
    assert let_through == []
    # And the same posts from our own origin get past the check (so the 403s above were the Origin's doing).
    ours = await client.post("/logout", data={"csrf_token": token}, headers={"Origin": "http://testserver"})
    assert ours.status_code in (200, 303)
