"""Organiser pages for volunteers: the searchable list, one volunteer's record (masked ID number, teams, hours and
points, QR card), registering and changing volunteers, approving self-registrations, suspending, reissuing cards."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.checkins import kiosk, records
from servicebank.kernel.errors import DomainError, InvalidInput
from servicebank.kernel.qr import qr_data_uri
from servicebank.ledger.service import account_view
from servicebank.org import service as org
from servicebank.records import views as record_views
from servicebank.requests import ratings
from servicebank.volunteers import card_pin, service, teams
from servicebank.volunteers.identity import ID_TYPES, vault
from servicebank.volunteers.models import VolunteerStatus
from servicebank.volunteers.schemas import VolunteerCreate, VolunteerPatch
from servicebank.web import forms, friendly, i18n
from servicebank.web.guard import require_login
from servicebank.web.pages.records import insurance as pages_insurance
from servicebank.web.pages.records import no_shows as pages_no_shows
from servicebank.web.pages.records import qualifications as pages_qualifications
from servicebank.web.pages.records import trainings as pages_trainings
from servicebank.web.pages.volunteers import claims as pages_claims
from servicebank.web.render import lang_of, redirect, render

PAGE_SIZE = 30
STATUSES = (VolunteerStatus.PENDING, VolunteerStatus.ACTIVE, VolunteerStatus.SUSPENDED, VolunteerStatus.LEFT)
ACTIONS = ("approve", "suspend", "reactivate", "leave")
TEXT_FIELDS = ("real_name", "phone", "gender", "party_class", "political_status")


def number(text: str | None) -> int | None:
    """A filter's whole number; empty or anything else means no filter."""
    return int(text) if text and text.strip().isdigit() else None


def _details(form: dict[str, Any]) -> dict[str, Any]:
    """The volunteer fields of the form, as the domain's create/patch structs take them."""
    grid = forms.text(form, "grid_id")
    out: dict[str, Any] = {name: forms.text(form, name) or None for name in TEXT_FIELDS}
    out.update(real_name=forms.text(form, "real_name"), phone=forms.text(form, "phone"),
               grid_id=int(grid) if grid.isdigit() else None,
               birth_year=forms.whole(form, "birth_year", i18n.N_("The birth year must be a number such as 1956.")),
               skill_tags=[t for t in forms.LIST_SPLIT.split(forms.text(form, "skill_tags")) if t],
               paid_service=forms.text(form, "paid_service") == "1",
               public_consent=forms.text(form, "public_consent") == "1")
    if forms.text(form, "id_number"):
        out.update(id_type=forms.text(form, "id_type") or None, id_number=forms.text(form, "id_number"))
    return out


def _prefill(volunteer: Any) -> dict[str, Any]:
    form = {name: getattr(volunteer, name) or "" for name in TEXT_FIELDS}
    form.update(grid_id=str(volunteer.grid_id or ""), birth_year=str(volunteer.birth_year or ""),
                skill_tags="、".join(volunteer.skill_tags or []), id_type=volunteer.id_type or "",
                paid_service="1" if volunteer.paid_service else "", public_consent="1" if volunteer.public_consent else "")
    return form


class ManageVolunteerPages(Controller):
    path = "/manage/volunteers"
    include_in_schema = False

    @get("/")
    async def list_(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                    community: int | None = None, q: str | None = None, status: str | None = None,
                    team_text: Annotated[str | None, QueryParameter(name="team")] = None,
                    grid_text: Annotated[str | None, QueryParameter(name="grid")] = None, skill: str | None = None,
                    page_text: Annotated[str | None, QueryParameter(name="page")] = None,
                    done: str | None = None) -> Response:
        """Volunteers of the community by name, phone or number, status, team, grid and skill (team leaders: their
        teams' members)."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        chosen, choices = await org.pick_workplace(db_session, actor=principal, community_id=community)
        # An empty select sends "team=": read the filters as text so that means "any".
        team, grid, page = number(team_text), number(grid_text), max(number(page_text) or 1, 1)
        # Which volunteers the caller may see is the domain's rule (volunteers/access.py), as for the API.
        rows, total = await service.list_volunteers(
            db_session, actor=principal, community_id=chosen.id, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
            status=status if status in STATUSES else None, search=(q or "").strip() or None, team_id=team,
            grid_id=grid, skill=(skill or "").strip() or None)
        _pending_rows, pending = await service.list_volunteers(
            db_session, actor=principal, community_id=chosen.id, limit=1, offset=0, status=VolunteerStatus.PENDING)
        filters = {"community": chosen.id, "q": q or "", "status": status or "", "team": team or "",
                   "grid": grid or "", "skill": skill or ""}
        return render(request, "volunteers/volunteers.html", principal, title=_("Volunteers"), community=chosen,
                      choices=choices, rows=rows, total=total, page=page, pages=max((total - 1) // PAGE_SIZE + 1, 1),
                      filters=filters, statuses=STATUSES, pending=pending,
                      teams=await teams.teams_of_community(db_session, chosen.id),
                      grids=await org.grids_by_name(db_session, community_id=chosen.id),
                      may_manage=principal.manages(chosen.id),
                      flash=_(DONE[done]) if done in DONE else None,
                      **await pages_claims.claims_section(db_session, principal, chosen.id))

    @get("/new")
    async def new(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                  community: int | None = None) -> Response:
        """The form to register a volunteer."""
        principal = require_login(optional_principal)
        chosen, _choices = await org.pick_workplace(db_session, actor=principal, community_id=community)
        principal.require_manager(chosen.id)
        return await _form(request, db_session, principal, chosen.id, None, {"public_consent": "1"}, None)

    @post("/new")
    async def create(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None) -> Response:
        """Register the volunteer (active at once), with teams and a first password when given."""
        principal = require_login(optional_principal)
        form = forms.values(await request.form())
        community_id = int(forms.text(form, "community_id") or 0)
        try:
            data = msgspec.convert({**_details(form), "community_id": community_id,
                                    "team_ids": sorted({int(t) for t in forms.many(form, "team_ids") if t.isdigit()}),
                                    "initial_password": forms.text(form, "initial_password") or None},
                                   VolunteerCreate)
            volunteer = await service.create_volunteer(db_session, actor=principal,
                                                       vault=vault(request.app.state.settings), data=data)
        except (DomainError, msgspec.ValidationError) as exc:
            await db_session.rollback()
            return await _form(request, db_session, principal, community_id, None, form, _explain(request, exc))
        return redirect(request, f"/manage/volunteers/{volunteer.id}?done=created")

    @get("/{volunteer_id:int}")
    async def show(self, request: Request, volunteer_id: int, db_session: AsyncSession,
                   optional_principal: Principal | None, done: str | None = None) -> Response:
        """One volunteer: details with the ID number masked, teams, hours and points, service record, card."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        volunteer = await service.volunteer_for(db_session, actor=principal, volunteer_id=volunteer_id)
        principal.require_staff(volunteer.community_id)
        team_ids = set((await service.team_ids_of(db_session, [volunteer.id])).get(volunteer.id, []))
        its_teams = [t for t in await teams.teams_of_community(db_session, volunteer.community_id) if t.id in team_ids]
        grid = await org.get_grid(db_session, volunteer.grid_id) if volunteer.grid_id else None
        return render(request, "volunteers/volunteer.html", principal, title=volunteer.real_name, volunteer=volunteer,
                      teams=its_teams, grid=grid, may_manage=principal.manages(volunteer.community_id),
                      may_hold_card=principal.speaks_for(community_id=volunteer.community_id, team_ids=team_ids),
                      has_account=bool(await service.with_logins(db_session, [volunteer.id])),
                      account=await account_view(db_session, principal=principal, volunteer_id=volunteer.id, recent=10),
                      attendance=await records.service_record(db_session, volunteer_id=volunteer.id, limit=20),
                      rating=await ratings.of_volunteer(db_session, principal=principal, volunteer_id=volunteer.id),
                      standing=await record_views.standing_for_staff(db_session, principal=principal,
                                                                     volunteer_id=volunteer.id),
                      **(await pages_qualifications.section(db_session, principal, volunteer_id=volunteer.id,
                                                            community_id=volunteer.community_id)
                         if principal.manages(volunteer.community_id)
                         else {"qualifications": None, "qualification_types": None}),
                      **(await pages_trainings.section(db_session, principal, volunteer_id=volunteer.id,
                                                       form_action=f"/manage/volunteers/{volunteer.id}/trainings")
                         if principal.manages(volunteer.community_id) else {"trainings": None}),
                      **(await pages_insurance.section(db_session, principal, volunteer_id=volunteer.id)
                         if principal.manages(volunteer.community_id) else {"covers": None}),
                      flash=_(DONE[done]) if done in DONE else None)

    @get("/{volunteer_id:int}/edit")
    async def edit_form(self, request: Request, volunteer_id: int, db_session: AsyncSession,
                        optional_principal: Principal | None) -> Response:
        """The volunteer's details, ready to change (the ID number is only ever shown masked)."""
        principal = require_login(optional_principal)
        volunteer = await service.volunteer_for(db_session, actor=principal, volunteer_id=volunteer_id, manage=True)
        return await _form(request, db_session, principal, volunteer.community_id, volunteer, _prefill(volunteer), None)

    @post("/{volunteer_id:int}/edit")
    async def edit(self, request: Request, volunteer_id: int, db_session: AsyncSession,
                   optional_principal: Principal | None) -> Response:
        """Save the changes (an ID number typed in replaces the stored one; left empty it stays)."""
        principal = require_login(optional_principal)
        form = forms.values(await request.form())
        volunteer = await service.volunteer_for(db_session, actor=principal, volunteer_id=volunteer_id, manage=True)
        try:
            data = msgspec.convert(_details(form), VolunteerPatch)
            await service.update_volunteer(db_session, actor=principal, vault=vault(request.app.state.settings),
                                           volunteer_id=volunteer_id, data=data)
        except (DomainError, msgspec.ValidationError) as exc:
            await db_session.rollback()
            volunteer = await service.volunteer_for(db_session, actor=principal, volunteer_id=volunteer_id, manage=True)
            return await _form(request, db_session, principal, volunteer.community_id, volunteer, form,
                               _explain(request, exc))
        return redirect(request, f"/manage/volunteers/{volunteer_id}?done=saved")

    @post("/{volunteer_id:int}/status/{action:str}")
    async def change_status(self, request: Request, volunteer_id: int, action: str, db_session: AsyncSession,
                            optional_principal: Principal | None) -> Response:
        """Approve a self-registration, suspend (with a reason), make active again, or record that they left."""
        principal = require_login(optional_principal)
        if action not in ACTIONS:
            raise InvalidInput("Unknown action.", code="invalid_input")
        form = await request.form()
        volunteer = await service.change_status(db_session, actor=principal, volunteer_id=volunteer_id, action=action,
                                                reason=str(form.get("reason", "")).strip() or None)
        if form.get("back") == "list":
            return redirect(request, f"/manage/volunteers?community={volunteer.community_id}&status=pending&done={action}")
        return redirect(request, f"/manage/volunteers/{volunteer_id}?done={action}")

    @get("/{volunteer_id:int}/card")
    async def card(self, request: Request, volunteer_id: int, db_session: AsyncSession,
                   optional_principal: Principal | None) -> Response:
        """The volunteer's printable QR card, for staff to print for someone without a phone."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        card = await kiosk.get_card(db_session, settings=request.app.state.settings, volunteer_id=volunteer_id,
                                    principal=principal)
        return render(request, "volunteers/card.html", principal,
                      title=_("QR card of %(name)s", name=card.volunteer_name), card=card,
                      qr=qr_data_uri(card.token))

    @post("/{volunteer_id:int}/card/reissue")
    async def reissue(self, request: Request, volunteer_id: int, db_session: AsyncSession,
                      optional_principal: Principal | None) -> Response:
        """Revoke every printed card of the volunteer (lost, stolen) and make a new one."""
        principal = require_login(optional_principal)
        form = await request.form()
        await kiosk.reissue_card(db_session, settings=request.app.state.settings, volunteer_id=volunteer_id,
                                 principal=principal, reason=str(form.get("reason", "")).strip() or "Card reissued.")
        return redirect(request, f"/manage/volunteers/{volunteer_id}/card")

    @post("/{volunteer_id:int}/card-pin/reset")
    async def reset_card_pin(self, request: Request, volunteer_id: int, db_session: AsyncSession,
                             optional_principal: Principal | None) -> Response:
        """Clear the volunteer's card PIN or set the one they type at the desk (organisers; audited)."""
        principal = require_login(optional_principal)
        form = await request.form()
        await card_pin.reset_pin(db_session, principal=principal, volunteer_id=volunteer_id,
                                 pin=str(form.get("pin", "")).strip() or None, reason=str(form.get("reason", "")))
        return redirect(request, f"/manage/volunteers/{volunteer_id}?done=pin_reset")


DONE = {"created": i18n.N_("The volunteer is registered."), "saved": i18n.N_("Saved."),
        "approve": i18n.N_("Approved: the volunteer can sign up for activities now."),
        "suspend": i18n.N_("The volunteer is suspended."), "reactivate": i18n.N_("The volunteer is active again."),
        "leave": i18n.N_("Recorded that the volunteer left."),
        "pin_reset": i18n.N_("The card PIN is reset."), **pages_claims.FLASHES,
        **pages_no_shows.FLASHES, **pages_qualifications.FLASHES, **pages_trainings.FLASHES,
        **pages_insurance.FLASHES}


def _explain(request: Request, exc: Exception) -> str:
    error = exc if isinstance(exc, DomainError) else InvalidInput(str(exc), code="invalid_input")
    return friendly.explain(error, i18n.translator(lang_of(request)))


async def _form(request: Request, session: AsyncSession, principal: Principal, community_id: int, volunteer: Any,
                form: dict[str, Any], error: str | None) -> Response:
    _ = i18n.translator(lang_of(request))
    chosen, _choices = await org.pick_workplace(session, actor=principal, community_id=community_id or None)
    principal.require_manager(chosen.id)
    return render(request, "volunteers/volunteer_form.html", principal, status_code=422 if error else 200,
                  title=_("Change the details") if volunteer else _("Register a volunteer"), community=chosen,
                  volunteer=volunteer, form=form, error=error, id_types=ID_TYPES,
                  teams=await teams.teams_of_community(session, chosen.id),
                  grids=await org.grids_by_name(session, community_id=chosen.id))
