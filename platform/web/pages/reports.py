"""The 台账 page: pick a community (or a street, for street admins) and a month, quarter or year; the figures as
tables with the same period last year, a chart of hours by kind, and the .xlsx / .csv downloads."""

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
from servicebank.reports import export, request_figures, service
from servicebank.web import charts, friendly, i18n
from servicebank.web.guard import require_login
from servicebank.web.i18n import N_
from servicebank.web.render import lang_of, render

KINDS = ("month", "quarter", "year")


def period_of(kind: str, *, month: str, quarter: str, year: str, today: dt.date) -> str:
    """The report's period text ("2026-11", "2026-Q4", "2026") from the page's pickers."""
    year = year.strip() or str(today.year)
    if kind == "year":
        return year
    if kind == "quarter":
        return f"{year}-Q{quarter.strip() or (today.month - 1) // 3 + 1}"
    return month.strip() or f"{today.year}-{today.month:02d}"


class ReportPages(Controller):
    path = "/manage/reports"
    include_in_schema = False

    @get("/")
    async def report(self, request: Request, read_session: AsyncSession, optional_principal: Principal | None,
                     scope_text: Annotated[str | None, QueryParameter(name="scope")] = None, kind: str = "month", month: str = "", quarter: str = "",
                     year: str = "") -> Response:
        """The 台账 of the chosen scope and period (this month of the first community by default)."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        choices = await service.report_scopes(read_session, principal=principal)
        if not choices:
            raise Forbidden("Only organisers and administrators can read reports.", code="organiser_required")
        chosen = scope_text if scope_text in {s for s, _n in choices} else choices[0][0]
        kind = kind if kind in KINDS else "month"
        today = dt.datetime.now(ZoneInfo(request.app.state.settings.timezone)).date()
        period = period_of(kind, month=month, quarter=quarter, year=year, today=today)
        report, error = None, None
        try:
            report = await service.taizhang(read_session, principal=principal, scope=chosen, period=period,
                                            timezone=request.app.state.settings.timezone)
        except DomainError as exc:
            error = friendly.explain(exc, _)
        chart = None
        if report is not None:
            rows = report.by_community or report.by_kind
            chart = charts.bar_chart([(r.name, round(r.service_minutes / 60, 1)) for r in rows[:8]] or
                                     [(report.period, report.current.service_hours),
                                      (report.last_year_period, report.last_year.service_hours)],
                                     label=_("Service hours"), empty=_("No service hours in this period."))
        tables = export.tables(report) if report else []
        if report is not None:
            tables.append(await _request_table(read_session, principal, chosen, period,
                                               request.app.state.settings.timezone))
        download = {"scope": chosen, "period": period}
        return render(request, "reports/reports.html", principal, status_code=422 if error else 200, title=_("Reports"),
                      scopes=choices, scope=chosen, kind=kind, month=period if kind == "month" else "",
                      quarter=period[-1] if kind == "quarter" else str((today.month - 1) // 3 + 1),
                      year=period[:4], report=report, error=error, chart=chart,
                      tables=tables,
                      xlsx="/api/reports/taizhang?" + urlencode({**download, "format": "xlsx"}),
                      csv="/api/reports/taizhang?" + urlencode({**download, "format": "csv"}))


REQUEST_HEADINGS = (N_("Kind of help"), N_("Month"), N_("Requests"), N_("Response rate %"), N_("Completion rate %"),
                    N_("Average response (minutes)"), N_("Satisfaction %"))


async def _request_table(db_session: AsyncSession, principal: Principal, scope: str, period: str,
                         timezone: str) -> tuple[str, list[list[object]]]:
    """Residents' requests per month and kind of help (需求数, 响应率, 完成率, 平均响应时长, 满意度), as the API gives."""
    figures = await request_figures.request_report(db_session, principal=principal, scope=scope, period=period,
                                                   timezone=timezone)

    def shown(value: object) -> object:
        return "—" if value is None else value

    rows: list[list[object]] = [list(REQUEST_HEADINGS)]
    rows += [[f.category, f.month, f.requests, shown(f.response_rate), shown(f.completion_rate),
              shown(f.average_response_minutes), shown(f.satisfaction)] for f in figures.rows]
    return N_("Residents' requests"), rows
