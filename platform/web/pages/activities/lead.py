"""The team leader's start page: today's activities in their communities, each one tap from the 代签 box."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities.browse import list_activities
from servicebank.activities.models import ActivityStatus
from servicebank.kernel.errors import Forbidden
from servicebank.org import service as org
from servicebank.web import i18n
from servicebank.web.guard import require_login
from servicebank.web.render import lang_of, render

TODAY_STATUSES = [ActivityStatus.PUBLISHED, ActivityStatus.IN_PROGRESS, ActivityStatus.COMPLETED]


class LeaderPages(Controller):
    path = "/lead"
    include_in_schema = False

    @get("/")
    async def today(self, request: Request, db_session: AsyncSession,
                    optional_principal: Principal | None) -> Response:
        """Today's activities where the leader works, soonest first (those still to come and those running)."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        if not principal.led_team_community_ids:
            raise Forbidden("Only team leaders have this page.", code="staff_required")
        tz = ZoneInfo(request.app.state.settings.timezone)
        start_of_day = dt.datetime.combine(dt.datetime.now(tz).date(), dt.time(), tzinfo=tz)
        rows = []
        for community_id in sorted(principal.led_team_community_ids):
            items, _total = await list_activities(db_session, principal=principal, community_id=community_id,
                                                  status=TODAY_STATUSES, starts_from=start_of_day,
                                                  starts_to=start_of_day + dt.timedelta(days=1), limit=50)
            rows.extend(items)
        rows.sort(key=lambda a: (a.starts_at, a.id))
        communities = {c.id: c.name for c in await org.workplaces(db_session, actor=principal)}
        return render(request, "activities/lead.html", principal, title=_("Today's activities"), rows=rows,
                      communities=communities)
