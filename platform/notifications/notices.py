"""Notices an organiser sends to a team's members or an activity's volunteers, from fixed templates.

Every notice is a template with a few short values, never free text: carriers only text pre-approved templates
(each template is an SMS kind, `notice.<template>`, with its own template id), and a fixed wording keeps a notice
plain. Sending writes the notice and a `notice.sent` event in one transaction; the handler (events.py) delivers it
to every recipient through every channel, once per person and channel, like any other event. Organisers of the
community send to any of its teams and activities; a team's leaders to their team and to activities they may post.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities import service as activities
from servicebank.activities.models import Activity, Signup, SignupStatus
from servicebank.kernel.errors import InvalidInput
from servicebank.kernel.events import OutboxEvent, record_event, subscribe
from servicebank.notifications.channels import Message
from servicebank.notifications.events import deliver, recipients_for
from servicebank.notifications.models import OrganiserNotice
from servicebank.volunteers import teams
from servicebank.volunteers.models import TeamMember

MAX_VALUE_CHARS = 30  # a carrier cuts a template variable at about this length


@dataclasses.dataclass(frozen=True)
class NoticeTemplate:
    title: str
    body: str  # str.format with `scope` and the values
    values: tuple[str, ...]


TEMPLATES: dict[str, NoticeTemplate] = {
    "meeting_point": NoticeTemplate("集合通知", "{scope}：请于{time}在{place}集合，谢谢配合。", ("time", "place")),
    "time_changed": NoticeTemplate("时间调整", "{scope}：时间调整为{time}，请相互转告。", ("time",)),
    "bring_items": NoticeTemplate("携带物品提醒", "{scope}：请记得携带{items}。", ("items",)),
}


def kind_of(template: str) -> str:
    return f"notice.{template}"


def render(notice: OrganiserNotice) -> tuple[str, str, dict[str, str]]:
    """(title, body, SMS parameters) of a notice."""
    template = TEMPLATES[notice.template]
    values = {"scope": notice.scope_name, **notice.params}
    return template.title, template.body.format(**values), values


def _clean(template: str, values: dict[str, str]) -> dict[str, str]:
    found = TEMPLATES.get(template)
    if found is None:
        raise InvalidInput(f"Unknown notice template; the templates are: {', '.join(TEMPLATES)}.",
                           code="notice_template_unknown")
    cleaned = {name: " ".join(str(values.get(name) or "").split()) for name in found.values}
    if any(not v for v in cleaned.values()) or any(len(v) > MAX_VALUE_CHARS for v in cleaned.values()):
        raise InvalidInput(f"Fill in {', '.join(found.values)}, each at most {MAX_VALUE_CHARS} characters.",
                           code="notice_values_invalid")
    return cleaned


def _activity_scope(activity: Activity, timezone: str) -> str:
    return f"{activity.title[:60]} {activity.starts_at.astimezone(ZoneInfo(timezone)).strftime('%m月%d日')}"


async def send_notice(session: AsyncSession, *, actor: Principal, timezone: str, template: str,
                      values: dict[str, str], team_id: int | None = None,
                      activity_id: int | None = None) -> OrganiserNotice:
    """Write the notice and its `notice.sent` event; the handler delivers it (flush, never commit)."""
    if (team_id is None) == (activity_id is None):
        raise InvalidInput("Send a notice to one team or one activity.", code="notice_target_required")
    cleaned = _clean(template, values)
    if team_id is not None:
        team = await teams.team_for(session, actor=actor, team_id=team_id, lead=True)
        community_id, scope = team.community_id, team.name[:100]
    else:
        assert activity_id is not None  # one of the two targets was required above
        activity = await activities.get_for_staff(session, principal=actor, activity_id=activity_id)
        community_id, scope = activity.community_id, _activity_scope(activity, timezone)
    notice = OrganiserNotice(community_id=community_id, template=template, params=cleaned, team_id=team_id,
                             activity_id=activity_id, scope_name=scope, sent_by_user_id=actor.user_id,
                             created_at=dt.datetime.now(dt.UTC))
    session.add(notice)
    await session.flush()
    await record_event(session, "notice.sent", {"notice_id": notice.id})
    return notice


async def recipients_of(session: AsyncSession, notice: OrganiserNotice) -> list[int]:
    """The volunteers a notice reaches, read when it is delivered: the team's members, or the activity's
    confirmed and waiting volunteers."""
    if notice.team_id is not None:
        query = select(TeamMember.volunteer_id).where(TeamMember.team_id == notice.team_id)
    else:
        query = select(Signup.volunteer_id).where(
            Signup.activity_id == notice.activity_id,
            Signup.status.in_([SignupStatus.CONFIRMED, SignupStatus.WAITLISTED]))
    return sorted(set((await session.scalars(query)).all()))


@subscribe("notice.sent")
async def on_notice(session: AsyncSession, event: OutboxEvent) -> None:
    """Deliver an organiser's notice to everyone it names, through every channel."""
    notice = await session.get(OrganiserNotice, event.payload["notice_id"])
    if notice is None:
        return
    title, body, params = render(notice)
    message = Message(type=kind_of(notice.template), title=title, body=body, activity_id=notice.activity_id,
                      params=params)
    await deliver(session, event, await recipients_for(session, await recipients_of(session, notice)), message)
