"""Organiser pages for the monthly honour lists: generate drafts, review them, publish (the notice starts), and
answer the residents' objections raised during the notice period."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.honours import service as honours
from servicebank.honours.access import require_community_manager
from servicebank.honours.models import HonourEntry, HonourList, ObjectionStatus, Section
from servicebank.honours.views import entry_out
from servicebank.kernel.errors import DomainError
from servicebank.org import service as org
from servicebank.web import forms, friendly, i18n
from servicebank.web.guard import require_login
from servicebank.web.render import lang_of, local_time, redirect, render

# Each section of a list is its own ranking, numbered from 1 (equal figures share a rank: 并列同名次).
SECTION_TITLES = {Section.TOP_VOLUNTEERS: i18n.N_("Top volunteers"), Section.NEW_STARS: i18n.N_("New stars"),
                  Section.TOP_TEAMS: i18n.N_("Top teams")}


def sections(rows: list[HonourEntry]) -> list[tuple[str, list]]:
    """The entries grouped by section, in the model's section order, empty sections left out."""
    grouped: dict[str, list] = {s: [] for s in Section.ALL}
    for entry in rows:
        grouped.setdefault(entry.section, []).append(entry_out(entry))
    return [(section, items) for section, items in grouped.items() if items]


def last_month(request: Request) -> str:
    """The most recent month that has ended (local time): the one whose list can be made now."""
    today = dt.datetime.now(ZoneInfo(request.app.state.settings.timezone)).date()
    return (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")


def _flash(request: Request, _, rows: list[HonourList], *, published: int | None,  # noqa: ANN001
           corrected: int | None) -> str | None:
    changed = next((x for x in rows if x.id in (published, corrected)), None)
    if changed is None or changed.notice_ends_at is None:
        return None
    until = local_time(request, changed.notice_ends_at, "%Y-%m-%d")
    if changed.id == corrected:
        return _("Corrected and published again (version %(version)s); in the notice period until %(date)s.",
                 version=changed.version, date=until)
    return _("Published; in the notice period until %(date)s.", date=until)


async def _change(request: Request, db_session: AsyncSession, list_id: int, done: str, action) -> Response:  # noqa: ANN001
    """Run a publish or correction and come back to the lists, with a flash or the refusal in words."""
    try:
        honour_list = await action
    except DomainError as exc:
        if exc.code == "honour_list_not_found":
            raise
        await db_session.rollback()
        community_id = (await honours.get_list(db_session, list_id=list_id)).scope_id
        return redirect(request, f"/manage/honours?community={community_id}&error={exc.code}")
    return redirect(request, f"/manage/honours?community={honour_list.scope_id}&{done}={list_id}")


class HonourPages(Controller):
    path = "/manage/honours"
    include_in_schema = False

    @get("/")
    async def lists(self, request: Request, read_session: AsyncSession, optional_principal: Principal | None,
                    community: int | None = None, error: str | None = None, published: int | None = None,
                    corrected: int | None = None) -> Response:
        """The community's lists: each with its state, version, open objections and what may be done now; drafts
        with their entries, section by section, for review."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        chosen, choices = await org.pick_workplace(read_session, actor=principal, community_id=community)
        require_community_manager(principal, chosen.id)
        rows = await honours.lists_for_scope(read_session, principal=principal, scope_kind="community",
                                             scope_id=chosen.id, limit=24)
        drafts = {x.id: sections(await honours.entries(read_session, list_id=x.id)) for x in rows if x.status == "draft"}
        open_counts = await honours.open_objection_counts(read_session, list_ids=[x.id for x in rows])
        upheld = await honours.upheld_versions(read_session, [x.id for x in rows])
        problem = friendly.MESSAGES.get(error or "")
        return render(request, "honours/manage_honours.html", principal, title=_("Honour lists"), community=chosen,
                      choices=choices, rows=rows, drafts=drafts, month=last_month(request), open_counts=open_counts,
                      state=honours.public_state, correctable=lambda x: honours.correctable(x, upheld.get(x.id, set())),
                      section_titles=SECTION_TITLES, error=_(problem) if problem else None,
                      flash=_flash(request, _, rows, published=published, corrected=corrected),
                      announced=next((x for x in rows if x.id in (published, corrected)), None))

    @post("/generate")
    async def generate(self, request: Request, db_session: AsyncSession,
                       optional_principal: Principal | None) -> Response:
        """(Re)build a finished month's draft list for the community from the ledger."""
        principal = require_login(optional_principal)
        form = await request.form()
        community_id = int(form.get("community_id") or 0)
        back = f"/manage/honours?community={community_id}"
        try:
            await honours.generate_for_scope(db_session, principal=principal, month=str(form.get("month", "")),
                                             timezone=request.app.state.settings.timezone, community_id=community_id)
        except DomainError as exc:
            await db_session.rollback()
            return redirect(request, f"{back}&error={exc.code}")
        return redirect(request, back)

    @post("/{list_id:int}/publish")
    async def publish(self, request: Request, list_id: int, db_session: AsyncSession,
                      optional_principal: Principal | None) -> Response:
        """Publish a reviewed draft: the public notice period starts; the organiser stays on this page."""
        principal = require_login(optional_principal)
        return await _change(request, db_session, list_id, "published",
                             honours.publish(db_session, principal=principal, list_id=list_id))

    @post("/{list_id:int}/correct")
    async def correct(self, request: Request, list_id: int, db_session: AsyncSession,
                      optional_principal: Principal | None) -> Response:
        """更正并重新公示: rebuild a published list from the ledger as it is now and start the notice again."""
        principal = require_login(optional_principal)
        form = forms.values(await request.form())
        return await _change(request, db_session, list_id, "corrected",
                             honours.correct(db_session, principal=principal, list_id=list_id,
                                             reason=forms.text(form, "reason")))

    @get("/{list_id:int}/objections")
    async def objections(self, request: Request, list_id: int, db_session: AsyncSession,
                         optional_principal: Principal | None, error: str | None = None) -> Response:
        """The residents' objections to a published list, open ones first, each with its resolution form."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        honour_list = await honours.get_list(db_session, list_id=list_id, principal=principal)
        rows = await honours.objections(db_session, principal=principal, list_id=list_id)
        rows.sort(key=lambda o: (o.status != ObjectionStatus.OPEN, o.id))
        problem = friendly.MESSAGES.get(error or "")
        return render(request, "honours/objections.html", principal, title=_("Objections"), honour_list=honour_list,
                      rows=rows, error=_(problem) if problem else None,
                      flash=_("Resolved.") if request.query_params.get("done") == "resolved" else None)

    @post("/objections/{objection_id:int}/resolve")
    async def resolve(self, request: Request, objection_id: int, db_session: AsyncSession,
                      optional_principal: Principal | None) -> Response:
        """Uphold or dismiss an objection with a note (a wrong figure is corrected in the ledger)."""
        principal = require_login(optional_principal)
        form = forms.values(await request.form())
        list_id = int(forms.text(form, "list_id") or 0)
        try:
            objection = await honours.resolve_objection(db_session, principal=principal, objection_id=objection_id,
                                                        resolution=forms.text(form, "resolution"),
                                                        note=forms.text(form, "note"))
        except DomainError as exc:
            if exc.code in ("objection_not_found", "honour_list_not_found"):
                raise
            await db_session.rollback()
            return redirect(request, f"/manage/honours/{list_id}/objections?error={exc.code}")
        return redirect(request, f"/manage/honours/{objection.list_id}/objections?done=resolved")
