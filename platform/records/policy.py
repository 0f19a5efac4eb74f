"""The no-show policy: when a volunteer's sign-ups wait for the organiser, worked out from the counted no-shows."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.records import repository as repo
from servicebank.records.models import NoShowPolicy

NO_SHOW_HOLD = "no_show_limit"  # the stable code on a held sign-up and in the volunteer's status
DEFAULTS = {"enabled": True, "threshold": 3, "window_days": 90, "approval_days": 30}


@dataclasses.dataclass(frozen=True)
class Rule:
    enabled: bool
    threshold: int
    window_days: int
    approval_days: int


@dataclasses.dataclass(frozen=True)
class Standing:
    """A volunteer's no-shows in the policy's window and, while held, until when."""

    counted: int
    held_until: dt.datetime | None
    rule: Rule

    @property
    def hold_code(self) -> str | None:
        return NO_SHOW_HOLD if self.held_until is not None else None

    def message_zh(self) -> str | None:
        """The sentence the volunteer and the organiser read, naming why."""
        if self.held_until is None:
            return None
        return (f"您在 {self.rule.window_days} 天内有 {self.counted} 次报名后未到（爽约），"
                f"{self.held_until.date().isoformat()} 前的报名需要社工审核通过。")


async def rule_of(session: AsyncSession, community_id: int) -> Rule:
    """The community's rule, or the defaults (3 in 90 days → approval for 30 days)."""
    row: NoShowPolicy | None = await repo.policy(session, community_id)
    if row is None:
        return Rule(**DEFAULTS)  # type: ignore[arg-type]
    return Rule(enabled=row.enabled, threshold=row.threshold, window_days=row.window_days,
                approval_days=row.approval_days)


def held_until(times: list[dt.datetime], rule: Rule) -> dt.datetime | None:
    """The latest end of a hold: each no-show that brings the window's count to the threshold starts one."""
    if not rule.enabled:
        return None
    window, hold = dt.timedelta(days=rule.window_days), dt.timedelta(days=rule.approval_days)
    until = None
    for i, at in enumerate(times):
        in_window = sum(1 for earlier in times[: i + 1] if at - earlier < window)
        if in_window >= rule.threshold:
            until = at + hold
    return until


async def standing(session: AsyncSession, *, volunteer_id: int, community_id: int, now: dt.datetime) -> Standing:
    """How many no-shows count now and whether sign-ups are held."""
    rule = await rule_of(session, community_id)
    # A hold can have started as far back as window + approval days ago; older no-shows cannot matter.
    since = now - dt.timedelta(days=rule.window_days + rule.approval_days)
    times = await repo.counted_no_show_times(session, volunteer_id=volunteer_id, since=since)
    until = held_until(times, rule)
    counted = sum(1 for t in times if now - t < dt.timedelta(days=rule.window_days))
    return Standing(counted=counted, held_until=until if until is not None and until > now else None, rule=rule)
