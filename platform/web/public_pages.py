"""Public HTML pages answered from the one-second cache of public reads (edge/public_reads.py): a community's page.

A phone's anonymous visit to a community page is the same page for everyone asking in the same second, except
for the visitor's own CSRF token (the language and text-size forms in the header carry it). So the page is kept
with that token replaced by a slot, per address, language and text size; a repeat within the second gets the
kept page with its own token written in, and the usual headers and cookie (render.finish), before the database
session or any login is resolved. A visitor who is logged in (or sends any session cookie) always gets a fresh
page: it shows their name and menu.
"""

from __future__ import annotations

from litestar import Request, Response
from litestar.enums import MediaType

from servicebank.edge import public_reads
from servicebank.web.render import BIG_TEXT_COOKIE, csrf_token, finish, lang_of

# Never produced by a template (autoescaped text cannot hold a NUL), so it marks only the token's places.
CSRF_SLOT = "\x00csrf\x00"


def _key(request: Request) -> str | None:
    address = public_reads.address(request)
    if address is None:
        return None
    return f"page:{address}|{lang_of(request)}|{request.cookies.get(BIG_TEXT_COOKIE) == '1'}"


async def serve_cached_page(request: Request) -> Response | None:
    """Litestar before_request hook: the kept page with this visitor's CSRF token, or None (render it)."""
    page = public_reads.kept(request, _key(request))
    if page is None:
        return None
    return finish(request, Response(page.replace(CSRF_SLOT, csrf_token(request)), media_type=MediaType.HTML))


def keep_page(request: Request, response: Response) -> Response:
    """Keep a rendered public page (a 200 only) for anonymous repeats of its address; returns it unchanged."""
    token = request.scope.get("state", {}).get("csrf_token")
    if response.status_code == 200 and token and isinstance(response.content, str):
        public_reads.store(request, _key(request), response.content.replace(token, CSRF_SLOT))
    return response
