"""Rendering pages: one Jinja environment, the page context (who, language, text size, CSRF), headers."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, pass_context, select_autoescape
from litestar import Request, Response
from litestar.datastructures import Cookie

from servicebank.accounts.principal import Principal
from servicebank.edge import csrf
from servicebank.edge.csrf import CSRF_COOKIE
from servicebank.web import i18n
from servicebank.web.pretranslate import PreTranslated

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
BIG_TEXT_COOKIE = "sb_big"

SECURITY_HEADERS = {
    # Everything comes from us: no inline script or style, no third party, never framed.
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    # The camera for our own pages only (the QR scanner of 代签 and the till, static/scan.js), the position for
    # the geofence; never the microphone.
    "Permissions-Policy": "camera=(self), geolocation=(self), microphone=()",
}

# What every page carries unless it says otherwise: the security headers, and no caching of personal pages.
PAGE_HEADERS = {**SECURITY_HEADERS, "Cache-Control": "no-store"}


def hours(minutes: int | None) -> str:
    """Minutes as hours with one decimal, the way volunteers count ("2.5")."""
    value = (minutes or 0) / 60
    return f"{value:.1f}".rstrip("0").rstrip(".") if value else "0"


@pass_context
def _when(page: Any, value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """`{{ x | when }}`, `{{ x | when("%H:%M") }}`: a UTC time in the platform's timezone (the page's `zone`).

    A filter, not a function of the page: Jinja calls a filter directly, and a function through its context's
    call machinery, which cost more than the formatting on the scan page's answer."""
    return in_zone(value, page["zone"], fmt)


class _PageEnvironment(Environment):
    """Loaded templates kept in a plain dict. Jinja's own cache moves a template to the front of a queue on every
    lookup, at a cost that grows with the templates loaded: about 10 µs for each of a page's template and the
    layout it extends, a tenth of the scan page's answer. The templates never change while the process runs
    (auto_reload off), so nothing needs evicting either."""

    def _load_template(self, name: str, globals: Any) -> Template:  # noqa: A002  # Jinja's own signature
        if globals:
            return super()._load_template(name, globals)
        loaded: dict[str, Template] = self.__dict__.setdefault("_loaded", {})
        template = loaded.get(name)
        if template is None:
            template = loaded[name] = super()._load_template(name, None)
        return template


def _environment(lang: str) -> Environment:
    # auto_reload off: the templates ship with the code and change only with a restart, and checking every
    # template's file time on each render cost a few per cent of a page (the scan page's POST, bench/checkin.md).
    made = _PageEnvironment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(["html", "svg"]),
                            undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, enable_async=False,
                            auto_reload=False, extensions=[PreTranslated])
    made.catalogue = i18n.catalogue(lang)  # type: ignore[attr-defined]  # what PreTranslated puts in
    made.filters["hours"] = hours
    made.filters["when"] = _when
    return made


# One environment per language: each compiles the templates with their literal messages already translated
# (web/pretranslate.py).
ENVIRONMENTS = {lang: _environment(lang) for lang in i18n.LANGS}


def lang_of(request: Request) -> str:
    return i18n.pick_lang(request.cookies.get(i18n.LANG_COOKIE))


def csrf_token(request: Request) -> str:
    """This visitor's CSRF token (tied to the login session; edge/csrf.py). The `sb_csrf` cookie carries it
    too: before login it is the token, after login a copy that the response refreshes when it differs."""
    state = request.scope.setdefault("state", {})
    token = state.get("csrf_token") or csrf.current_token(request)
    if request.cookies.get(CSRF_COOKIE) != token:
        state["csrf_new"] = True
    state["csrf_token"] = token
    return token


def rotate_csrf(request: Request, session_token: str) -> None:
    """A new login: the response carries the new session's token (the old one stops working)."""
    state = request.scope.setdefault("state", {})
    state["csrf_token"] = csrf.token_for_session(request.app.state.settings.secret_key, session_token)
    state["csrf_new"] = True


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def in_zone(value: dt.datetime | None, zone: dt.tzinfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC time shown in `zone` (a time without a zone is UTC, as the database keeps it)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return _formatted(value, zone, fmt)


@lru_cache(maxsize=4096)
def _formatted(value: dt.datetime, zone: dt.tzinfo, fmt: str) -> str:
    # strftime is the dearest step of a page's times (3 µs); pages show the same few times again and again
    # (an activity's start and end on every volunteer's answer, a list's dates on every refresh).
    return value.astimezone(zone).strftime(fmt)


def zone_of(request: Request) -> ZoneInfo:
    """The platform's timezone, in which pages show times."""
    return _zone(request.app.state.settings.timezone)


def local_time(request: Request, value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC time shown in the platform's timezone."""
    return in_zone(value, zone_of(request), fmt)


def context(request: Request, principal: Principal | None, **values: Any) -> dict[str, Any]:
    """What every template may use."""
    lang = lang_of(request)
    # The path and query straight from the ASGI scope, as request.url has them, without building the whole URL.
    path = request.scope.get("root_path", "") + request.scope["path"]
    query = request.scope.get("query_string", b"").decode()
    # The zone looked up once per page, not at each of the times it shows.
    zone = zone_of(request)
    return {
        "request": request,
        "me": principal,
        "lang": lang,
        "_": i18n.translator(lang),
        "big_text": request.cookies.get(BIG_TEXT_COOKIE) == "1",
        "csrf_token": csrf_token(request),
        "path": path,
        "here": quote(f"{path}?{query}" if query else path, safe="/?=&"),
        "zone": zone,
        "roles": principal.roles if principal else frozenset(),
        **values,
    }


def finish(request: Request, response: Response, *, headers: dict[str, str] = PAGE_HEADERS) -> Response:
    """Security headers, no caching of personal pages, and the CSRF cookie when it is new."""
    for name, value in headers.items():
        response.headers.setdefault(name, value)
    state = request.scope.get("state", {})
    if state.get("csrf_new"):
        response.set_cookie(Cookie(key=CSRF_COOKIE, value=state["csrf_token"], httponly=True, samesite="lax",
                                   secure=request.app.state.settings.secure_cookies, path="/"))
        state["csrf_new"] = False
    return response


def render(request: Request, template: str, principal: Principal | None = None, *, status_code: int = 200,
           **values: Any) -> Response:
    """The page `template` as an HTML response."""
    page = context(request, principal, **values)
    html = ENVIRONMENTS[page["lang"]].get_template(template).render(page)
    # The headers given whole: finish() then only checks that each is there.
    return finish(request, Response(html, media_type="text/html", status_code=status_code, headers=PAGE_HEADERS))


def redirect(request: Request, url: str, *, cookies: list[Cookie] | None = None) -> Response:
    """303 See Other (after a form post, the browser GETs the next page)."""
    response = Response(b"", status_code=303, headers={"Location": url}, cookies=cookies or [])
    return finish(request, response)
