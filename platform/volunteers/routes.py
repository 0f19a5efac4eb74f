"""Volunteers: list, register, change, approve, suspend, self-registration and roster import."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, patch, post
from litestar.datastructures import State, UploadFile
from litestar.enums import RequestEncodingType
from litestar.openapi.spec import Example
from litestar.params import Body, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.one_time_codes import WrongCode
from servicebank.accounts.principal import Principal
from servicebank.clientip import client_ip
from servicebank.kernel.errors import InvalidInput
from servicebank.org.access import guard
from servicebank.ratelimit import limiter_for
from servicebank.volunteers import card_pin_routes, registration, service
from servicebank.volunteers.claim_routes import LoginClaimController
from servicebank.volunteers.identity import vault
from servicebank.volunteers.importer import import_roster
from servicebank.volunteers.models import Volunteer
from servicebank.volunteers.roster import read_roster_off_loop
from servicebank.volunteers.schemas import (
    ImportReport,
    RegistrationOut,
    SelfRegistration,
    StatusChange,
    VolunteerCreate,
    VolunteerOut,
    VolunteerPage,
    VolunteerPatch,
)
from servicebank.volunteers.team_routes import TeamController


async def volunteer_views(session: AsyncSession, volunteers: list[Volunteer]) -> list[VolunteerOut]:
    ids = [v.id for v in volunteers]
    teams = await service.team_ids_of(session, ids)
    accounts = await service.with_logins(session, ids)
    return [VolunteerOut(
        id=v.id, community_id=v.community_id, grid_id=v.grid_id, number=v.number, real_name=v.real_name,
        phone=v.phone, id_type=v.id_type, id_number_masked=v.id_number_masked, gender=v.gender,
        birth_year=v.birth_year, party_class=v.party_class, political_status=v.political_status,
        skill_tags=list(v.skill_tags or []), status=v.status, status_reason=v.status_reason,
        paid_service=v.paid_service, public_consent=v.public_consent, card_version=v.card_version,
        team_ids=teams.get(v.id, []), has_account=v.id in accounts, created_at=v.created_at,
        approved_at=v.approved_at) for v in volunteers]


async def volunteer_view(session: AsyncSession, volunteer: Volunteer) -> VolunteerOut:
    return (await volunteer_views(session, [volunteer]))[0]


# Sign-ups per client address and hour: a family or a help desk signing up several people fits, a script does not.
REGISTRATIONS_PER_HOUR = 10
_CREATE_EXAMPLE = Example(summary="register a volunteer", value={
    "community_id": 1, "real_name": "王秀英", "phone": "13900001234", "id_number": "11010519491231002X",
    "grid_id": 1, "skill_tags": ["理发", "医疗"], "team_ids": [1], "party_class": "退休", "political_status": "党员"})
_REGISTER_EXAMPLE = Example(summary="sign up", value={
    "community_id": 1, "real_name": "李桂兰", "phone": "13900005678", "password": "my-secret-9",
    "skill_tags": ["文艺"]})
_PATCH_EXAMPLE = Example(summary="change phone and tags", value={"phone": "13900009999", "skill_tags": ["维修"]})
_SUSPEND_EXAMPLE = Example(summary="suspend", value={"reason": "长期未参加活动, 联系不上"})
_NOTE_EXAMPLE = Example(summary="optional note", value={"reason": "已电话核实"})
OptionalNote = Annotated[StatusChange | None, Body(examples=[_NOTE_EXAMPLE])]


class VolunteerController(Controller):
    path = "/api/volunteers"
    tags = ["volunteers"]

    @get("/")
    async def list_volunteers(
        self, db_session: AsyncSession, principal: Principal,
        community_id: Annotated[int, Parameter(description="The community to list")],
        q: Annotated[str | None, Parameter(description="Part of a name, phone or volunteer number")] = None,
        status: Annotated[str | None, Parameter(description="pending, active, suspended or left")] = None,
        team_id: int | None = None, grid_id: int | None = None,
        skill: Annotated[str | None, Parameter(description="A skill tag, e.g. 理发")] = None,
        paid_service: bool | None = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 50, offset: Annotated[int, Parameter(ge=0)] = 0,
    ) -> VolunteerPage:
        """Volunteers of a community, filtered and paginated. Organisers see all; team leaders see the members
        of their teams; others get 403 (same community) or 404."""
        rows, total = await service.list_volunteers(
            db_session, actor=principal, community_id=community_id, limit=limit, offset=offset, status=status,
            search=q, team_id=team_id, grid_id=grid_id, skill=skill, paid_service=paid_service)
        return VolunteerPage(items=await volunteer_views(db_session, rows), total=total, limit=limit, offset=offset)

    @post("/", status_code=201)
    async def create(self, db_session: AsyncSession, principal: Principal, state: State,
                     data: Annotated[VolunteerCreate, Body(examples=[_CREATE_EXAMPLE])]) -> VolunteerOut:
        """Register a volunteer (active at once). The ID number is validated (居民身份证: 18 characters with
        check digit), stored encrypted and only ever shown masked. A number "<code>-000123" is allocated
        unless given. Errors: 404 `community_not_found` / `grid_not_found` / `team_not_found`, 409
        `duplicate_phone` / `duplicate_id_number` / `duplicate_volunteer_number`, 422 `invalid_phone` /
        `invalid_id_number`."""
        volunteer = await service.create_volunteer(db_session, actor=principal, vault=vault(state.settings), data=data)
        return await volunteer_view(db_session, volunteer)

    @post("/register", status_code=202, exclude_from_auth=True)
    async def register(self, request: Request, db_session: AsyncSession, state: State,
                       data: Annotated[SelfRegistration, Body(examples=[_REGISTER_EXAMPLE])]) -> RegistrationOut:
        """Sign up as a volunteer (no login needed). Every well-formed sign-up gets the same 202 answer, whether or
        not the phone is already known, so nobody learns who is registered where. A new phone gets a pending
        volunteer and a login at once; a phone the platform knows gets a login only after an organiser of the
        community approves the claim (`/api/communities/{id}/login-claims`); a phone with a login is told in its
        inbox. Errors (about the form only): 404 `community_not_found` / `grid_not_found`, 422 `invalid_phone` /
        `invalid_name` / `weak_password` / `invalid_id_number`; 429 `rate_limited` past 10 sign-ups an hour from
        one address. With the `gateway` SMS provider `sms_code` (texted by POST /api/auth/codes, purpose
        `register`) is required: 400 `otp_wrong` / `otp_expired` / `otp_used`, 429 `otp_too_many_attempts`; a
        record of the community with that phone and no login then gets its login at once."""
        # By address, never by a token: a sign-up has no login, and made-up tokens would each count afresh.
        await limiter_for(state.settings).hit(f"register:{client_ip(request) or 'unknown'}",
                                              limit=REGISTRATIONS_PER_HOUR, window_seconds=3600, what="sign-ups")
        try:
            await registration.register_self(db_session, settings=state.settings, vault=vault(state.settings),
                                             data=data)
        except WrongCode:
            await db_session.commit()  # the wrong try (the only write so far) must count
            raise
        return RegistrationOut(status="submitted", message=registration.SUBMITTED)

    @get("/me")
    async def me(self, db_session: AsyncSession, principal: Principal) -> VolunteerOut:
        """Your own volunteer record (403 `volunteer_required` for staff-only logins)."""
        volunteer_id = principal.require_volunteer()
        return await volunteer_view(db_session, await service.volunteer_for(db_session, actor=principal,
                                                                            volunteer_id=volunteer_id))

    @get("/{volunteer_id:int}")
    async def get_volunteer(self, db_session: AsyncSession, principal: Principal, volunteer_id: int) -> VolunteerOut:
        """One volunteer: organisers of the community, leaders of one of their teams, or the volunteer."""
        return await volunteer_view(db_session, await service.volunteer_for(db_session, actor=principal,
                                                                            volunteer_id=volunteer_id))

    @patch("/{volunteer_id:int}")
    async def update(self, db_session: AsyncSession, principal: Principal, state: State, volunteer_id: int,
                     data: Annotated[VolunteerPatch, Body(examples=[_PATCH_EXAMPLE])]) -> VolunteerOut:
        """Change a volunteer's details (only the fields given). Organisers of the community."""
        volunteer = await service.update_volunteer(db_session, actor=principal, vault=vault(state.settings),
                                                   volunteer_id=volunteer_id, data=data)
        return await volunteer_view(db_session, volunteer)

    async def _status(self, db_session: AsyncSession, principal: Principal, volunteer_id: int, action: str,
                      data: StatusChange | None) -> VolunteerOut:
        volunteer = await service.change_status(db_session, actor=principal, volunteer_id=volunteer_id, action=action,
                                                reason=data.reason if data else None)
        return await volunteer_view(db_session, volunteer)

    @post("/{volunteer_id:int}/approve", status_code=200)
    async def approve(self, db_session: AsyncSession, principal: Principal, volunteer_id: int,
                      data: OptionalNote = None) -> VolunteerOut:
        """Approve a self-registered (pending) volunteer; 409 `invalid_status_change` otherwise."""
        return await self._status(db_session, principal, volunteer_id, "approve", data)

    @post("/{volunteer_id:int}/suspend", status_code=200)
    async def suspend(self, db_session: AsyncSession, principal: Principal, volunteer_id: int,
                      data: Annotated[StatusChange, Body(examples=[_SUSPEND_EXAMPLE])]) -> VolunteerOut:
        """Suspend a volunteer, with a reason (422 `reason_required`). Their hours stay on record."""
        return await self._status(db_session, principal, volunteer_id, "suspend", data)

    @post("/{volunteer_id:int}/reactivate", status_code=200)
    async def reactivate(self, db_session: AsyncSession, principal: Principal, volunteer_id: int,
                         data: OptionalNote = None) -> VolunteerOut:
        """Make a suspended or departed volunteer active again."""
        return await self._status(db_session, principal, volunteer_id, "reactivate", data)

    @post("/{volunteer_id:int}/leave", status_code=200)
    async def leave(self, db_session: AsyncSession, principal: Principal, volunteer_id: int,
                    data: OptionalNote = None) -> VolunteerOut:
        """Record that a volunteer left (moved away, stopped); never deletes their records."""
        return await self._status(db_session, principal, volunteer_id, "leave", data)

    @post("/import", status_code=200)
    async def import_file(
        self, db_session: AsyncSession, principal: Principal, state: State,
        community_id: Annotated[int, Parameter(description="The community to import into")],
        data: Annotated[UploadFile, Body(media_type=RequestEncodingType.MULTI_PART,
                                         description="field `file`: the roster as .xlsx or .csv")],
        dry_run: Annotated[bool, Parameter(description="Only check the rows; change nothing")] = False,
    ) -> ImportReport:
        """Import a roster (花名册) from .xlsx or .csv. Headers such as 姓名, 手机号, 身份证号, 网格, 服务队, 技能
        are recognised. `dry_run=true` lists per-row errors with the spreadsheet's row numbers; a real run
        imports every valid row in one transaction and reports the skipped ones. Errors: 413
        `upload_too_large`, 413 `import_too_large` (a workbook past the reading limits: rows, columns, unpacked
        size, shared strings), 415 `unsupported_file`, 422 `unreadable_spreadsheet` / `missing_columns`."""
        guard(principal.require_manager, community_id, code="community_not_found", what="community")
        if not isinstance(data, UploadFile):
            raise InvalidInput("Send the roster as a multipart form field named `file`.", code="file_required")
        content = await data.read()
        roster = await read_roster_off_loop(content, filename=data.filename,
                                            max_bytes=state.settings.max_upload_bytes)
        return await import_roster(db_session, actor=principal, vault=vault(state.settings),
                                   community_id=community_id, roster=roster, dry_run=dry_run, filename=data.filename)


ROUTES = [VolunteerController, TeamController, LoginClaimController, *card_pin_routes.ROUTES]
