"""The administrators' pages (street office and platform): the communities of their streets with this month's
figures and organisers, creating a community, a community's staff logins (appoint an organiser, take a role
away, a new first password, disable or enable, lift a login wait) and the activity proposals to decide.

Everything goes through the services the API uses (org, accounts.staff, accounts.staff_care,
activities.proposals); the reports, audit log, honour lists and certificates are the pages organisers use too,
linked from here with the street or community chosen."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts import staff, staff_care
from servicebank.accounts.models import Role
from servicebank.accounts.principal import Principal
from servicebank.accounts.schemas import StaffCreate
from servicebank.activities import proposals
from servicebank.activities.browse import list_activities
from servicebank.activities.models import ActivityStatus
from servicebank.activities.service import get_for_staff
from servicebank.kernel.errors import DomainError, Forbidden, InvalidInput
from servicebank.ledger import service as ledger
from servicebank.org import directory
from servicebank.org import service as org
from servicebank.org.schemas import CommunityIn
from servicebank.web import forms, friendly, i18n
from servicebank.web.audit_text import ROLE_WORDS
from servicebank.web.guard import require_login
from servicebank.web.i18n import N_
from servicebank.web.render import lang_of, redirect, render

REASON_NEEDED = N_("Please give a reason of up to 500 characters; the community's organiser will read it.")
DONE = {"created": N_("The login is created. Tell the person their username and first password."),
        "password": N_("The new password is set. Tell it to the person; their other sessions have ended."),
        "disabled": N_("The login is disabled: it is logged out everywhere and cannot log in."),
        "enabled": N_("The login can log in again."),
        "unlocked": N_("The wait is lifted: the person can log in again now."),
        "revoked": N_("The role is taken away."),
        "community": N_("The community is created. Now appoint its organiser."),
        "approved": N_("The proposal is approved and the activity published."),
        "rejected": N_("The proposal is sent back to the community with your reason.")}


def administrator(optional_principal: Principal | None) -> Principal:
    """The logged-in administrator; anyone else is told in words whose pages these are."""
    principal = require_login(optional_principal)
    if not directory.administers(principal):
        raise Forbidden("Only the platform or street administrator can do this.", code="admin_required")
    return principal


def _this_month(request: Request) -> str:
    today = dt.datetime.now(ZoneInfo(request.app.state.settings.timezone)).date()
    return f"{today.year:04d}-{today.month:02d}"


def _message(_, done: str | None, error: str | None) -> tuple[str | None, str]:  # noqa: ANN001
    """The flash after an action, from known codes in the address only."""
    if error and error in friendly.MESSAGES:
        return _(friendly.MESSAGES[error]), "bad"
    return (_(DONE[done]), "ok") if done in DONE else (None, "ok")


class AdminPages(Controller):
    path = "/admin"
    include_in_schema = False

    @get("/")
    async def overview(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                       done: str | None = None) -> Response:
        """Each street's communities with this month's hours, active volunteers and organisers; what waits."""
        principal = administrator(optional_principal)
        _ = i18n.translator(lang_of(request))
        groups = await directory.street_groups(db_session, actor=principal)
        ids = [c.id for g in groups for c in g.communities]
        month = _this_month(request)
        waiting, _total = await list_activities(db_session, principal=principal,
                                                status=[ActivityStatus.PENDING_APPROVAL], limit=50)
        names = {c.id: c.name for g in groups for c in g.communities}
        flash, kind = _message(_, done, None)
        return render(request, "org/admin_home.html", principal, title=_("Administration"), groups=groups,
                      figures=await ledger.figures_of_communities(db_session, community_ids=ids, period=month),
                      organisers=await staff_care.organisers_by_community(db_session, ids), month=month,
                      proposals=[(a, names.get(a.community_id, "")) for a in waiting], flash=flash, flash_kind=kind)

    @get("/communities/new")
    async def new_community(self, request: Request, db_session: AsyncSession,
                            optional_principal: Principal | None, street: int | None = None) -> Response:
        """The form for a new community in one of the caller's streets."""
        principal = administrator(optional_principal)
        return await _community_form(request, db_session, principal, {"street": str(street or "")}, None)

    @post("/communities/new")
    async def create_community(self, request: Request, db_session: AsyncSession,
                               optional_principal: Principal | None) -> Response:
        """Create it through the same service as POST /api/communities, then on to appointing its organiser."""
        principal = administrator(optional_principal)
        form = forms.values(await request.form())
        where = forms.text(form, "street")
        try:
            district_id, street_id = await _place(db_session, principal, where)
            community = await org.create_community(db_session, actor=principal, data=CommunityIn(
                district_id=district_id, street_id=street_id, name=forms.text(form, "name"),
                code=forms.text(form, "code"), contact_phone=forms.text(form, "contact_phone") or None))
        except DomainError as exc:
            return await _community_form(request, db_session, principal, form,
                                         await friendly.refused(request, db_session, exc))
        return redirect(request, f"/admin/communities/{community.id}/staff?done=community")

    @get("/communities/{community_id:int}/staff")
    async def staff_page(self, request: Request, community_id: int, db_session: AsyncSession,
                         optional_principal: Principal | None, done: str | None = None,
                         error: str | None = None) -> Response:
        """The community's staff logins with their roles, and a form to appoint an organiser."""
        principal = administrator(optional_principal)
        _ = i18n.translator(lang_of(request))
        flash, kind = _message(_, done, error)
        return await _staff_page(request, db_session, principal, community_id, {}, None, flash=flash,
                                 flash_kind=kind)

    @post("/communities/{community_id:int}/staff")
    async def appoint(self, request: Request, community_id: int, db_session: AsyncSession,
                      optional_principal: Principal | None) -> Response:
        """A new organiser login for the community (POST /api/users)."""
        principal = administrator(optional_principal)
        form = forms.values(await request.form())
        try:
            await staff.create_staff(db_session, actor=principal, data=StaffCreate(
                display_name=forms.text(form, "display_name"), password=forms.text(form, "password"),
                role=Role.ORGANISER, username=forms.text(form, "username") or None,
                phone=forms.text(form, "phone") or None, community_id=community_id))
        except DomainError as exc:
            return await _staff_page(request, db_session, principal, community_id, form,
                                     await friendly.refused(request, db_session, exc))
        return redirect(request, f"/admin/communities/{community_id}/staff?done=created")

    @post("/communities/{community_id:int}/staff/{user_id:int}/password")
    async def new_password(self, request: Request, community_id: int, user_id: int, db_session: AsyncSession,
                           optional_principal: Principal | None) -> Response:
        """Set a new first password for someone who forgot theirs."""
        principal = administrator(optional_principal)
        form = forms.values(await request.form())
        return await _care(request, db_session, community_id, "password", staff_care.reset_password(
            db_session, actor=principal, user_id=user_id, new_password=forms.text(form, "password")))

    @post("/communities/{community_id:int}/staff/{user_id:int}/disable")
    async def disable(self, request: Request, community_id: int, user_id: int, db_session: AsyncSession,
                      optional_principal: Principal | None) -> Response:
        """Stop a login (someone left, a lost phone): logged out everywhere, no new login."""
        principal = administrator(optional_principal)
        form = forms.values(await request.form())
        return await _care(request, db_session, community_id, "disabled", staff_care.set_active(
            db_session, actor=principal, user_id=user_id, active=False, reason=forms.text(form, "reason")))

    @post("/communities/{community_id:int}/staff/{user_id:int}/enable")
    async def enable(self, request: Request, community_id: int, user_id: int, db_session: AsyncSession,
                     optional_principal: Principal | None) -> Response:
        principal = administrator(optional_principal)
        return await _care(request, db_session, community_id, "enabled", staff_care.set_active(
            db_session, actor=principal, user_id=user_id, active=True))

    @post("/communities/{community_id:int}/staff/{user_id:int}/unlock")
    async def unlock(self, request: Request, community_id: int, user_id: int, db_session: AsyncSession,
                     optional_principal: Principal | None) -> Response:
        """Lift the wait after too many wrong passwords."""
        principal = administrator(optional_principal)
        return await _care(request, db_session, community_id, "unlocked", staff_care.lift_login_wait(
            db_session, actor=principal, user_id=user_id))

    @post("/communities/{community_id:int}/grants/{grant_id:int}/revoke")
    async def revoke(self, request: Request, community_id: int, grant_id: int, db_session: AsyncSession,
                     optional_principal: Principal | None) -> Response:
        """Take one role away (DELETE /api/users/grants/{id})."""
        principal = administrator(optional_principal)
        return await _care(request, db_session, community_id, "revoked", staff.revoke_grant(
            db_session, actor=principal, grant_id=grant_id))

    @get("/proposals/{activity_id:int}")
    async def proposal(self, request: Request, activity_id: int, db_session: AsyncSession,
                       optional_principal: Principal | None) -> Response:
        """One 项目申请: the activity, its goals, budget, expected participants and schedule, and the decision."""
        principal = administrator(optional_principal)
        return await _proposal_page(request, db_session, principal, activity_id, None)

    @post("/proposals/{activity_id:int}/approve")
    async def approve(self, request: Request, activity_id: int, db_session: AsyncSession,
                      optional_principal: Principal | None) -> Response:
        principal = administrator(optional_principal)
        form = forms.values(await request.form())
        try:
            await proposals.approve(db_session, principal=principal, activity_id=activity_id,
                                    note=forms.text(form, "note")[:500] or None)
        except DomainError as exc:
            return await _proposal_page(request, db_session, principal, activity_id,
                                        await friendly.refused(request, db_session, exc))
        return redirect(request, "/admin?done=approved")

    @post("/proposals/{activity_id:int}/reject")
    async def reject(self, request: Request, activity_id: int, db_session: AsyncSession,
                     optional_principal: Principal | None) -> Response:
        principal = administrator(optional_principal)
        form = forms.values(await request.form())
        reason = forms.text(form, "reason")
        try:
            if not reason or len(reason) > 500:
                raise InvalidInput(REASON_NEEDED, code="reason_required")
            await proposals.reject(db_session, principal=principal, activity_id=activity_id, reason=reason)
        except DomainError as exc:
            return await _proposal_page(request, db_session, principal, activity_id,
                                        await friendly.refused(request, db_session, exc))
        return redirect(request, "/admin?done=rejected")


async def _place(session: AsyncSession, principal: Principal, where: str) -> tuple[int, int | None]:
    """(district, street) from the form's choice: "street:3", or "district:1" for a community without a street
    (platform admins only)."""
    kind, _sep, raw = where.partition(":")
    if kind == "street" and raw.isdigit():
        for street, district in await directory.streets_in_reach(session, actor=principal):
            if street.id == int(raw):
                return district.id, street.id
    if kind == "district" and raw.isdigit():
        for district in await directory.districts_in_reach(session, actor=principal):
            if district.id == int(raw):
                return district.id, None
    raise InvalidInput(N_("Please choose the street the community belongs to."), code="street_not_found")


async def _community_form(request: Request, session: AsyncSession, principal: Principal, form: dict[str, Any],
                          error: str | None) -> Response:
    _ = i18n.translator(lang_of(request))
    return render(request, "org/admin_community_form.html", principal, status_code=422 if error else 200,
                  title=_("New community"), form=form, error=error,
                  streets=await directory.streets_in_reach(session, actor=principal),
                  districts=await directory.districts_in_reach(session, actor=principal))


async def _staff_page(request: Request, session: AsyncSession, principal: Principal, community_id: int,
                      form: dict[str, Any], error: str | None, **extra: Any) -> Response:
    _ = i18n.translator(lang_of(request))
    community = await org.community_for(session, actor=principal, community_id=community_id)
    users = await staff.staff_of_community(session, actor=principal, community_id=community_id)
    grants = await staff.grants_by_user(session, [u.id for u in users])
    return render(request, "org/admin_staff.html", principal, status_code=422 if error else 200,
                  title=_("Staff logins"), community=community, users=users, grants=grants, form=form,
                  error=error, role_words=ROLE_WORDS, waits=await staff_care.login_waits(session, [u.id for u in users]),
                  **extra)


async def _care(request: Request, session: AsyncSession, community_id: int, done: str, action) -> Response:  # noqa: ANN001
    """Run one change to a login; a refusal comes back to the staff page in words (by its code only)."""
    try:
        await action
    except DomainError as exc:
        await session.rollback()
        if exc.code not in friendly.MESSAGES:
            raise
        return redirect(request, f"/admin/communities/{community_id}/staff?error={exc.code}")
    return redirect(request, f"/admin/communities/{community_id}/staff?done={done}")


async def _proposal_page(request: Request, session: AsyncSession, principal: Principal, activity_id: int,
                         error: str | None) -> Response:
    _ = i18n.translator(lang_of(request))
    proposal = await proposals.get_proposal(session, principal=principal, activity_id=activity_id)
    activity = await get_for_staff(session, principal=principal, activity_id=activity_id)
    community = await org.community_for(session, actor=principal, community_id=activity.community_id)
    return render(request, "org/admin_proposal.html", principal, status_code=422 if error else 200,
                  title=_("Activity proposal"), proposal=proposal, activity=activity, community=community,
                  error=error, pending=activity.status == ActivityStatus.PENDING_APPROVAL)
