"""Cross-cutting rules of the web pages: CSRF double-submit check, login redirects, HTML error pages."""

from __future__ import annotations

import hmac
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import HTTPException

from servicebank.accounts.principal import Principal
from servicebank.errors import DomainError, Forbidden, exception_handlers
from servicebank.web import friendly, i18n
from servicebank.web.render import CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER, finish, lang_of, render

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class LoginRequired(Exception):
    """The page needs a logged-in user: send them to the login page and back."""


def require_login(principal: Principal | None) -> Principal:
    if principal is None:
        raise LoginRequired()
    return principal


def safe_next(url: str | None, default: str = "/") -> str:
    """Only our own paths (never //host or a scheme), so the login page cannot bounce people elsewhere."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return default
    return url


async def check_csrf(request: Request) -> Response | None:
    """Refuse an unsafe request whose token (form field or header) does not match the cookie."""
    if request.method not in UNSAFE:
        return None
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        sent = form.get(CSRF_FIELD) if form else None
    if cookie and isinstance(sent, str) and hmac.compare_digest(cookie.encode(), sent.encode()):
        return None
    error = Forbidden("CSRF token missing or wrong.", code="csrf_failed")
    return error_page(request, error)


def error_page(request: Request, error: DomainError) -> Response:
    """A refusal as a page in plain words."""
    gettext = i18n.translator(lang_of(request))
    principal = request.scope.get("state", {}).get("principal")
    return render(request, "error.html", principal, status_code=error.status_code,
                  title=gettext("Sorry"), message=friendly.explain(error, gettext))


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


EXCEPTION_HANDLERS = {LoginRequired: on_login_required, DomainError: on_domain_error,
                      HTTPException: on_http_error, Exception: on_unexpected}
