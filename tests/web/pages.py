"""Helpers for the page tests over HTTP: log a person in by their session, post forms with the CSRF token."""

from __future__ import annotations

import re

import httpx

from tests.factories import Person


async def log_in(client: httpx.AsyncClient, person: Person) -> None:
    """Use the person's session (as the login form would set it) and fetch a CSRF token."""
    client.cookies.set("sb_session", person.token)
    await client.get("/leaderboard")


async def post(client: httpx.AsyncClient, url: str, data: dict | None = None, **kwargs: object) -> httpx.Response:
    """A form post with the CSRF token, as the page's own form sends it."""
    return await client.post(url, data={**(data or {}), "csrf_token": client.cookies.get("sb_csrf")}, **kwargs)


def location(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text[:3000]
    return response.headers["location"]


def text_of(html: str) -> str:
    """The page's words without tags (for "the page says ..." checks)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
