"""The web pages: one router with the CSRF check, HTML error pages and security headers; static files."""

from __future__ import annotations

from litestar import Router, get
from litestar.response import File
from litestar.static_files import create_static_files_router

from servicebank.web.guard import EXCEPTION_HANDLERS, check_csrf
from servicebank.web.pages import (
    accounts,
    accounts_code,
    accounts_password,
    app_shell,
    audit,
    notices,
    notifications,
    reports,
)
from servicebank.web.pages.activities import lead, public, series
from servicebank.web.pages.activities import manage as manage_activities
from servicebank.web.pages.checkins import attendance, scan
from servicebank.web.pages.family import links as family
from servicebank.web.pages.honours import certificates
from servicebank.web.pages.honours import manage as manage_honours
from servicebank.web.pages.honours import public as public_honours
from servicebank.web.pages.honours import street as street_honours
from servicebank.web.pages.leaderboards import leaderboard
from servicebank.web.pages.ledger import gifts
from servicebank.web.pages.org import admin
from servicebank.web.pages.records import corrections as record_corrections
from servicebank.web.pages.records import insurance as record_insurance
from servicebank.web.pages.records import late_claims as record_claims
from servicebank.web.pages.records import no_shows as record_no_shows
from servicebank.web.pages.records import qualifications as record_qualifications
from servicebank.web.pages.records import record_export as record_exports
from servicebank.web.pages.records import requirements as record_requirements
from servicebank.web.pages.records import trainings as record_trainings
from servicebank.web.pages.requests import desk as request_desk
from servicebank.web.pages.requests import doors as request_doors
from servicebank.web.pages.requests import orders as request_orders
from servicebank.web.pages.requests import volunteer as request_volunteer
from servicebank.web.pages.stores import desk, my_stores, till
from servicebank.web.pages.volunteers import claims, join, me, roster_import, teams
from servicebank.web.pages.volunteers import manage as manage_volunteers
from servicebank.web.render import STATIC_DIR

# A line per domain, as the pages are laid out (web/pages/<domain>): accounts, activities, checkins, volunteers,
# family, ledger, leaderboards, stores, honours, reports, audit, org (the administrators' pages), notifications
# and records.
PAGE_CONTROLLERS = [
    accounts.AccountPages, accounts_password.AccountPages, accounts_code.CodeLoginPages,
    manage_activities.ManagePages, series.SeriesPages, lead.LeaderPages, public.PublicActivityPages,
    scan.ScanPages, attendance.AttendancePages,
    me.VolunteerPages, manage_volunteers.ManageVolunteerPages, teams.TeamPages, roster_import.ImportPages,
    claims.ClaimPages, join.JoinPages,
    family.FamilyPages, gifts.GiftPages, leaderboard.LeaderboardPages,
    till.TillPages, desk.StoreDeskPages, my_stores.MyStorePages,
    request_orders.RequestOrderPages, request_volunteer.VolunteerRequestPages, request_desk.RequestDeskPages,
    request_doors.DoorPages,
    manage_honours.HonourPages, certificates.CertificatePages, public_honours.PublicHonourPages,
    street_honours.StreetHonourPages,
    reports.ReportPages, audit.AuditPages,
    admin.AdminPages,
    notifications.NoticePages, notices.NoticeSendPages, app_shell.AppShellPages,
    record_no_shows.NoShowPages, record_qualifications.QualificationPages, record_claims.LateClaimPages,
    record_corrections.CorrectionPages, record_trainings.TrainingPages, record_exports.RecordExportPages,
    record_insurance.InsurancePages, record_requirements.RequirementPages,
]

pages = Router(path="/", route_handlers=PAGE_CONTROLLERS, before_request=check_csrf,
               exception_handlers=EXCEPTION_HANDLERS, include_in_schema=False)

static = create_static_files_router(path="/static", directories=[STATIC_DIR], include_in_schema=False)



@get("/favicon.ico", include_in_schema=False)
async def favicon() -> File:
    """Browsers ask for /favicon.ico whatever the page says; answer it instead of a 404 on every page."""
    return File(STATIC_DIR / "favicon.ico", media_type="image/x-icon", content_disposition_type="inline",
                headers={"Cache-Control": "public, max-age=86400"})


ROUTES = [pages, static, favicon]
