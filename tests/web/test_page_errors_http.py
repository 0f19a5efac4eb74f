"""A failure on a page is a page in plain words, never problem+json (the API keeps its JSON)."""

from __future__ import annotations

import pytest

from servicebank.accounts.models import Role
from servicebank.web.pages.activities import manage as dashboard_page
from tests.factories import make_org, make_person
from tests.web.pages import log_in, text_of

pytestmark = [pytest.mark.sqlite_only]


async def test_an_unexpected_error_on_a_page_is_a_chinese_page(client, session, monkeypatch) -> None:  # noqa: ANN001
    org = await make_org(session)
    organiser = await make_person(session, Role.ORGANISER, community=org.community)
    await log_in(client, organiser)

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug in the dashboard figures")  # stands in for any bug we have not found yet

    monkeypatch.setattr(dashboard_page, "dashboard_figures", broken)
    response = await client.get(f"/manage?community={org.community.id}")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    words = text_of(response.text)
    assert "系统出了点问题" in words
    assert "internal_error" not in words and "RuntimeError" not in words and "a bug in" not in words
