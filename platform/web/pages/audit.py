"""The audit log for organisers and administrators: who changed what and when, filtered and paged."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.audit import service as audit
from servicebank.org import service as org
from servicebank.web import audit_text, i18n
from servicebank.web.guard import require_login
from servicebank.web.i18n import N_
from servicebank.web.pages.volunteers.manage import number
from servicebank.web.render import lang_of, render

PAGE_SIZE = 30
# The action families of the domains (an entry's action is "<family>.<verb>").
FAMILIES = {"activity": N_("Activities"), "series": N_("Repeating activities"), "attendance": N_("Attendance"),
            "checkin_policy": N_("Check-in rules"), "volunteer": N_("Volunteers"), "team": N_("Teams"),
            "certificate": N_("Certificates"), "store": N_("Stores"), "store_item": N_("Store items"),
            "redemption": N_("Redemptions"), "user": N_("Logins"), "grant": N_("Roles"),
            "community": N_("Communities"), "grid": N_("Grids"), "honour_list": N_("Honour lists"),
            "honour_objection": N_("Objections"), "family_link": N_("Family links")}


def _day(value: str | None, timezone: str) -> dt.datetime | None:
    """The start of a local day ("2026-11-23") as an aware time; None when empty or not a date."""
    try:
        return dt.datetime.combine(dt.date.fromisoformat((value or "").strip()), dt.time(),
                                   tzinfo=ZoneInfo(timezone)) if value else None
    except ValueError:
        return None


class AuditPages(Controller):
    path = "/manage/audit"
    include_in_schema = False

    @get("/")
    async def log(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                  community_text: Annotated[str | None, QueryParameter(name="community")] = None,
                  action: str | None = None, entity_type: str | None = None, entity_id: str | None = None,
                  since: str | None = None, until: str | None = None,
                  page_text: Annotated[str | None, QueryParameter(name="page")] = None) -> Response:
        """Entries of one community (organisers) or everywhere the caller manages, newest first."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        community, page = number(community_text), max(number(page_text) or 1, 1)
        tz = request.app.state.settings.timezone
        until_day = _day(until, tz)
        # Whose entries the caller may read is the domain's rule (audit/access.py), as for the API.
        rows, total = await audit.entries_page(
            db_session, principal=principal, community_id=community, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
            action=(action or "").strip() or None, entity_type=(entity_type or "").strip() or None,
            entity_id=(entity_id or "").strip() or None, since=_day(since, tz),
            until=until_day + dt.timedelta(days=1) if until_day else None)
        choices = [c for c in await org.workplaces(db_session, actor=principal) if principal.manages(c.id)]
        names = {c.id: c.name for c in choices}
        filters = {"community": community or "", "action": action or "", "entity_type": entity_type or "",
                   "entity_id": entity_id or "", "since": since or "", "until": until or ""}
        return render(request, "audit/audit.html", principal, title=_("Audit log"), rows=rows, total=total, page=page,
                      pages=max((total - 1) // PAGE_SIZE + 1, 1), filters=filters, choices=choices, names=names,
                      families=FAMILIES, action_label=partial(audit_text.action_label, _=_),
                      entity_label=partial(audit_text.entity_label, _=_),
                      changes=partial(audit_text.changes, _=_, timezone=tz))
