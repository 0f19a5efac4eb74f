"""Certificates of volunteer service: issue, request, download, revoke, and the public verification page."""

from __future__ import annotations

from functools import partial

import anyio
from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.honours import certificate_pdf, certificates
from servicebank.honours.models import Certificate, CertificateStatus
from servicebank.honours.schemas import (
    CertificateApproveIn,
    CertificateCheckOut,
    CertificateIssueIn,
    CertificateOut,
    CertificateRequestIn,
    ReasonIn,
)
from servicebank.kernel.errors import InvalidInput
from servicebank.requests.ratings import rating_summary_out


def certificate_out(request: Request, cert: Certificate) -> CertificateOut:
    url = (certificate_pdf.verification_url(request.app.state.settings.public_url, cert)
           if cert.number else None)
    return CertificateOut(
        id=cert.id, community_id=cert.community_id, volunteer_id=cert.volunteer_id, status=cert.status,
        number=cert.number, verification_code=cert.verification_code, period_start=cert.period_start,
        period_end=cert.period_end, purpose=cert.purpose, volunteer_name=cert.volunteer_name, id_type=cert.id_type,
        id_number_masked=cert.id_number_masked, volunteer_number=cert.volunteer_number,
        total_minutes=cert.total_minutes, attendance_count=cert.attendance_count, content=certificates.content_out(cert),
        issuer_name=cert.issuer_name, person_in_charge=cert.person_in_charge, contact_phone=cert.contact_phone,
        issue_date=cert.issue_date, status_reason=cert.status_reason, verification_url=url,
        rating=rating_summary_out(cert.rating_summary))


class CertificateController(Controller):
    path = "/api"
    tags = ["certificates"]

    @post("/communities/{community_id:int}/certificates", status_code=201)
    async def issue(self, request: Request, db_session: AsyncSession, principal: Principal, community_id: int,
                    data: CertificateIssueIn) -> CertificateOut:
        """An organiser issues a certificate (谁记录谁证明) with the hours credited in the period, frozen at
        issue. Errors: `invalid_period`, `no_service_in_period`, `volunteer_not_found`,
        `invalid_person_in_charge`; 403/404 outside the community."""
        cert = await certificates.issue(
            db_session, principal=principal, community_id=community_id, volunteer_id=data.volunteer_id,
            period_start=data.period_start, period_end=data.period_end, person_in_charge=data.person_in_charge,
            contact_phone=data.contact_phone, purpose=data.purpose, timezone=request.app.state.settings.timezone)
        return certificate_out(request, cert)

    @get("/communities/{community_id:int}/certificates")
    async def community_certificates(self, request: Request, db_session: AsyncSession, principal: Principal,
                                     community_id: int, status: str | None = None) -> list[CertificateOut]:
        """A community's certificates and requests, newest first (organisers); filter with `status`."""
        rows = await certificates.list_certificates(db_session, principal=principal, community_id=community_id,
                                                    status=status)
        return [certificate_out(request, c) for c in rows]

    @post("/certificates/requests", status_code=201)
    async def request_certificate(self, request: Request, db_session: AsyncSession, principal: Principal,
                                  data: CertificateRequestIn) -> CertificateOut:
        """A volunteer asks for a certificate for a period; an organiser of their community issues it.
        Errors: `volunteer_required`, `invalid_period`, 409 `certificate_request_pending`."""
        cert = await certificates.request(db_session, principal=principal, period_start=data.period_start,
                                          period_end=data.period_end, purpose=data.purpose,
                                          timezone=request.app.state.settings.timezone)
        return certificate_out(request, cert)

    @get("/certificates/mine")
    async def my_certificates(self, request: Request, db_session: AsyncSession,
                              principal: Principal) -> list[CertificateOut]:
        """The caller's own certificates and requests (volunteers)."""
        rows = await certificates.list_certificates(db_session, principal=principal, community_id=None, status=None)
        return [certificate_out(request, c) for c in rows]

    @get("/certificates/{certificate_id:int}")
    async def show(self, request: Request, db_session: AsyncSession, principal: Principal,
                   certificate_id: int) -> CertificateOut:
        """One certificate, for its volunteer or the community's organisers. 404 `certificate_not_found`."""
        cert = await certificates.get_for_reader(db_session, principal=principal, certificate_id=certificate_id)
        return certificate_out(request, cert)

    @post("/certificates/{certificate_id:int}/issue", status_code=200)
    async def issue_requested(self, request: Request, db_session: AsyncSession, principal: Principal,
                              certificate_id: int, data: CertificateApproveIn | None = None) -> CertificateOut:
        """Issue a requested certificate (organisers). 409 `certificate_not_requested`."""
        body = data or CertificateApproveIn()
        cert = await certificates.issue_requested(
            db_session, principal=principal, certificate_id=certificate_id, person_in_charge=body.person_in_charge,
            contact_phone=body.contact_phone, timezone=request.app.state.settings.timezone)
        return certificate_out(request, cert)

    @post("/certificates/{certificate_id:int}/revoke", status_code=200)
    async def revoke(self, request: Request, db_session: AsyncSession, principal: Principal, certificate_id: int,
                     data: ReasonIn) -> CertificateOut:
        """Revoke an issued certificate or reject a request, with a reason (audited); verification then says
        it is revoked. Errors: `invalid_reason`, 409 `certificate_closed`."""
        cert = await certificates.close(db_session, principal=principal, certificate_id=certificate_id,
                                        reason=data.reason)
        return certificate_out(request, cert)

    @get("/certificates/{certificate_id:int}/pdf", media_type="application/pdf")
    async def download(self, request: Request, db_session: AsyncSession, principal: Principal,
                       certificate_id: int) -> Response[bytes]:
        """The certificate as PDF, re-rendered from the stored figures (revoked ones are marked 已作废).
        409 `certificate_not_issued` for requests."""
        cert = await certificates.get_for_reader(db_session, principal=principal, certificate_id=certificate_id)
        if cert.status not in (CertificateStatus.ISSUED, CertificateStatus.REVOKED):
            raise InvalidInput("This certificate has not been issued.", code="certificate_not_issued",
                               status_code=409)
        # Drawing a CJK PDF takes seconds of CPU: keep it off the event loop.
        body = await anyio.to_thread.run_sync(
            partial(certificate_pdf.render, cert, public_url=request.app.state.settings.public_url))
        return Response(body, media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{cert.number}.pdf"'})


class PublicCertificateController(Controller):
    path = "/api/public/certificates"
    tags = ["public"]

    @get("/{number:str}")
    async def check(self, db_session: AsyncSession, number: str, code: str) -> CertificateCheckOut:
        """Confirm a certificate is genuine from its number and verification code (no login). Shows the
        volunteer's masked name and figures only with their consent. 404 `certificate_not_found` for an
        unknown number or a wrong code."""
        return await certificates.public_check(db_session, number=number, code=code)


ROUTES = [CertificateController, PublicCertificateController]
