"""My own login: change the password (the first one an administrator or organiser handed out, or a forgotten
one they reset). The same service as POST /api/auth/password: every other session of mine ends."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.dependencies import token_from_request
from servicebank.accounts.principal import Principal
from servicebank.accounts.service import change_password
from servicebank.kernel.errors import DomainError, InvalidInput
from servicebank.web import forms, friendly, i18n
from servicebank.web.guard import require_login
from servicebank.web.home import home_for
from servicebank.web.i18n import N_
from servicebank.web.render import lang_of, render


class AccountPages(Controller):
    path = "/account"
    include_in_schema = False

    @get("/password")
    async def password_form(self, request: Request, optional_principal: Principal | None) -> Response:
        """The form: the current password and the new one twice."""
        principal = require_login(optional_principal)
        return _page(request, principal, None, done=False)

    @post("/password")
    async def change(self, request: Request, db_session: AsyncSession,
                     optional_principal: Principal | None) -> Response:
        principal = require_login(optional_principal)
        form = forms.values(await request.form())
        new = forms.text(form, "new_password")
        try:
            if new != forms.text(form, "repeat_password"):
                raise InvalidInput(N_("The two new passwords are not the same. Please type them again."),
                                   code="password_mismatch")
            await change_password(db_session, actor=principal, current_password=str(form.get("current_password", "")),
                                  new_password=new, keep_token=token_from_request(request))
        except DomainError as exc:
            return _page(request, principal, await friendly.refused(request, db_session, exc), done=False)
        return _page(request, principal, None, done=True)


def _page(request: Request, principal: Principal, error: str | None, *, done: bool) -> Response:
    _ = i18n.translator(lang_of(request))
    return render(request, "accounts/password.html", principal, status_code=422 if error else 200,
                  title=_("Change my password"), error=error, home=home_for(principal),
                  flash=_("Your password is changed. Your other sessions have ended.") if done else None)
