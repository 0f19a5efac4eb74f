"""The volunteer's phone pages: the 接单大厅 (open requests of my community) and my tasks (start, finish)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.errors import DomainError
from servicebank.requests import dispatch, serving, views
from servicebank.web import forms, friendly, i18n
from servicebank.web.guard import require_login
from servicebank.web.pages.requests.common import PAYER, STATUS, URGENCY, window_text
from servicebank.web.render import lang_of, redirect, render

DONE = {"accepted": i18n.N_("You took the request. The address and phone are in My tasks."),
        "started": i18n.N_("Service started. Tap Finish when you are done."),
        "finished": i18n.N_("Service finished and recorded. Thank you!")}
STEPS = {"start": serving.start, "finish": serving.finish}
DONE_FOR = {"start": "started", "finish": "finished"}


class VolunteerRequestPages(Controller):
    path = "/requests"
    include_in_schema = False

    @get("/hall")
    async def hall(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                   done: str | None = None) -> Response:
        """接单大厅: most urgent and oldest first; grid and building only until someone accepts."""
        principal = require_login(optional_principal)
        return await _hall(request, db_session, principal, None, done)

    @post("/{request_id:int}/accept")
    async def accept(self, request: Request, request_id: int, db_session: AsyncSession,
                     optional_principal: Principal | None) -> Response:
        principal = require_login(optional_principal)
        try:
            await dispatch.accept(db_session, principal=principal, request_id=request_id)
        except DomainError as exc:
            await db_session.rollback()
            return await _hall(request, db_session, principal, friendly.explain(exc, i18n.translator(lang_of(request))),
                               None)
        return redirect(request, f"/requests/tasks?done=accepted#request-{request_id}")

    @get("/tasks")
    async def tasks(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                    done: str | None = None) -> Response:
        """My tasks, with the address and phone, and the one button that comes next."""
        principal = require_login(optional_principal)
        return await _tasks(request, db_session, principal, None, done)

    @post("/{request_id:int}/start")
    async def start(self, request: Request, request_id: int, db_session: AsyncSession,
                    optional_principal: Principal | None) -> Response:
        """开始服务 at the resident's door."""
        return await _step(request, db_session, require_login(optional_principal), request_id, "start")

    @post("/{request_id:int}/finish")
    async def finish(self, request: Request, request_id: int, db_session: AsyncSession,
                     optional_principal: Principal | None) -> Response:
        """服务结束: the time is recorded and posted."""
        return await _step(request, db_session, require_login(optional_principal), request_id, "finish")


async def _step(request: Request, db_session: AsyncSession, principal: Principal, request_id: int,
                step: str) -> Response:
    try:
        position = forms.position(forms.values(await request.form()))
        await STEPS[step](db_session, principal=principal, request_id=request_id, position=position)
    except DomainError as exc:
        await db_session.rollback()
        return await _tasks(request, db_session, principal, friendly.explain(exc, i18n.translator(lang_of(request))),
                            None)
    return redirect(request, f"/requests/tasks?done={DONE_FOR[step]}#request-{request_id}")


async def _hall(request: Request, db_session: AsyncSession, principal: Principal, error: str | None,
                done: str | None) -> Response:
    _ = i18n.translator(lang_of(request))
    rows = await views.hall(db_session, principal=principal)
    return render(request, "requests/hall.html", principal, status_code=409 if error else 200,
                  title=_("Request hall"), rows=rows, urgency=URGENCY, payers=PAYER, error=error,
                  windows=lambda r: window_text(request, r.windows), flash=_(DONE[done]) if done in DONE else None)


async def _tasks(request: Request, db_session: AsyncSession, principal: Principal, error: str | None,
                 done: str | None) -> Response:
    _ = i18n.translator(lang_of(request))
    rows = await views.my_tasks(db_session, principal=principal)
    return render(request, "requests/tasks.html", principal, status_code=409 if error else 200,
                  title=_("My tasks"), rows=rows, status=STATUS, urgency=URGENCY, error=error,
                  windows=lambda r: window_text(request, r.windows), flash=_(DONE[done]) if done in DONE else None)
