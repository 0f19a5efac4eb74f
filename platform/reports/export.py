"""The 台账 as .xlsx (one sheet per table, Chinese headers) and as CSV (the tables one after another)."""

from __future__ import annotations

from servicebank.reports.request_figures import RequestReportOut
from servicebank.reports.schemas import BreakdownRow, TaizhangOut
from servicebank.spreadsheets import append_row, append_rows, csv_text, workbook_bytes

SUMMARY_HEADERS = ["指标", "本期", "去年同期", "同比增减", "同比增长率(%)"]
BREAKDOWN_HEADERS = ["{what}", "活动(次)", "参与(人次)", "志愿者(人)", "服务时长(小时)", "受益人次",
                     "去年同期活动(次)", "去年同期参与(人次)", "去年同期服务时长(小时)", "去年同期受益人次"]
SUMMARY_LINES = [("teams", "志愿服务队(支)"), ("volunteers_registered", "注册志愿者(人)"),
                 ("volunteers_served", "参与服务志愿者(人)"), ("activities", "开展活动(次)"),
                 ("participations", "参与服务(人次)"), ("service_hours", "服务时长(小时)"),
                 ("beneficiaries", "受益人次"), ("insured_participations", "参保服务(人次)")]


def _change(now: float, before: float) -> tuple[float, float | None]:
    diff = round(now - before, 2)
    return diff, (round(diff / before * 100, 1) if before else None)


def summary_table(report: TaizhangOut) -> list[list[object]]:
    rows: list[list[object]] = [list(SUMMARY_HEADERS)]
    for field, label in SUMMARY_LINES:
        now, before = getattr(report.current, field), getattr(report.last_year, field)
        diff, pct = _change(now, before)
        rows.append([label, now, before, diff, "" if pct is None else pct])
    return rows


def _hours(minutes: int) -> float:
    return round(minutes / 60, 2)


def breakdown_table(rows: list[BreakdownRow], what: str) -> list[list[object]]:
    table: list[list[object]] = [[h.format(what=what) for h in BREAKDOWN_HEADERS]]
    for r in rows:
        table.append([r.name, r.activities, r.participations, "" if r.volunteers is None else r.volunteers,
                      _hours(r.service_minutes), r.beneficiaries, r.last_year_activities, r.last_year_participations,
                      _hours(r.last_year_service_minutes), r.last_year_beneficiaries])
    return table


# The residents' requests table: the API's RequestFigures field by field (None: nothing to divide, left empty).
REQUEST_COLUMNS = [("month", "月份"), ("category", "服务类别"), ("requests", "需求数"), ("counted", "纳入统计(件)"),
                   ("accepted", "已响应(件)"), ("completed", "已完成(件)"), ("response_rate", "响应率(%)"),
                   ("completion_rate", "完成率(%)"), ("average_response_minutes", "平均响应时长(分钟)"),
                   ("ratings", "评价(条)"), ("satisfaction", "满意度(%)"), ("average_stars", "平均星级")]


def requests_table(figures: RequestReportOut) -> list[list[object]]:
    """需求数, 响应率, 完成率, 平均响应时长, 满意度 per month and category, as GET /api/reports/requests has them."""
    table: list[list[object]] = [[label for _field, label in REQUEST_COLUMNS]]
    for row in figures.rows:
        table.append(["" if (value := getattr(row, field)) is None else value for field, _label in REQUEST_COLUMNS])
    return table


def tables(report: TaizhangOut, requests: RequestReportOut | None = None) -> list[tuple[str, list[list[object]]]]:
    """(sheet name, rows with a header row) for every table of the report, and the residents' requests."""
    out = [("汇总", summary_table(report)), ("按活动类型", breakdown_table(report.by_kind, "活动类型")),
           ("按服务对象", breakdown_table(report.by_group, "服务对象"))]
    if report.by_community:
        out.append(("按社区", breakdown_table(report.by_community, "社区")))
    if requests is not None:
        out.append(("居民需求", requests_table(requests)))
    return out


def title(report: TaizhangOut) -> str:
    return f"{report.scope_name}{report.period_name}志愿服务台账"


def to_xlsx(report: TaizhangOut, requests: RequestReportOut | None = None) -> bytes:
    """An .xlsx workbook: a title row, then the table with a bold header, one sheet per table."""
    from openpyxl import Workbook  # loaded on first use: it would slow every process's start
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    header_fill = PatternFill("solid", fgColor="F8E0E0")
    for name, rows in tables(report, requests):
        sheet = book.create_sheet(name)
        append_row(sheet, [f"{title(report)}（{name}）", f"对比：{report.last_year_period}"])
        sheet["A1"].font = Font(bold=True, size=13)
        append_rows(sheet, rows)
        for cell in sheet[2]:
            cell.font, cell.fill = Font(bold=True), header_fill
            cell.alignment = Alignment(horizontal="center", wrap_text=True)
        for index in range(1, len(rows[0]) + 1):
            sheet.column_dimensions[get_column_letter(index)].width = 22 if index == 1 else 14
        sheet.freeze_panes = "B3"
    return workbook_bytes(book)


def to_csv(report: TaizhangOut, requests: RequestReportOut | None = None) -> str:
    """CSV (UTF-8 with BOM so Excel opens Chinese correctly): each table after its title line."""
    lines: list[list[object]] = [[title(report), report.period, f"对比 {report.last_year_period}"]]
    for name, rows in tables(report, requests):
        lines += [[], [f"【{name}】"], *rows]
    return csv_text(lines)
