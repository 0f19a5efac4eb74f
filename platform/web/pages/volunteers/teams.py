"""Organiser pages for teams (志愿服务队): the list with a create form, one team with its members and leaders."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.errors import DomainError, NotFound
from servicebank.org import service as org
from servicebank.volunteers import service, teams
from servicebank.volunteers.schemas import TeamCreate, TeamPatch
from servicebank.web import forms, friendly, i18n
from servicebank.web.guard import require_login
from servicebank.web.render import lang_of, redirect, render


class TeamPages(Controller):
    path = "/manage/teams"
    include_in_schema = False

    @get("/")
    async def list_(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                    community: int | None = None) -> Response:
        """The community's teams with their sizes and leaders; organisers create new ones here."""
        principal = require_login(optional_principal)
        chosen, choices = await org.pick_workplace(db_session, actor=principal, community_id=community)
        return await _list(request, db_session, principal, chosen.id, choices, {}, None)

    @post("/")
    async def create(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None) -> Response:
        """Create a team."""
        principal = require_login(optional_principal)
        form = forms.values(await request.form())
        community_id = int(forms.text(form, "community_id") or 0)
        try:
            team = await teams.create_team(db_session, actor=principal, data=TeamCreate(
                community_id=community_id, name=forms.text(form, "name"), kind=forms.text(form, "kind"),
                description=forms.text(form, "description") or None))
        except DomainError as exc:
            chosen, choices = await org.pick_workplace(db_session, actor=principal, community_id=community_id)
            return await _list(request, db_session, principal, chosen.id, choices, form,
                               await friendly.refused(request, db_session, exc))
        return redirect(request, f"/manage/teams/{team.id}?done=created")

    @get("/{team_id:int}")
    async def show(self, request: Request, team_id: int, db_session: AsyncSession,
                   optional_principal: Principal | None, done: str | None = None,
                   error: str | None = None) -> Response:
        """One team: members (leaders marked), add or remove members, appoint leaders, change the team."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        team = await teams.team_for(db_session, actor=principal, team_id=team_id, lead=True)
        grants = await teams.leaders_of(db_session, [team.id])
        leader_users = {user.volunteer_id: user.id for _grant, user in grants}
        problem = friendly.MESSAGES.get(error or "")
        return render(request, "volunteers/team.html", principal, title=team.name, team=team,
                      members=await teams.members_of(db_session, team.id), leader_users=leader_users,
                      may_manage=principal.manages(team.community_id), kinds=teams.BUILT_IN_KINDS,
                      error=_(problem) if problem else None, flash=_(DONE[done]) if done in DONE else None)

    @post("/{team_id:int}/edit")
    async def edit(self, request: Request, team_id: int, db_session: AsyncSession,
                   optional_principal: Principal | None) -> Response:
        """Rename the team or change its kind or description."""
        principal = require_login(optional_principal)
        form = forms.values(await request.form())
        data = msgspec.convert({"name": forms.text(form, "name"), "kind": forms.text(form, "kind"),
                                "description": forms.text(form, "description") or None}, TeamPatch)
        return await _act(request, db_session, team_id, "saved",
                          teams.update_team(db_session, actor=principal, team_id=team_id, data=data))

    @post("/{team_id:int}/members")
    async def add_member(self, request: Request, team_id: int, db_session: AsyncSession,
                         optional_principal: Principal | None) -> Response:
        """Add a volunteer of the community, found by volunteer number or phone."""
        principal = require_login(optional_principal)
        form = forms.values(await request.form())
        team = await teams.team_for(db_session, actor=principal, team_id=team_id, manage=True)
        found = await _find(db_session, principal, team.community_id, forms.text(form, "who"))
        make_leader = forms.text(form, "leader") == "1"
        if found is None:
            return redirect(request, f"/manage/teams/{team_id}?error=volunteer_not_found")
        action = (teams.assign_leader(db_session, actor=principal, team_id=team_id, volunteer_id=found)
                  if make_leader else
                  teams.add_members(db_session, actor=principal, team_id=team_id, volunteer_ids=[found]))
        return await _act(request, db_session, team_id, "leader" if make_leader else "added", action)

    @post("/{team_id:int}/members/{volunteer_id:int}/remove")
    async def remove_member(self, request: Request, team_id: int, volunteer_id: int, db_session: AsyncSession,
                            optional_principal: Principal | None) -> Response:
        """Take a volunteer off the team (their hours stay theirs)."""
        principal = require_login(optional_principal)
        return await _act(request, db_session, team_id, "removed", teams.remove_member(
            db_session, actor=principal, team_id=team_id, volunteer_id=volunteer_id))

    @post("/{team_id:int}/members/{volunteer_id:int}/lead")
    async def make_leader(self, request: Request, team_id: int, volunteer_id: int, db_session: AsyncSession,
                          optional_principal: Principal | None) -> Response:
        """Make a member (who has a login) a leader of the team."""
        principal = require_login(optional_principal)
        return await _act(request, db_session, team_id, "leader", teams.assign_leader(
            db_session, actor=principal, team_id=team_id, volunteer_id=volunteer_id))

    @post("/{team_id:int}/leaders/{user_id:int}/remove")
    async def remove_leader(self, request: Request, team_id: int, user_id: int, db_session: AsyncSession,
                            optional_principal: Principal | None) -> Response:
        """End someone's leadership (they stay a member)."""
        principal = require_login(optional_principal)
        return await _act(request, db_session, team_id, "unled", teams.remove_leader(
            db_session, actor=principal, team_id=team_id, user_id=user_id))


DONE = {"created": i18n.N_("The team is created."), "saved": i18n.N_("Saved."),
        "added": i18n.N_("Added to the team."), "removed": i18n.N_("Taken off the team."),
        "leader": i18n.N_("Now a leader of the team."), "unled": i18n.N_("No longer a leader of the team.")}


async def _act(request: Request, session: AsyncSession, team_id: int, done: str, action) -> Response:  # noqa: ANN001
    """Run a team change; a refusal comes back to the team page as a plain-word message (by its code only)."""
    try:
        await action
    except DomainError as exc:
        if isinstance(exc, NotFound) and exc.code == "team_not_found":
            raise
        await session.rollback()
        return redirect(request, f"/manage/teams/{team_id}?error={exc.code}")
    return redirect(request, f"/manage/teams/{team_id}?done={done}")


async def _find(session: AsyncSession, principal: Principal, community_id: int, who: str) -> int | None:
    """The volunteer of the community with exactly this number or phone."""
    if not who:
        return None
    rows, _total = await service.list_volunteers(session, actor=principal, community_id=community_id, search=who,
                                                 limit=20, offset=0)
    exact = [v.id for v in rows if who in (v.number, v.phone)]
    return exact[0] if len(exact) == 1 else None


async def _list(request: Request, session: AsyncSession, principal: Principal, community_id: int, choices: list,
                form: dict, error: str | None) -> Response:
    _ = i18n.translator(lang_of(request))
    rows = await teams.teams_of_community(session, community_id)
    counts = await teams.member_counts(session, [t.id for t in rows])
    leaders: dict[int, list[str]] = {}
    for grant, user in await teams.leaders_of(session, [t.id for t in rows]):
        leaders.setdefault(grant.team_id or 0, []).append(user.display_name)
    community = await org.get_community(session, community_id)
    return render(request, "volunteers/teams.html", principal, status_code=422 if error else 200, title=_("Teams"),
                  community=community, choices=choices, rows=rows, counts=counts, leaders=leaders, form=form,
                  error=error, kinds=teams.BUILT_IN_KINDS, may_manage=principal.manages(community_id))
