"""Cross-cutting rules of the web pages: CSRF double-submit check, login redirects, HTML error pages."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from litestar import Request, Response
from litestar.exceptions import HTTPException

from servicebank.accounts.principal import Principal
from servicebank.edge import csrf
from servicebank.edge.origin import is_same_origin
from servicebank.kernel.errors import DomainError, Forbidden, exception_handlers
from servicebank.web import friendly, i18n
from servicebank.web.home import home_for
from servicebank.web.render import finish, lang_of, render

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class LoginRequired(Exception):
    """The page needs a logged-in user: send them to the login page and back."""


def require_login(principal: Principal | None) -> Principal:
    if principal is None:
        raise LoginRequired()
    return principal


# Control characters (a tab, a newline: browsers drop them from URLs, and a newline in Location breaks the
# response) and backslashes (browsers read them as slashes).
_UNSAFE_IN_NEXT = re.compile(r"[\x00-\x1f\x7f\\]")
_KEEP_IN_NEXT = ":/?#[]@!$&'()*+,;=%~"


def safe_next(url: str | None, default: str = "/") -> str:
    """Only a path of our own site, so the login page cannot bounce people elsewhere.

    Browsers forgive a lot on the way to a Location: they drop tabs and newlines, read `\\` as `/`, and
    decode `%2F`. So `next` is judged after the same forgiveness (decoded twice): anything that could
    then start with `//` or `/\\`, carry a scheme or a host, or hold a control character, falls back to
    `default`.
    """
    if not url or not url.startswith("/"):
        return default
    forgiven = unquote(unquote(url))
    if _UNSAFE_IN_NEXT.search(url) or _UNSAFE_IN_NEXT.search(forgiven):
        return default
    if forgiven.startswith("//"):
        return default
    parts = urlsplit(forgiven)
    if parts.scheme or parts.netloc:
        return default
    return quote(url, safe=_KEEP_IN_NEXT)  # spaces and other letters encoded: a Location header is ASCII


async def check_csrf(request: Request) -> Response | None:
    """Refuse an unsafe request from another origin, or whose token (form field or header) is not the
    session's (edge/csrf.py)."""
    if request.method not in UNSAFE:
        return None
    if not is_same_origin(request, required=False):
        return error_page(request, Forbidden("Sent from another site.", code="csrf_failed"))
    sent = request.headers.get(csrf.CSRF_HEADER)
    if sent is None:
        form = await request.form()
        sent = form.get(csrf.CSRF_FIELD) if form else None
    if csrf.token_matches(request, sent):
        return None
    return error_page(request, Forbidden("CSRF token missing or wrong.", code="csrf_failed"))


def error_page(request: Request, error: DomainError) -> Response:
    """A refusal as a page in plain words."""
    gettext = i18n.translator(lang_of(request))
    principal = request.scope.get("state", {}).get("principal")
    return render(request, "error.html", principal, status_code=error.status_code,
                  title=gettext("Sorry"), message=friendly.explain(error, gettext),
                  home=home_for(principal) if principal is not None else "/")


def on_login_required(request: Request, _: LoginRequired) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = Response(b"", status_code=303, headers={"Location": f"/login?next={quote(target, safe='')}"})
    return finish(request, response)


def on_domain_error(request: Request, error: DomainError) -> Response:
    return error_page(request, error)


def on_http_error(request: Request, error: HTTPException) -> Response:
    code = {404: "not_found", 405: "not_found"}.get(error.status_code, "invalid_input")
    return error_page(request, DomainError(str(error.detail), code=code, status_code=error.status_code))


def on_unexpected(request: Request, exc: Exception) -> Response:
    """Any other failure (a bug, the database down): the API's handler decides status, code and logging,
    and the person gets a page in plain words instead of problem+json."""
    handlers = exception_handlers()
    handler = next(handlers[cls] for cls in type(exc).__mro__ if cls in handlers)
    problem = handler(request, exc)
    body = problem.content if isinstance(problem.content, dict) else {}
    page = error_page(request, DomainError(str(body.get("detail", "")), code=str(body.get("code", "internal_error")),
                                           status_code=problem.status_code))
    if problem.headers.get("Retry-After"):
        page.headers["Retry-After"] = problem.headers["Retry-After"]
    return page


def with_page_for_unknown_addresses(handlers: dict) -> dict:
    """The app's handlers, but an address no route knows, typed or followed in a browser, gets the page in plain
    words in the page's language; programs (and /api/...) keep problem+json."""
    from litestar.exceptions import NotFoundException

    api_answer = handlers[HTTPException]

    def not_found(request: Request, error: HTTPException) -> Response:
        browser = request.method in ("GET", "HEAD") and "text/html" in request.headers.get("accept", "")
        if browser and not request.url.path.startswith(("/api/", "/health", "/metrics", "/schema")):
            return on_http_error(request, error)
        return api_answer(request, error)

    return {**handlers, NotFoundException: not_found}


EXCEPTION_HANDLERS: dict[Any, Any] = {LoginRequired: on_login_required, DomainError: on_domain_error,
                      HTTPException: on_http_error, Exception: on_unexpected}
