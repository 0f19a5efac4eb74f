"""GET /api/reports/taizhang: the 台账 as JSON, .xlsx or CSV for organisers and street admins."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.errors import InvalidInput
from servicebank.reports import export, request_figures, service
from servicebank.reports.schemas import TaizhangOut
from servicebank.spreadsheets import XLSX_MEDIA_TYPE


class ReportController(Controller):
    path = "/api/reports"
    tags = ["reports"]

    @get("/taizhang")
    async def taizhang(self, request: Request, read_session: AsyncSession, principal: Principal,
                       scope_text: Annotated[str, QueryParameter(name="scope")], period: str, format: str = "json") -> TaizhangOut | Response[bytes]:  # noqa: A002
        """The 台账 of `scope` (community:{id} or street:{id}) for `period` (2026-11, 2026-Q4 or 2026):
        teams (支), volunteers (人), activities (次), participations (人次), service hours, beneficiaries
        (受益人次), by activity kind, beneficiary group and (streets) community, with the same period last
        year. `format=xlsx` or `csv` downloads the same figures and, as its 居民需求 table, the residents' requests
        figures of GET /api/reports/requests for the same scope and period. Organisers see their community, street
        admins their street. Errors: `invalid_scope`, `invalid_period`, `invalid_format`, 404
        `scope_not_found`."""
        if format not in ("json", "xlsx", "csv"):
            raise InvalidInput("The format is json, xlsx or csv.", code="invalid_format")
        report = await service.taizhang(read_session, principal=principal, scope=scope_text, period=period,
                                        timezone=request.app.state.settings.timezone)
        if format == "json":
            return report
        figures = await request_figures.request_report(read_session, principal=principal, scope=scope_text,
                                                       period=period, timezone=request.app.state.settings.timezone)
        name = f"taizhang-{report.scope.replace(':', '-')}-{report.period}"
        if format == "xlsx":
            return Response(export.to_xlsx(report, figures), media_type=XLSX_MEDIA_TYPE,
                            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
        return Response(export.to_csv(report, figures).encode("utf-8"), media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})

    @get("/requests")
    async def requests(self, request: Request, read_session: AsyncSession, principal: Principal,
                       scope_text: Annotated[str, QueryParameter(name="scope")],
                       period: str) -> request_figures.RequestReportOut:
        """Residents' requests of `scope` in `period`, per local month and category (and 合计): 需求数 `requests`,
        响应率 `response_rate`, 完成率 `completion_rate` (percent of the requests neither declined nor cancelled
        before anyone took them), 平均响应时长 `average_response_minutes`, 满意度 `satisfaction` (percent of
        ratings with 4–5 stars) and `average_stars`. Errors as for the 台账."""
        return await request_figures.request_report(read_session, principal=principal, scope=scope_text,
                                                    period=period, timezone=request.app.state.settings.timezone)


ROUTES = [ReportController]
