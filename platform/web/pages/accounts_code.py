"""Logging in with a code texted to the phone (no password), for people who cannot keep one: two plain forms,
first the phone, then the code; the same services as POST /api/auth/codes and /api/auth/code-login."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts import code_login
from servicebank.accounts.one_time_codes import VALID_MINUTES, WrongCode
from servicebank.accounts.principal import Principal
from servicebank.accounts.sessions import load_principal, session_cookie
from servicebank.clientip import client_ip
from servicebank.kernel.errors import DomainError
from servicebank.web import friendly, i18n
from servicebank.web.guard import safe_next
from servicebank.web.home import home_for
from servicebank.web.render import lang_of, redirect, render, rotate_csrf


def _page(request: Request, *, phone: str, sent: bool, error: DomainError | None, next_url: str) -> Response:
    _ = i18n.translator(lang_of(request))
    return render(request, "accounts/code_login.html", None, status_code=error.status_code if error else 200,
                  title=_("Log in with a text message code"), phone=phone, sent=sent, minutes=VALID_MINUTES,
                  next=next_url, error=friendly.explain(error, _) if error else None)


class CodeLoginPages(Controller):
    path = "/login/code"
    include_in_schema = False

    @get("/")
    async def form(self, request: Request, optional_principal: Principal | None) -> Response:
        """Step one: the phone number."""
        if optional_principal is not None:
            return redirect(request, home_for(optional_principal))
        return _page(request, phone="", sent=False, error=None, next_url=safe_next(request.query_params.get("next"), ""))

    @post("/send")
    async def send(self, request: Request, db_session: AsyncSession) -> Response:
        """Text the code (the page says the same whether or not the phone has an account)."""
        form = await request.form()
        phone, next_url = str(form.get("phone", "")).strip(), safe_next(str(form.get("next", "")), "")
        try:
            await code_login.ask_for_code(db_session, settings=request.app.state.settings, purpose=code_login.LOGIN,
                                          phone=phone, client_address=client_ip(request))
        except DomainError as exc:
            await db_session.rollback()
            return _page(request, phone=phone, sent=False, error=exc, next_url=next_url)
        return _page(request, phone=phone, sent=True, error=None, next_url=next_url)

    @post("/")
    async def log_in(self, request: Request, db_session: AsyncSession) -> Response:
        """Step two: the code; a session like a password login."""
        form = await request.form()
        phone, code = str(form.get("phone", "")).strip(), str(form.get("code", "")).strip()
        next_url = safe_next(str(form.get("next", "")), "")
        try:
            user, token = await code_login.log_in_with_code(db_session, settings=request.app.state.settings,
                                                            phone=phone, code=code)
        except DomainError as exc:
            await (db_session.commit() if isinstance(exc, WrongCode) else db_session.rollback())
            return _page(request, phone=phone, sent=True, error=exc, next_url=next_url)
        principal = await load_principal(db_session, user)
        rotate_csrf(request, token)
        return redirect(request, next_url or home_for(principal),
                        cookies=[session_cookie(token, secure=request.app.state.settings.secure_cookies)])
