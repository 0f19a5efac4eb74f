"""The web pages: one router with the CSRF check, HTML error pages and security headers; static files."""

from __future__ import annotations

from litestar import Router, get
from litestar.response import File
from litestar.static_files import create_static_files_router

from servicebank.web import pages_claims, pages_gifts, pages_join, pages_my_stores, pages_notices, pages_store_desk
from servicebank.web import (pages_attendance, pages_audit, pages_certificates, pages_core, pages_family,
                             pages_honours, pages_import, pages_lead, pages_manage, pages_public, pages_reports,
                             pages_series, pages_teams, pages_till, pages_volunteer, pages_volunteers)
from servicebank.web.guard import EXCEPTION_HANDLERS, check_csrf
from servicebank.web.render import STATIC_DIR

PAGE_CONTROLLERS = [pages_core.CorePages, pages_volunteer.VolunteerPages, pages_family.FamilyPages,
                    pages_manage.ManagePages, pages_lead.LeaderPages,
                    pages_series.SeriesPages, pages_attendance.AttendancePages, pages_volunteers.ManageVolunteerPages,
                    pages_teams.TeamPages, pages_import.ImportPages, pages_reports.ReportPages,
                    pages_certificates.CertificatePages, pages_audit.AuditPages, pages_honours.HonourPages,
                    pages_till.TillPages, pages_store_desk.StoreDeskPages, pages_public.PublicPages,
                    pages_claims.ClaimPages, pages_gifts.GiftPages, pages_my_stores.MyStorePages, pages_join.JoinPages,
                    pages_notices.NoticePages]

pages = Router(path="/", route_handlers=PAGE_CONTROLLERS, before_request=check_csrf,
               exception_handlers=EXCEPTION_HANDLERS, include_in_schema=False)

static = create_static_files_router(path="/static", directories=[STATIC_DIR], include_in_schema=False)



@get("/favicon.ico", include_in_schema=False)
async def favicon() -> File:
    """Browsers ask for /favicon.ico whatever the page says; answer it instead of a 404 on every page."""
    return File(STATIC_DIR / "favicon.ico", media_type="image/x-icon", content_disposition_type="inline",
                headers={"Cache-Control": "public, max-age=86400"})


ROUTES = [pages, static, favicon]
