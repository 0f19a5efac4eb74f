"""Roster import: check every row (dry run), then insert all valid rows in one transaction with bulk inserts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import anyio
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.audit.service import record_audit
from servicebank.kernel.db import table_of
from servicebank.kernel.errors import InvalidInput
from servicebank.org.access import guard
from servicebank.org.models import Grid
from servicebank.volunteers import fields, repository
from servicebank.volunteers.identity import (
    ID_TYPES,
    RESIDENT_ID,
    IdentityVault,
    birth_year_from_resident_id,
    gender_from_resident_id,
    mask_id_number,
    validate_id_number,
)
from servicebank.volunteers.models import TeamMember, Volunteer, VolunteerStatus
from servicebank.volunteers.numbers import NUMBER_SHAPE, allocate_numbers
from servicebank.volunteers.roster import Roster
from servicebank.volunteers.schemas import ImportReport, RowProblem, RowReport
from servicebank.volunteers.service import get_community

MAX_REPORTED_ROWS = 1000
CHUNK = 2000
TEAM_SPLIT = re.compile(r"[、，,;；|\n]+")
Progress = Callable[[str, int, int], None]  # phase ("check" or "write"), rows just done, rows in phase


@dataclasses.dataclass
class _Valid:
    row: int
    values: dict[str, Any]
    id_number: str | None
    team_ids: list[int]


@dataclasses.dataclass
class _Seen:
    phones: dict[str, int] = dataclasses.field(default_factory=dict)
    digests: dict[str, int] = dataclasses.field(default_factory=dict)
    numbers: dict[str, int] = dataclasses.field(default_factory=dict)


async def _existing(session: AsyncSession, community_id: int) -> tuple[set[str], set[str]]:
    rows = await session.execute(select(Volunteer.phone, Volunteer.id_number_digest)
                                 .where(Volunteer.community_id == community_id))
    phones, digests = set(), set()
    for phone, digest in rows:
        phones.add(phone)
        if digest:
            digests.add(digest)
    return phones, digests


async def _taken_numbers(session: AsyncSession, numbers: list[str]) -> set[str]:
    taken: set[str] = set()
    for start in range(0, len(numbers), 5000):
        chunk = numbers[start:start + 5000]
        taken |= set((await session.scalars(select(Volunteer.number).where(Volunteer.number.in_(chunk)))).all())
    return taken


class _RowChecker:
    """All the rules for one row, against the community's data and the rows before it."""

    def __init__(self, *, vault: IdentityVault, phones: set[str], digests: set[str], taken_numbers: set[str],
                 teams: dict[str, int], grids: dict[str, int]) -> None:
        self.vault, self.phones, self.digests, self.taken_numbers = vault, phones, digests, taken_numbers
        self.teams, self.grids = teams, grids
        self.seen = _Seen()
        self.this_year = dt.datetime.now(dt.UTC).year

    def check(self, row: int, raw: dict[str, str]) -> tuple[_Valid | None, list[RowProblem]]:
        problems: list[RowProblem] = []
        values: dict[str, Any] = {}

        def attempt(field: str, clean: Callable[[], Any]) -> Any:
            try:
                return clean()
            except InvalidInput as exc:
                problems.append(RowProblem(code=exc.code, field=field, message=exc.message))
                return None

        values["real_name"] = attempt("real_name", lambda: fields.clean_name(raw.get("real_name")))
        phone = attempt("phone", lambda: fields.clean_phone(raw.get("phone")))
        if phone:
            if phone in self.phones:
                problems.append(RowProblem(code="duplicate_phone", field="phone",
                                           message=f"{phone} is already registered in this community."))
            elif phone in self.seen.phones:
                problems.append(RowProblem(code="duplicate_phone", field="phone",
                                           message=f"{phone} is also in row {self.seen.phones[phone]}."))
        values["phone"] = phone
        id_number = None
        id_type = (raw.get("id_type") or "").strip() or None
        if raw.get("id_number"):
            id_type = id_type or RESIDENT_ID
            if id_type not in ID_TYPES:
                problems.append(RowProblem(code="invalid_id_type", field="id_type",
                                           message=f"Unknown ID type {id_type}; use one of {', '.join(ID_TYPES)}."))
            else:
                id_number = attempt("id_number", lambda: validate_id_number(id_type, raw["id_number"]))
        digest = self.vault.digest(id_number) if id_number else None
        if digest:
            # Every key's digest: a number stored before a data-key rotation is still a duplicate.
            if not self.digests.isdisjoint(self.vault.digests(id_number or "")):
                problems.append(RowProblem(code="duplicate_id_number", field="id_number",
                                           message="This ID number is already registered in this community."))
            elif digest in self.seen.digests:
                problems.append(RowProblem(code="duplicate_id_number", field="id_number",
                                           message=f"The same ID number is also in row {self.seen.digests[digest]}."))
        values["id_type"] = id_type if id_number else None
        number = (raw.get("number") or "").strip() or None
        if number:
            if not NUMBER_SHAPE.match(number):
                problems.append(RowProblem(code="invalid_volunteer_number", field="number",
                                           message="A volunteer number is 2-32 letters, digits, '-' or '_'."))
            elif number in self.taken_numbers:
                problems.append(RowProblem(code="duplicate_volunteer_number", field="number",
                                           message=f"The volunteer number {number} is already in use."))
            elif number in self.seen.numbers:
                problems.append(RowProblem(code="duplicate_volunteer_number", field="number",
                                           message=f"The volunteer number {number} is also in row "
                                                   f"{self.seen.numbers[number]}."))
        values["number"] = number
        values["gender"] = attempt("gender", lambda: fields.clean_gender(raw.get("gender")))
        values["birth_year"] = attempt("birth_year", lambda: fields.clean_birth_year(raw.get("birth_year"),
                                                                                     this_year=self.this_year))
        if id_number and values["id_type"] == RESIDENT_ID:
            values["birth_year"] = values["birth_year"] or birth_year_from_resident_id(id_number)
            values["gender"] = values["gender"] or gender_from_resident_id(id_number)
        values["skill_tags"] = attempt("skill_tags", lambda: fields.clean_skill_tags(raw.get("skill_tags"))) or []
        for name in ("political_status", "party_class"):
            values[name] = attempt(name, partial(fields.clean_short_text, raw.get(name), field=name))
        values["paid_service"] = bool(attempt("paid_service", lambda: fields.parse_flag(raw.get("paid_service"))))
        grid_name = (raw.get("grid") or "").strip()
        values["grid_id"] = None
        if grid_name:
            values["grid_id"] = self.grids.get(grid_name)
            if values["grid_id"] is None:
                problems.append(RowProblem(code="unknown_grid", field="grid",
                                           message=f"The community has no grid called {grid_name}."))
        team_ids: list[int] = []
        for team_name in (t.strip() for t in TEAM_SPLIT.split(raw.get("teams") or "")):
            if not team_name:
                continue
            if team_name not in self.teams:
                problems.append(RowProblem(code="unknown_team", field="teams",
                                           message=f"The community has no team called {team_name}; create it first."))
            elif self.teams[team_name] not in team_ids:
                team_ids.append(self.teams[team_name])
        # Remember keys even of rejected rows, so a later duplicate names the row it repeats.
        if phone:
            self.seen.phones.setdefault(phone, row)
        if digest:
            self.seen.digests.setdefault(digest, row)
        if number:
            self.seen.numbers.setdefault(number, row)
        if problems:
            return None, problems
        return _Valid(row=row, values=values, id_number=id_number, team_ids=team_ids), []


def _check_all(checker: _RowChecker, roster: Roster,
               on_progress: Progress | None) -> tuple[list[_Valid], list[RowReport], int]:
    valid: list[_Valid] = []
    skipped: list[RowReport] = []
    skipped_count = 0
    for index, (row, raw) in enumerate(roster.rows, start=1):
        ok, problems = checker.check(row, raw)
        if ok:
            valid.append(ok)
        else:
            skipped_count += 1
            if len(skipped) < MAX_REPORTED_ROWS:
                skipped.append(RowReport(row=row, errors=problems))
        if on_progress and index % 1000 == 0:
            on_progress("check", 1000, len(roster.rows))
    if on_progress:
        on_progress("check", len(roster.rows) % 1000, len(roster.rows))
    return valid, skipped, skipped_count


async def import_roster(session: AsyncSession, *, actor: Principal | None, vault: IdentityVault, community_id: int,
                        roster: Roster, dry_run: bool, filename: str | None = None,
                        on_progress: Progress | None = None) -> ImportReport:
    """Check every row; unless dry_run, insert all valid rows (one transaction, bulk inserts) and skip the rest."""
    started = time.monotonic()
    if actor is not None:
        guard(actor.require_manager, community_id, code="community_not_found", what="community")
    community = await get_community(session, community_id)
    phones, digests = await _existing(session, community_id)
    given = sorted({(raw.get("number") or "").strip() for _, raw in roster.rows} - {""})
    checker = _RowChecker(
        vault=vault, phones=phones, digests=digests, taken_numbers=await _taken_numbers(session, given),
        teams=await repository.teams_by_name(session, community_id),
        grids={g.name: g.id for g in (await session.scalars(select(Grid).where(Grid.community_id == community_id)))},
    )
    # Checking is pure computation (seconds for 100,000 rows): in a worker thread, so the server goes on answering.
    valid, skipped, skipped_count = await anyio.to_thread.run_sync(partial(_check_all, checker, roster, on_progress))
    created = 0
    if not dry_run and valid:
        created = await _insert(session, community=community, vault=vault, valid=valid, reserved=set(given),
                                on_progress=on_progress)
        await record_audit(session, actor=actor, action="volunteer.import", entity_type="community",
                           entity_id=community_id, community_id=community_id,
                           after={"file": filename, "created": created, "skipped": skipped_count,
                                  "rows": len(roster.rows)})
    return ImportReport(dry_run=dry_run, community_id=community_id, total_rows=len(roster.rows),
                        valid_rows=len(valid), created=created, skipped=skipped_count, skipped_rows=skipped,
                        skipped_rows_truncated=skipped_count > len(skipped), columns=roster.columns,
                        seconds=round(time.monotonic() - started, 3))


async def _insert(session: AsyncSession, *, community: Any, vault: IdentityVault, valid: list[_Valid],
                  reserved: set[str], on_progress: Progress | None) -> int:
    missing = [v for v in valid if not v.values["number"]]
    numbers = iter(await allocate_numbers(session, community=community, count=len(missing), reserved=reserved))
    now = dt.datetime.now(dt.UTC)
    table = table_of(Volunteer)
    for start in range(0, len(valid), CHUNK):
        chunk = valid[start:start + CHUNK]
        params = []
        for item in chunk:
            row = dict(item.values, community_id=community.id, status=VolunteerStatus.ACTIVE, card_version=1,
                       public_consent=True, created_at=now, approved_at=now, id_number_encrypted=None,
                       id_number_digest=None, id_number_last4=None, id_number_masked=None, status_reason=None)
            row["number"] = row["number"] or next(numbers)
            if item.id_number:
                row.update(id_number_encrypted=vault.encrypt(item.id_number),
                           id_number_digest=vault.digest(item.id_number), id_number_last4=item.id_number[-4:],
                           id_number_masked=mask_id_number(item.id_number))
            params.append(row)
        # A plain executemany (no RETURNING) is the fast path on both drivers; numbers are unique, so they
        # give the new ids back for the team memberships.
        await session.execute(insert(table), params)
        ids_by_number: dict[str, int] = dict((await session.execute(
            select(Volunteer.number, Volunteer.id).where(Volunteer.number.in_([p["number"] for p in params]))
        )).tuples().all())
        ids = [ids_by_number[p["number"]] for p in params]
        memberships = [{"team_id": team_id, "volunteer_id": volunteer_id, "joined_at": now}
                       for item, volunteer_id in zip(chunk, ids, strict=True) for team_id in item.team_ids]
        if memberships:
            await session.execute(insert(table_of(TeamMember)), memberships)
        if on_progress:
            on_progress("write", len(chunk), len(valid))
    return len(valid)
