"""发通知: an organiser (or a team's leader) sends a templated notice to a team or to an activity's volunteers;
the same service as POST /api/notices (notifications/notices.py)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities import service as activities
from servicebank.kernel.errors import DomainError
from servicebank.notifications import notices
from servicebank.volunteers import teams
from servicebank.web import forms, friendly, i18n
from servicebank.web.guard import require_login
from servicebank.web.render import lang_of, redirect, render

VALUE_LABELS = {"time": i18n.N_("Time"), "place": i18n.N_("Place"), "items": i18n.N_("What to bring")}


def _id(raw: object) -> int | None:
    text = str(raw or "").strip()
    return int(text) if text.isdigit() else None


async def _page(request: Request, db_session: AsyncSession, principal: Principal, *, team_id: int | None,
                activity_id: int | None, error: DomainError | None = None, form: dict | None = None) -> Response:
    _ = i18n.translator(lang_of(request))
    if team_id is not None:
        team = await teams.team_for(db_session, actor=principal, team_id=team_id, lead=True)
        target, back = _("Team: %(name)s", name=team.name), f"/manage/teams/{team.id}"
    else:
        activity = await activities.get_for_staff(db_session, principal=principal, activity_id=activity_id or 0)
        target, back = _("Activity: %(name)s", name=activity.title), f"/manage/activities/{activity.id}"
    done = request.query_params.get("done") == "sent"
    return render(request, "notifications/send_notice.html", principal, status_code=error.status_code if error else 200,
                  title=_("Send a notice"), target=target, back=back, team_id=team_id, activity_id=activity_id,
                  templates=notices.TEMPLATES, labels=VALUE_LABELS, form=form or {},
                  error=friendly.explain(error, _) if error else None, done=done,
                  recipients=request.query_params.get("n", ""))


class NoticeSendPages(Controller):
    path = "/manage/notices"
    include_in_schema = False

    @get("/")
    async def form(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None) -> Response:
        """The templates, each with its blanks and a send button, for one team or one activity."""
        principal = require_login(optional_principal)
        team_id, activity_id = _id(request.query_params.get("team")), _id(request.query_params.get("activity"))
        return await _page(request, db_session, principal, team_id=team_id,
                           activity_id=activity_id if team_id is None else None)

    @post("/")
    async def send(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None) -> Response:
        """Send it; back on the form with how many people it goes to."""
        principal = require_login(optional_principal)
        form = forms.values(await request.form())
        team_id, activity_id = _id(form.get("team_id")), _id(form.get("activity_id"))
        template = forms.text(form, "template")
        try:
            notice = await notices.send_notice(
                db_session, actor=principal, timezone=request.app.state.settings.timezone, template=template,
                values={name: forms.text(form, f"{template}.{name}") for name in ("time", "place", "items")},
                team_id=team_id, activity_id=activity_id)
            count = len(await notices.recipients_of(db_session, notice))
        except DomainError as exc:
            await db_session.rollback()
            return await _page(request, db_session, principal, team_id=team_id, activity_id=activity_id,
                               error=exc, form=form)
        target = f"team={team_id}" if team_id is not None else f"activity={activity_id}"
        return redirect(request, f"/manage/notices?{target}&done=sent&n={count}")
