"""The export page: an organiser (or a street admin) picks a scope and a range of months and downloads the service
records as .xlsx or JSON Lines; the input is checked here first, so a mistake is a sentence on the page, not a
problem+json in the browser."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.errors import DomainError, Forbidden
from servicebank.records import record_export
from servicebank.records.record_export_fields import SCHEMA_VERSION
from servicebank.reports import service as reports
from servicebank.web import friendly, i18n
from servicebank.web.guard import require_login
from servicebank.web.render import lang_of, redirect, render


class RecordExportPages(Controller):
    path = "/manage/records/export"
    include_in_schema = False

    @get("/")
    async def export(self, request: Request, read_session: AsyncSession, optional_principal: Principal | None,
                     scope_text: Annotated[str | None, QueryParameter(name="scope")] = None,
                     first_month: Annotated[str, QueryParameter(name="from")] = "",
                     last_month: Annotated[str, QueryParameter(name="to")] = "", format: str = "") -> Response:  # noqa: A002
        """The form; with `format` (xlsx or jsonl) the checked download (a redirect to the API's stream)."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        choices = await reports.report_scopes(read_session, principal=principal)
        if not choices:
            raise Forbidden("Only organisers and administrators can read reports.", code="organiser_required")
        scope = scope_text or choices[0][0]
        today = dt.datetime.now(ZoneInfo(request.app.state.settings.timezone)).date()
        first, last = first_month or f"{today.year}-{today.month:02d}", last_month or first_month or \
            f"{today.year}-{today.month:02d}"
        error = None
        if format:
            try:
                record_export.check_format(format)
                await record_export.prepare(read_session, principal=principal, scope=scope, first_month=first,
                                            last_month=last)
            except DomainError as exc:
                error = friendly.explain(exc, _)
            else:
                query = urlencode({"scope": scope, "from": first, "to": last, "format": format})
                return redirect(request, f"/api/records/export?{query}")
        return render(request, "records/record_export.html", principal, status_code=422 if error else 200,
                      title=_("Export service records"), scopes=choices, scope=scope, first=first, last=last,
                      error=error, schema_version=SCHEMA_VERSION, max_months=record_export.MAX_MONTHS)
