"""Codes by text: ask for one (login, sign-up), and log in with one."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, post
from litestar.datastructures import State
from litestar.openapi.spec import Example
from litestar.params import Body
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts import code_login
from servicebank.accounts.one_time_codes import VALID_MINUTES, WrongCode
from servicebank.accounts.schemas import CodeLoginRequest, CodeRequest, CodeSentOut, LoginOut
from servicebank.accounts.sessions import load_principal, session_cookie
from servicebank.clientip import client_ip


class CodeController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post("/codes", exclude_from_auth=True, status_code=202)
    async def ask(self, request: Request, state: State, db_session: AsyncSession,
                  data: Annotated[CodeRequest, Body(examples=[Example(summary="log in", value={
                      "phone": "13800000000", "purpose": "login"})])]) -> CodeSentOut:
        """Text a 6-digit code to a phone: `login` (only an account's phone gets it) or `register` (any mobile).
        The answer is the same whether or not the phone is known. The code lasts 5 minutes and is used once.
        Errors: 422 `otp_needs_mobile` / `otp_purpose_unknown`; 429 `otp_rate_limited` (one a minute and five an
        hour per phone, twenty an hour per address), with Retry-After."""
        await code_login.ask_for_code(db_session, settings=state.settings, purpose=data.purpose, phone=data.phone,
                                      client_address=client_ip(request))
        return CodeSentOut(sent=True, expires_in_seconds=VALID_MINUTES * 60)

    @post("/code-login", exclude_from_auth=True, status_code=200)
    async def log_in(self, state: State, db_session: AsyncSession,
                     data: Annotated[CodeLoginRequest, Body(examples=[Example(summary="log in", value={
                         "phone": "13800000000", "code": "204816"})])]) -> Response[Any]:
        """Log in with the phone and the code texted to it: a bearer token and the `sb_session` cookie, as
        /api/auth/login. Errors: 400 `otp_wrong` (with `attempts_left`) / `otp_expired` / `otp_used`, 429
        `otp_too_many_attempts` after 5 wrong codes (ask for a new one), 401 `invalid_credentials`."""
        try:
            user, token = await code_login.log_in_with_code(db_session, settings=state.settings, phone=data.phone,
                                                            code=data.code)
        except WrongCode:
            await db_session.commit()  # the wrong try must outlive the error, or the limit never trips
            raise
        from servicebank.accounts.routes import me_out

        out = LoginOut(token=token, token_type="bearer", me=me_out(await load_principal(db_session, user)))
        return Response(out, cookies=[session_cookie(token, secure=state.settings.secure_cookies)])


ROUTES = [CodeController]
