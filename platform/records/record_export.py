"""The organisation-wide export of service records (a community or a street, a range of months) in the fields of
《志愿服务记录与证明出具办法》, as JSON Lines or .xlsx, mapped by record_export_fields (versioned).

Streamed: rows come from the database in batches (`yield_per`) and leave as they come, so a whole city's year is
never held in memory; the .xlsx is written row by row by openpyxl's write-only mode to a temporary file, then sent
from it. Who may export: as for the 台账 (organisers of the community, street admins of the street). Its service
figures equal the 台账's for the same scope and months: both read records/service_rows.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.models import User
from servicebank.accounts.principal import Principal
from servicebank.activities import repository as activity_repo
from servicebank.kernel.errors import InvalidInput
from servicebank.org.models import Community
from servicebank.records import service_rows
from servicebank.records.models import TrainingRecord
from servicebank.records.record_export_fields import (
    HEADINGS,
    KEYS,
    RECORD_TYPE_NAMES,
    SCHEMA_VERSION,
    TRAINING_NAMES,
    mapping_rows,
)
from servicebank.reports import service as reports
from servicebank.reports.periods import parse_month
from servicebank.reports.taizhang import ELSEWHERE_NAME
from servicebank.volunteers.identity import mask_id_number
from servicebank.volunteers.models import Volunteer

MAX_MONTHS = 12
# The kinds of records that are no activity kind: a request, a late claim of a service elsewhere (as the 台账 names it).
OTHER_KIND_NAMES = {service_rows.REQUEST: "居民需求", service_rows.LATE_CLAIM: ELSEWHERE_NAME}
BATCH = 500
FORMATS = ("jsonl", "xlsx")


@dataclasses.dataclass(frozen=True)
class ExportScope:
    """What one export covers: a checked scope and the local days [start, end) of whole months."""

    scope: str
    name: str
    communities: dict[int, str]
    start: dt.date
    end: dt.date
    first_month: str
    last_month: str

    @property
    def file_stem(self) -> str:
        return f"service-records-{self.scope.replace(':', '-')}-{self.first_month}-{self.last_month}"


def month_range(first: str, last: str) -> tuple[dt.date, dt.date]:
    """Local days [first month's 1st, the day after the last month) of 1 to MAX_MONTHS months; stable codes else."""
    a, b = parse_month(first), parse_month(last)
    if b.start < a.start:
        raise InvalidInput("The last month comes before the first.", code="month_range_reversed")
    months = (b.start.year - a.start.year) * 12 + b.start.month - a.start.month + 1
    if months > MAX_MONTHS:
        raise InvalidInput(f"An export covers at most {MAX_MONTHS} months; split it.", code="month_range_too_long",
                           max_months=MAX_MONTHS)
    return a.start, b.end


def check_format(value: str) -> str:
    if value not in FORMATS:
        raise InvalidInput("The format is jsonl or xlsx.", code="invalid_format")
    return value


async def prepare(session: AsyncSession, *, principal: Principal | None, scope: str, first_month: str,
                  last_month: str) -> ExportScope:
    """Check the input and the caller's reach (None: the command line) before anything is streamed."""
    start, end = month_range(first_month, last_month)
    kind, scope_id, name, communities = await reports.resolve_scope(session, scope, principal)
    return ExportScope(f"{kind}:{scope_id}", name, communities, start, end, first_month.strip(), last_month.strip())


def _iso(value: dt.datetime | None, tz: ZoneInfo) -> str | None:
    return value.astimezone(tz).isoformat(timespec="minutes") if value is not None else None


def masked_id_number(number: str | None, last4: str | None) -> str | None:
    """The stored masked ID number, else one made from the last four digits (as certificates print it)."""
    return number or (mask_id_number("*" * 14 + last4) if last4 else None)


def service_record(row: Any, tz: ZoneInfo, kinds: dict[str, str]) -> dict[str, Any]:  # noqa: ANN401
    """One row of service_rows.records_statement in the export's fields."""
    minutes = int(row.minutes or 0)
    day = row.service_date or (row.started_at.astimezone(tz).date() if row.started_at else None)
    kind = row.kind or ""
    return {
        "schema_version": SCHEMA_VERSION, "record_key": f"{row.record_type}:{row.record_id}",
        "record_type": row.record_type, "volunteer_name": row.real_name, "id_type": row.id_type,
        "id_number_masked": masked_id_number(row.id_number_masked, row.id_number_last4),
        "volunteer_number": row.volunteer_number, "service_date": day.isoformat() if day else None,
        "started_at": _iso(row.started_at, tz), "ended_at": _iso(row.ended_at, tz), "service_minutes": minutes,
        "service_hours": round(minutes / 60, 2), "project": row.title, "content": row.content or "",
        "place": row.place or "", "kind": kinds.get(kind) or OTHER_KIND_NAMES.get(kind, kind),
        "rating_stars": row.rating_stars, "training_category": None, "training_minutes": None,
        "recording_organisation": row.community_name, "organisation_code": row.community_code,
        "confirmed_by": row.confirmed_by, "confirmed_at": _iso(row.confirmed_at, tz), "corrected": bool(row.corrected),
    }


def _training_statement(export: ExportScope) -> Any:  # noqa: ANN401
    return (select(TrainingRecord, Volunteer.real_name, Volunteer.id_type, Volunteer.id_number_masked,
                   Volunteer.id_number_last4, Volunteer.number, Community.name, Community.code, User.display_name)
            .join(Volunteer, Volunteer.id == TrainingRecord.volunteer_id)
            .join(Community, Community.id == TrainingRecord.community_id)
            .outerjoin(User, User.id == TrainingRecord.recorded_by_user_id)
            .where(TrainingRecord.community_id.in_(list(export.communities)),
                   TrainingRecord.trained_on >= export.start, TrainingRecord.trained_on < export.end)
            .order_by(TrainingRecord.trained_on, TrainingRecord.id))


def _training_record(row: Any, tz: ZoneInfo) -> dict[str, Any]:  # noqa: ANN401
    t: TrainingRecord = row[0]
    return {
        "schema_version": SCHEMA_VERSION, "record_key": f"training:{t.id}", "record_type": "training",
        "volunteer_name": row[1], "id_type": row[2], "id_number_masked": masked_id_number(row[3], row[4]),
        "volunteer_number": row[5], "service_date": t.trained_on.isoformat(), "started_at": None, "ended_at": None,
        # Training hours are kept apart from service hours (培训情况): they never count as service.
        "service_minutes": 0, "service_hours": 0, "project": t.title, "content": t.provider, "place": "",
        "kind": TRAINING_NAMES.get(t.category, t.category), "rating_stars": None, "training_category": t.category,
        "training_minutes": t.minutes, "recording_organisation": row[6], "organisation_code": row[7],
        "confirmed_by": row[8], "confirmed_at": _iso(t.created_at, tz), "corrected": False,
    }


async def records(session: AsyncSession, export: ExportScope, *, timezone: str) -> AsyncIterator[dict[str, Any]]:
    """Every service record of the scope and months (oldest first), then the trainings, one dict at a time."""
    tz = ZoneInfo(timezone)
    kinds = await activity_repo.kind_names_of(session, list(export.communities))
    statement = service_rows.records_statement(communities=list(export.communities), start=export.start,
                                               end=export.end).execution_options(yield_per=BATCH)
    async for row in await session.stream(statement):
        yield service_record(row, tz, kinds)
    async for row in await session.stream(_training_statement(export).execution_options(yield_per=BATCH)):
        yield _training_record(row, tz)


@dataclasses.dataclass
class Totals:
    """The export's service figures per record type, as the 台账 counts them (participations, volunteers, minutes)."""

    records: dict[str, int] = dataclasses.field(default_factory=dict)
    minutes: dict[str, int] = dataclasses.field(default_factory=dict)
    volunteers: dict[str, set[str]] = dataclasses.field(default_factory=dict)

    def add(self, record: dict[str, Any]) -> None:
        kind = record["record_type"]
        self.records[kind] = self.records.get(kind, 0) + 1
        self.minutes[kind] = self.minutes.get(kind, 0) + int(record["service_minutes"] or record["training_minutes"]
                                                               or 0)
        self.volunteers.setdefault(kind, set()).add(record["volunteer_number"])

    def rows(self) -> list[list[object]]:
        out: list[list[object]] = [["记录类型", "记录数", "志愿者人数", "时长（分钟）", "时长（小时）"]]
        for kind in (k for k in RECORD_TYPE_NAMES if k in self.records):
            out.append([RECORD_TYPE_NAMES[kind], self.records[kind], len(self.volunteers[kind]), self.minutes[kind],
                        round(self.minutes[kind] / 60, 2)])
        taizhang = ("activity", "late_claim")
        minutes = sum(self.minutes.get(k, 0) for k in taizhang)
        out.append(["计入台账（活动签到＋补录）", sum(self.records.get(k, 0) for k in taizhang),
                    len(set().union(*(self.volunteers.get(k, set()) for k in taizhang))), minutes, round(minutes / 60, 2)])
        return out


async def jsonl_chunks(session: AsyncSession, export: ExportScope, *, timezone: str,
                       advance: Callable[[int], None] | None = None) -> AsyncIterator[bytes]:
    """The export as JSON Lines (UTF-8), one record a line, sent in batches."""
    lines: list[str] = []
    async for record in records(session, export, timezone=timezone):
        lines.append(json.dumps(record, ensure_ascii=False))
        if len(lines) >= BATCH:
            yield ("\n".join(lines) + "\n").encode("utf-8")
            if advance:
                advance(len(lines))
            lines = []
    if lines:
        yield ("\n".join(lines) + "\n").encode("utf-8")
        if advance:
            advance(len(lines))


async def write_xlsx(session: AsyncSession, export: ExportScope, out: IO[bytes], *, timezone: str,
                     advance: Callable[[int], None] | None = None) -> Totals:
    """The export as .xlsx (服务记录, 汇总, 字段说明) written into `out`, row by row (write-only workbook)."""
    from openpyxl import Workbook

    from servicebank.spreadsheets import append_write_only

    book = Workbook(write_only=True)
    sheet = book.create_sheet("服务记录")
    append_write_only(sheet, HEADINGS)
    totals, done = Totals(), 0
    async for record in records(session, export, timezone=timezone):
        totals.add(record)
        append_write_only(sheet, [record[k] if not isinstance(record[k], bool) else ("是" if record[k] else "否")
                                  for k in KEYS])
        done += 1
        if advance and done % BATCH == 0:
            advance(BATCH)
    if advance and done % BATCH:
        advance(done % BATCH)
    summary = book.create_sheet("汇总")
    summary_rows: list[Sequence[object]] = [["范围", export.name], ["月份", f"{export.first_month} 至 {export.last_month}"],
                                        ["字段版本", SCHEMA_VERSION], [], *totals.rows()]
    for row in summary_rows:
        append_write_only(summary, row)
    fields = book.create_sheet("字段说明")
    append_write_only(fields, ["字段版本", SCHEMA_VERSION])
    for row in mapping_rows():
        append_write_only(fields, row)
    book.save(out)
    return totals


def spooled_file() -> IO[bytes]:
    """Where the .xlsx is written before it is sent: memory up to 8 MB, then a temporary file."""
    return tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - the caller closes it
