"""The 志愿服务记录表 as an A4 PDF (fpdf2, the CJK font the certificates use: honours/fonts.py)."""

from __future__ import annotations

from typing import Any

from servicebank.honours.certificate_pdf import hours_text
from servicebank.honours.fonts import cjk_font
from servicebank.records.record_export_fields import RECORD_TYPE_NAMES, TRAINING_NAMES
from servicebank.records.service_record import ServiceRecord
from servicebank.requests import ratings

# (heading, width in mm) of the services table; 186 mm fit inside the margins.
SERVICE_COLUMNS = (("日期", 20), ("类型", 18), ("服务项目与内容", 58), ("时长", 20), ("记录组织", 30), ("确认人", 22),
                   ("备注", 18))
CORRECTION_COLUMNS = (("受理日期", 22), ("更正的记录", 62), ("冲销原记录", 26), ("重新计入", 26), ("确认人", 22),
                      ("说明", 28))
TRAINING_COLUMNS = (("日期", 22), ("类别", 22), ("培训名称", 80), ("提供方", 40), ("时长", 22))


def _signed(minutes: int | None, sign: str) -> str:
    return "待入账" if minutes is None else f"{sign}{hours_text(abs(minutes))}"


def _clip(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _table(pdf: Any, columns: tuple[tuple[str, int], ...], rows: list[list[str]], *, empty: str,  # noqa: ANN401
           heading: Any) -> None:  # noqa: ANN401
    """A table with a heading row, or the `empty` sentence without rows."""
    if not rows:
        pdf.cell(0, 7, empty, new_x="LMARGIN", new_y="NEXT")
        return
    with pdf.table(col_widths=tuple(w for _h, w in columns), headings_style=heading, line_height=5.5) as table:
        table.row([h for h, _w in columns])
        for row in rows:
            table.row(row)


def render(record: ServiceRecord) -> bytes:
    """The record as PDF bytes."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    regular = cjk_font()
    pdf = FPDF(format="A4")
    pdf.set_title(f"志愿服务记录表 {record.identity['志愿者编号']}")
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(True, margin=14)
    pdf.add_font("cjk", fname=regular.path, collection_font_number=regular.index)
    pdf.add_page()
    pdf.set_font("cjk", "", 20)
    pdf.cell(0, 12, "志愿服务记录表", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", "", 9)
    pdf.cell(0, 6, f"依据《志愿服务记录与证明出具办法》  记录组织：{record.community}  生成日期：{record.made_on.isoformat()}",
             align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    heading = FontFace(fill_color=(235, 235, 235))

    def section(title: str) -> None:
        pdf.ln(3)
        pdf.set_font("cjk", "", 12)
        pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", "", 9)

    section("一、志愿者基本信息")
    with pdf.table(col_widths=(30, 63, 30, 63), first_row_as_headings=False, line_height=7) as table:
        items = list(record.identity.items())
        for i in range(0, len(items), 2):
            row = table.row()
            for label, value in items[i:i + 2]:
                row.cell(label, style=heading)
                row.cell(value)
    section(f"二、服务记录（共 {len(record.records)} 条，累计服务时长 {hours_text(record.total_minutes)}）")
    _table(pdf, SERVICE_COLUMNS, [
        [r["service_date"] or "", RECORD_TYPE_NAMES.get(r["record_type"], r["record_type"]),
         _clip(r["project"], 30) + (f"：{_clip(r['content'], 40)}" if r["content"] else ""),
         hours_text(r["service_minutes"]), r["recording_organisation"] or "", r["confirmed_by"] or "—",
         "经更正" if r["corrected"] else ""] for r in record.records], empty="暂无服务记录。", heading=heading)
    section("三、评价情况")
    pdf.multi_cell(0, 6, ratings.in_words(record.rating), new_x="LMARGIN", new_y="NEXT")
    training = record.training
    section(f"四、培训情况（累计 {hours_text(training.total_minutes)}，不计入服务时长）")
    _table(pdf, TRAINING_COLUMNS, [
        [t.trained_on.isoformat(), TRAINING_NAMES.get(t.category, t.category), _clip(t.title, 40),
         _clip(t.provider, 20) or "—", hours_text(t.minutes)] for t in training.trainings],
        empty="暂无培训记录。", heading=heading)
    section("五、更正情况（原记录冲销后按更正后的记录重新计入，不删除任何记录）")
    _table(pdf, CORRECTION_COLUMNS, [
        [c.decided_on.isoformat() if c.decided_on else "", _clip(c.record, 40), _signed(c.reversed_minutes, "−"),
         _signed(c.posted_minutes, "+"), c.decided_by or "—", _clip(c.reason, 30)] for c in record.corrections],
        empty="无更正。", heading=heading)
    pdf.ln(4)
    pdf.set_font("cjk", "", 8)
    pdf.multi_cell(0, 5, "服务时长为记录组织确认、计入服务记录的时长；补录经服务所在组织审核；确认人为审核或确认该条记录的"
                         "工作人员，扫码自动通过的为活动发布人。", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
