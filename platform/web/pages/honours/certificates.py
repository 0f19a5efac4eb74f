"""Certificates (志愿服务证明) for organisers: find a volunteer, issue for a period, download the PDF, revoke;
and the volunteers' own requests waiting to be issued or rejected."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.honours import certificates
from servicebank.honours.access import require_community_manager
from servicebank.kernel.errors import DomainError, InvalidInput
from servicebank.org import service as org
from servicebank.volunteers import service as volunteers
from servicebank.volunteers.models import Volunteer
from servicebank.web import forms, friendly, i18n
from servicebank.web.guard import require_login
from servicebank.web.render import lang_of, redirect, render


def _date(form: dict, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(forms.text(form, name))
    except ValueError:
        raise InvalidInput(i18n.N_("Please give the dates of the period."), code="invalid_input") from None


class CertificatePages(Controller):
    path = "/manage/certificates"
    include_in_schema = False

    @get("/")
    async def page(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                   community: int | None = None, q: str | None = None, volunteer: int | None = None,
                   done: str | None = None) -> Response:
        """Requests to decide, the issue form (after finding the volunteer) and every certificate issued."""
        principal = require_login(optional_principal)
        chosen, choices = await org.pick_workplace(db_session, actor=principal, community_id=community)
        require_community_manager(principal, chosen.id)
        return await _page(request, db_session, principal, chosen, choices, q=q, volunteer_id=volunteer, form={},
                           error=None, done=done)

    @post("/issue")
    async def issue(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None) -> Response:
        """Issue a certificate with the hours credited in the period (frozen at issue)."""
        principal = require_login(optional_principal)
        form = forms.values(await request.form())
        community_id = int(forms.text(form, "community_id") or 0)
        volunteer_id = int(forms.text(form, "volunteer_id") or 0)
        try:
            cert = await certificates.issue(
                db_session, principal=principal, community_id=community_id, volunteer_id=volunteer_id,
                period_start=_date(form, "period_start"), period_end=_date(form, "period_end"),
                person_in_charge=forms.text(form, "person_in_charge") or None,
                contact_phone=forms.text(form, "contact_phone") or None, purpose=forms.text(form, "purpose") or None,
                timezone=request.app.state.settings.timezone)
        except DomainError as exc:
            await db_session.rollback()
            chosen, choices = await org.pick_workplace(db_session, actor=principal, community_id=community_id)
            return await _page(request, db_session, principal, chosen, choices, q=None, volunteer_id=volunteer_id,
                               form=form, error=friendly.explain(exc, i18n.translator(lang_of(request))), done=None)
        return redirect(request, f"/manage/certificates?community={cert.community_id}&done=issued#cert-{cert.id}")

    @post("/{certificate_id:int}/issue")
    async def issue_requested(self, request: Request, certificate_id: int, db_session: AsyncSession,
                              optional_principal: Principal | None) -> Response:
        """Issue a certificate a volunteer asked for."""
        principal = require_login(optional_principal)
        form = forms.values(await request.form())
        cert = await certificates.issue_requested(
            db_session, principal=principal, certificate_id=certificate_id,
            person_in_charge=forms.text(form, "person_in_charge") or None,
            contact_phone=forms.text(form, "contact_phone") or None, timezone=request.app.state.settings.timezone)
        return redirect(request, f"/manage/certificates?community={cert.community_id}&done=issued#cert-{cert.id}")

    @post("/{certificate_id:int}/revoke")
    async def revoke(self, request: Request, certificate_id: int, db_session: AsyncSession,
                     optional_principal: Principal | None) -> Response:
        """Revoke an issued certificate (verification then says so) or reject a request, with a reason."""
        principal = require_login(optional_principal)
        form = forms.values(await request.form())
        cert = await certificates.close(db_session, principal=principal, certificate_id=certificate_id,
                                        reason=forms.text(form, "reason"))
        return redirect(request, f"/manage/certificates?community={cert.community_id}&done={cert.status}")


DONE = {"issued": i18n.N_("The certificate is issued. Download the PDF below."),
        "revoked": i18n.N_("The certificate is revoked."), "rejected": i18n.N_("The request is rejected.")}


async def _page(request: Request, session: AsyncSession, principal: Principal, community, choices: list, *,  # noqa: ANN001
                q: str | None, volunteer_id: int | None, form: dict, error: str | None, done: str | None) -> Response:
    _ = i18n.translator(lang_of(request))
    found: list[Volunteer] = []
    if q and q.strip():
        found, _total = await volunteers.list_volunteers(session, actor=principal, community_id=community.id,
                                                         search=q.strip(), limit=10, offset=0)
    chosen = await volunteers.get_volunteer(session, volunteer_id) if volunteer_id else None
    if chosen is not None and chosen.community_id != community.id:
        chosen = None
    rows = await certificates.list_certificates(session, principal=principal, community_id=community.id, status=None)
    today = dt.datetime.now(ZoneInfo(request.app.state.settings.timezone)).date()
    form = {"period_start": f"{today.year}-01-01", "period_end": today.isoformat(), **form}
    return render(request, "honours/certificates_manage.html", principal, status_code=422 if error else 200,
                  title=_("Certificates"), community=community, choices=choices, q=q or "", found=found,
                  chosen=chosen, form=form, error=error, rows=rows,
                  requests=[c for c in rows if c.status == "requested"],
                  flash=_(DONE[done]) if done in DONE else None)
