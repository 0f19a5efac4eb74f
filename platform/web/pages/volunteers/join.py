"""Register as a volunteer of a community (the public page's "how to join"): the same self-registration as
`POST /api/volunteers/register`, with the same limit per address and the same answer whatever became of it."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts import code_login
from servicebank.accounts.one_time_codes import WrongCode
from servicebank.accounts.principal import Principal
from servicebank.clientip import client_ip
from servicebank.kernel.errors import DomainError
from servicebank.org import service as org
from servicebank.ratelimit import limiter_for
from servicebank.volunteers import registration
from servicebank.volunteers.identity import vault
from servicebank.volunteers.routes import REGISTRATIONS_PER_HOUR
from servicebank.volunteers.schemas import SelfRegistration
from servicebank.web import forms, friendly, i18n
from servicebank.web.render import lang_of, render

# The wait in words a person can act on (the limiter's message counts seconds, in English).
_OWN_ERRORS = {"rate_limited": i18n.N_("Too many tries in a short time. Please wait an hour and try again.")}


class JoinPages(Controller):
    path = "/public/communities/{community_id:int}/join"
    include_in_schema = False

    @get("/")
    async def form(self, request: Request, community_id: int, db_session: AsyncSession,
                   optional_principal: Principal | None) -> Response:
        """The registration form: name, phone, password."""
        return await _page(request, db_session, optional_principal, community_id, form={}, error=None, done=False)

    @post("/")
    async def register(self, request: Request, community_id: int, db_session: AsyncSession,
                       optional_principal: Principal | None) -> Response:
        """Take the registration; the answer is the same whether or not the phone was known."""
        form = forms.values(await request.form())
        settings = request.app.state.settings
        if form.get("action") == "send_code":
            return await _send_code(request, db_session, optional_principal, community_id, form)
        try:
            await limiter_for(settings).hit(f"register:{client_ip(request) or 'unknown'}",
                                            limit=REGISTRATIONS_PER_HOUR, window_seconds=3600, what="sign-ups")
            await registration.register_self(db_session, settings=settings, vault=vault(settings), data=SelfRegistration(
                community_id=community_id, real_name=forms.text(form, "real_name"), phone=forms.text(form, "phone"),
                password=str(form.get("password") or ""), sms_code=forms.text(form, "sms_code") or None))
        except DomainError as exc:
            # A wrong code's try is the only write by then, and must count; anything else leaves nothing behind.
            await (db_session.commit() if isinstance(exc, WrongCode) else db_session.rollback())
            return await _page(request, db_session, optional_principal, community_id, form=form, error=exc,
                               done=False)
        return await _page(request, db_session, optional_principal, community_id, form={}, error=None, done=True)


async def _send_code(request: Request, db_session: AsyncSession, principal: Principal | None, community_id: int,
                     form: dict) -> Response:
    """The "获取验证码" button: text a sign-up code to the phone typed so far, and show the form again."""
    try:
        await code_login.ask_for_code(db_session, settings=request.app.state.settings, purpose=code_login.REGISTER,
                                      phone=forms.text(form, "phone"), client_address=client_ip(request))
    except DomainError as exc:
        await db_session.rollback()
        return await _page(request, db_session, principal, community_id, form=form, error=exc, done=False)
    return await _page(request, db_session, principal, community_id, form=form, error=None, done=False,
                       code_sent=True)


async def _page(request: Request, db_session: AsyncSession, principal: Principal | None, community_id: int, *,
                form: dict, error: DomainError | None, done: bool, code_sent: bool = False) -> Response:
    _ = i18n.translator(lang_of(request))
    community = await org.get_community(db_session, community_id)
    return render(request, "volunteers/join.html", principal, status_code=error.status_code if error else 200,
                  title=_("Register as a volunteer"), community=community, form=form, done=done,
                  error=_explain(error, _), submitted=_(registration.SUBMITTED),
                  code_required=registration.code_required(request.app.state.settings), code_sent=code_sent)


def _explain(error: DomainError | None, _) -> str | None:  # noqa: ANN001
    if error is None:
        return None
    own = _OWN_ERRORS.get(error.code)
    return _(own) if own else friendly.explain(error, _)
