"""Turning attendance decisions into service minutes and points, a whole dispatch batch at a time.

For each attendance the target is rule(served minutes) when approved, else nothing; the ledger posts
the difference from what it already posted for that attendance, so an approval posts, an adjustment
posts the change and a decline posts the reversal, each referencing the first posting; a correction the volunteer
asked for (`attendance.corrected`) posts the reversal of everything posted and the corrected figures as a new
posting. Reading the attendance's current state makes the order of events irrelevant and a re-delivery a no-op.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.activities.kinds import TRAINING_KINDS
from servicebank.activities.models import Activity
from servicebank.checkins.models import Attendance, AttendanceStatus
from servicebank.kernel.bulk import insert_rows
from servicebank.kernel.db import among
from servicebank.kernel.dialect import is_postgres
from servicebank.ledger.accounts import account_ids
from servicebank.ledger.models import AccountKind, AttendancePosting
from servicebank.ledger.posting import Credit, Posting, existing_transaction_ids, post_batch
from servicebank.ledger.rules import EffectiveRule, load_rules, rule_for
from servicebank.volunteers.models import Volunteer

# First key of the two-key advisory locks the ledger takes per volunteer ("SBPT").
LOCK_SPACE = 0x53425054


@dataclasses.dataclass
class Posted:
    """What is posted so far for one attendance."""

    volunteer_id: int
    community_id: int
    service_date: dt.date
    minutes: int
    points: int
    first_transaction_id: int


@dataclasses.dataclass
class AttendanceRow:
    """The attendance columns the tally reads (plain rows: no ORM objects to track)."""

    id: int
    volunteer_id: int
    service_date: dt.date
    status: str
    served_minutes: int | None
    revision: int


@dataclasses.dataclass
class Facts:
    attendance: AttendanceRow
    activity_community_id: int
    kind: str
    override: dict | None
    paid_service: bool


async def _lock_volunteers(session: AsyncSession, attendance_ids: list[int]) -> None:
    """Batches touching the same volunteer take turns (PostgreSQL; SQLite has one writer anyway).

    The daily cap and the posted state per attendance are read, then written: two batches working on
    the same volunteer at once would both see room under the cap, or both post the same difference.
    Locks are taken in id order, so batches never wait on each other in a circle.
    """
    if not is_postgres(session):
        return
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:space, CAST(v AS integer)) FROM (SELECT DISTINCT volunteer_id AS v "
             "FROM attendance WHERE id = ANY(CAST(:ids AS bigint[])) ORDER BY 1) s"),
        {"space": LOCK_SPACE, "ids": attendance_ids})


async def _load_postings(session: AsyncSession, attendance_ids: list[int]) -> dict[int, Posted]:
    p = AttendancePosting
    rows = await session.execute(select(p.attendance_id, p.volunteer_id, p.community_id, p.service_date, p.minutes,
                                        p.points, p.first_transaction_id)
                                 .where(among(session, p.attendance_id, attendance_ids)))
    return {aid: Posted(*rest) for aid, *rest in rows.all()}


async def _load_facts(session: AsyncSession, attendance_ids: list[int]) -> dict[int, Facts]:
    a = Attendance
    rows = await session.execute(
        select(a.id, a.volunteer_id, a.service_date, a.status, a.served_minutes, a.revision,
               Activity.community_id, Activity.kind, Activity.hours_rule_override, Volunteer.paid_service)
        .join(Activity, Activity.id == a.activity_id)
        .join(Volunteer, Volunteer.id == a.volunteer_id)
        .where(among(session, a.id, attendance_ids)))
    return {row[0]: Facts(AttendanceRow(*row[:6]), community_id, kind, override, bool(paid))
            for *row, community_id, kind, override, paid in rows.all()}


async def _minutes_same_day(session: AsyncSession, facts: dict[int, Facts]) -> dict[tuple[int, dt.date], dict[int, int]]:
    """Posted minutes per (volunteer, day), by attendance: the daily cap counts the other attendances."""
    volunteers = {f.attendance.volunteer_id for f in facts.values()}
    days = {f.attendance.service_date for f in facts.values()}
    rows = await session.execute(
        select(AttendancePosting.volunteer_id, AttendancePosting.service_date, AttendancePosting.attendance_id,
               AttendancePosting.minutes)
        .where(among(session, AttendancePosting.volunteer_id, sorted(volunteers)),
               AttendancePosting.service_date.in_(sorted(days))))
    same_day: dict[tuple[int, dt.date], dict[int, int]] = defaultdict(dict)
    for vid, day, aid, minutes in rows.all():
        same_day[(vid, day)][aid] = minutes
    return same_day


def _target(facts: Facts, rule: EffectiveRule, others_minutes: int) -> tuple[int, int]:
    att = facts.attendance
    # Attending a training is 培训情况, kept apart from service: records makes a training record of it instead.
    if att.status != AttendanceStatus.APPROVED or facts.kind in TRAINING_KINDS:
        return 0, 0
    minutes = rule.minutes_for(att.served_minutes or 0)
    if rule.daily_cap_minutes is not None:
        minutes = max(0, min(minutes, rule.daily_cap_minutes - others_minutes))
    return minutes, rule.points_for(minutes, paid_service=facts.paid_service)


async def tally(session: AsyncSession, causes: Sequence[tuple[int, int]],
                anew: Collection[int] = frozenset()) -> list[str]:
    """Bring the ledger in line with these attendances; `causes` are (event_id, attendance_id).

    For the attendances in `anew` (a correction accepted on the volunteer's request) what was posted is reversed
    in full and the corrected figures posted as a new transaction, instead of one posting of the difference: the
    record shows the correction as a reversal plus a new posting. Returns the source keys of the transactions posted.
    """
    first_event: dict[int, int] = {}
    for event_id, attendance_id in sorted(causes):
        first_event.setdefault(attendance_id, event_id)
    attendance_ids = sorted(first_event)
    if not attendance_ids:
        return []
    await _lock_volunteers(session, attendance_ids)
    posted = await _load_postings(session, attendance_ids)
    facts = await _load_facts(session, attendance_ids)
    if not facts:
        return []
    await load_rules(session, {(f.activity_community_id, f.kind) for f in facts.values()})
    same_day = await _minutes_same_day(session, facts)
    accounts = await account_ids(session, [key for f in facts.values() for key in (
        (AccountKind.VOLUNTEER, f.attendance.volunteer_id), (AccountKind.COMMUNITY, f.activity_community_id))]
        + [(AccountKind.COMMUNITY, p.community_id) for p in posted.values()])
    # A correction delivered again finds its posting made: nothing to reverse and post anew a second time.
    done = await existing_transaction_ids(session, [f"attendance:{aid}:event:{first_event[aid]}"
                                                    for aid in attendance_ids if aid in anew])
    rules: dict[tuple[int, str, str | None], EffectiveRule] = {}  # one per activity kind and override in the batch
    postings: list[Posting] = []
    last_posting: list[int] = []  # per new state, the index of the posting it ends with
    new_state: list[dict] = []
    for aid in attendance_ids:
        f = facts.get(aid)
        if f is None:
            continue
        att, before = f.attendance, posted.get(aid)
        rule_key = (f.activity_community_id, f.kind, repr(sorted(f.override.items())) if f.override else None)
        rule = rules.get(rule_key) or rules.setdefault(rule_key, rule_for(
            session, community_id=f.activity_community_id, kind=f.kind, override=f.override))
        day_key = (att.volunteer_id, att.service_date)
        others = sum(m for other, m in same_day[day_key].items() if other != aid)
        minutes, points = _target(f, rule, others)
        old_m, old_p = (before.minutes, before.points) if before else (0, 0)
        moved_day = before is not None and before.service_date != att.service_date
        restart = (before is not None and aid in anew and (old_m, old_p) != (0, 0)
                   and f"attendance:{aid}:event:{first_event[aid]}" not in done)
        if (minutes, points) == (old_m, old_p) and not moved_day and not restart:
            continue
        community_id = before.community_id if before else f.activity_community_id

        def points_entries(amount: int, volunteer_id: int = att.volunteer_id, community: int = community_id) \
                -> list[tuple[int, int]]:
            return [(accounts[(AccountKind.VOLUNTEER, volunteer_id)], amount),
                    (accounts[(AccountKind.COMMUNITY, community)], -amount)] if amount else []

        dp = points - old_p
        rule_info: dict[str, Any] = {"attendance_id": aid, "rule_id": rule.rule_id, "rule_version": rule.version,
                                     "rule_source": rule.source}
        source_key = f"attendance:{aid}:event:{first_event[aid]}"
        memo = f"attendance #{aid} rev {att.revision}: {minutes} min, {points} pts ({rule.source} v{rule.version})"
        if restart:
            assert before is not None
            postings.append(Posting(
                source_key=f"{source_key}:reversal", kind="service_reversal", reverses_id=before.first_transaction_id,
                memo=f"attendance #{aid} rev {att.revision}: corrected, {old_m} min, {old_p} pts reversed",
                entries=points_entries(-old_p),
                credits=[Credit(att.volunteer_id, before.service_date, -old_m, -old_p, **rule_info)]))
            postings.append(Posting(source_key=source_key, kind="service", memo=memo, entries=points_entries(points),
                                    credits=[Credit(att.volunteer_id, att.service_date, minutes, points, **rule_info)]))
        else:
            if moved_day:
                assert before is not None, "only a posted attendance moves to another day"
                credits = [Credit(att.volunteer_id, before.service_date, -old_m, -old_p, **rule_info),
                           Credit(att.volunteer_id, att.service_date, minutes, points, **rule_info)]
            else:
                credits = [Credit(att.volunteer_id, att.service_date, minutes - old_m, dp, **rule_info)]
            kind = "service" if before is None else ("service_reversal" if minutes == 0 == points
                                                      else "service_adjustment")
            postings.append(Posting(source_key=source_key, kind=kind, memo=memo, entries=points_entries(dp),
                                    reverses_id=before.first_transaction_id if before else None, credits=credits))
        last_posting.append(len(postings) - 1)
        same_day[day_key][aid] = minutes
        # After a correction the new posting is the one later changes refer to.
        first = before.first_transaction_id if before and not restart else None
        new_state.append({"attendance_id": aid, "volunteer_id": att.volunteer_id, "community_id": community_id,
                          "service_date": att.service_date, "minutes": minutes, "points": points,
                          "revision": att.revision, "first": first})
    if not postings:
        return []
    transaction_ids = await post_batch(session, postings)
    await _save_state(session, new_state, [transaction_ids[i] for i in last_posting])
    return [p.source_key for p in postings]


async def _save_state(session: AsyncSession, new_state: list[dict], transaction_ids: list[int]) -> None:
    rows = []
    for state, txn_id in zip(new_state, transaction_ids, strict=True):
        first = state.pop("first")
        rows.append({**state, "first_transaction_id": first or txn_id, "last_transaction_id": txn_id})
    stmt, params = insert_rows(session, AttendancePosting, rows)
    stmt = stmt.on_conflict_do_update(index_elements=["attendance_id"], set_={
        c: stmt.excluded[c] for c in ("service_date", "minutes", "points", "revision", "last_transaction_id",
                                      "community_id")})
    await session.execute(stmt, params)
