"""Organisers' templated notices to a team or an activity's volunteers (notices.py)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.openapi.spec import Example
from litestar.params import Body
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.notifications import notices


class NoticeTemplateOut(msgspec.Struct):
    template: str
    title: str
    wording: str
    values: list[str]


class NoticeIn(msgspec.Struct, forbid_unknown_fields=True):
    template: str
    values: dict[str, str]
    team_id: int | None = None
    activity_id: int | None = None


class NoticeOut(msgspec.Struct):
    id: int
    title: str
    body: str
    recipients: int


_EXAMPLE = Example(summary="where to meet", value={
    "template": "meeting_point", "team_id": 3, "values": {"time": "12月07日 08:30", "place": "3号楼门口"}})


class NoticeController(Controller):
    path = "/api/notices"
    tags = ["notifications"]

    @get("/templates")
    async def templates(self, principal: Principal) -> list[NoticeTemplateOut]:
        """The notices that can be sent, with the values each one needs."""
        return [NoticeTemplateOut(template=name, title=t.title, wording=t.body, values=list(t.values))
                for name, t in notices.TEMPLATES.items()]

    @post("/", status_code=201)
    async def send(self, state: State, db_session: AsyncSession, principal: Principal,
                   data: Annotated[NoticeIn, Body(examples=[_EXAMPLE])]) -> NoticeOut:
        """Send a templated notice to a team's members (`team_id`) or an activity's confirmed and waiting volunteers
        (`activity_id`): in each one's inbox, and by e-mail, text and push as they chose; once per person and
        channel. Organisers of the community; a team's leaders for their team and the activities they may post.
        Errors: 422 `notice_template_unknown` / `notice_values_invalid` / `notice_target_required`, 404
        `team_not_found` / `activity_not_found`, 403 as for editing the activity."""
        notice = await notices.send_notice(db_session, actor=principal, timezone=state.settings.timezone,
                                           template=data.template, values=data.values, team_id=data.team_id,
                                           activity_id=data.activity_id)
        title, body, _params = notices.render(notice)
        return NoticeOut(id=notice.id, title=title, body=body,
                         recipients=len(await notices.recipients_of(db_session, notice)))
