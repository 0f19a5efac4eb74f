"""Login, logout, language and text-size preferences, and the landing page."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.dependencies import token_from_request
from servicebank.accounts.principal import Principal
from servicebank.accounts.service import authenticate
from servicebank.accounts.sessions import (
    expired_session_cookie,
    load_principal,
    revoke_session,
    session_cookie,
)
from servicebank.clientip import client_ip
from servicebank.kernel.errors import TooManyRequests, Unauthenticated
from servicebank.org import service as org
from servicebank.web import friendly, i18n
from servicebank.web.guard import safe_next
from servicebank.web.home import home_for
from servicebank.web.render import BIG_TEXT_COOKIE, lang_of, redirect, render, rotate_csrf

YEAR = 365 * 24 * 3600


class AccountPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/")
    async def landing(self, request: Request, db_session: AsyncSession,
                      optional_principal: Principal | None) -> Response:
        """Send people where they belong by role; visitors see the public start page."""
        if optional_principal is not None:
            return redirect(request, home_for(optional_principal))
        _ = i18n.translator(lang_of(request))
        communities = await org.all_communities(db_session)
        return render(request, "accounts/landing.html", None, title=_("Welcome"), communities=communities)

    @get("/login")
    async def login_form(self, request: Request, optional_principal: Principal | None,
                         next_: Annotated[str | None, QueryParameter(name="next")] = None) -> Response:
        """The login form; `next` is where to go afterwards."""
        _ = i18n.translator(lang_of(request))
        if optional_principal is not None:
            return redirect(request, safe_next(next_, home_for(optional_principal)))
        return render(request, "accounts/login.html", None, title=_("Log in"), next=safe_next(next_, ""), login="",
                      error=None)

    @post("/login")
    async def login(self, request: Request, db_session: AsyncSession) -> Response:
        """Check the password, set the session cookie, go back where the person came from."""
        _ = i18n.translator(lang_of(request))
        form = await request.form()
        login, password = str(form.get("login", "")).strip(), str(form.get("password", ""))
        next_url = safe_next(str(form.get("next", "")), "")
        try:
            user, token = await authenticate(db_session, login=login, password=password,
                                             client_ip=client_ip(request))
        except (Unauthenticated, TooManyRequests) as exc:
            await db_session.commit()  # the failed attempt must count towards the rate limit
            response = render(request, "accounts/login.html", None, status_code=exc.status_code, title=_("Log in"),
                              next=next_url, login=login, error=friendly.explain(exc, _))
            if "retry_after" in exc.extra:
                response.headers["Retry-After"] = str(exc.extra["retry_after"])
            return response
        principal = await load_principal(db_session, user)
        cookie = session_cookie(token, secure=request.app.state.settings.secure_cookies)
        rotate_csrf(request, token)
        return redirect(request, next_url or home_for(principal), cookies=[cookie])

    @post("/logout")
    async def logout(self, request: Request, db_session: AsyncSession) -> Response:
        """End the session and forget the cookie."""
        token = token_from_request(request)
        if token:
            await revoke_session(db_session, token=token)
        return redirect(request, "/", cookies=[expired_session_cookie(
            secure=request.app.state.settings.secure_cookies)])

    @post("/prefs")
    async def prefs(self, request: Request) -> Response:
        """Switch the language or the large-text mode (remembered in cookies for a year)."""
        form = await request.form()
        cookies = []
        secure = request.app.state.settings.secure_cookies
        if form.get("lang") in i18n.LANGS:
            cookies.append(Cookie(key=i18n.LANG_COOKIE, value=str(form["lang"]), max_age=YEAR, path="/",
                                  samesite="lax", secure=secure))
        if form.get("big") in {"0", "1"}:
            cookies.append(Cookie(key=BIG_TEXT_COOKIE, value=str(form["big"]), max_age=YEAR, path="/",
                                  samesite="lax", secure=secure))
        return redirect(request, safe_next(str(form.get("next", "")), "/"), cookies=cookies)
