"""The shareable honour list poster (光荣榜海报): PNG (Pillow) and PDF (fpdf2), in Chinese, public data only."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from servicebank.honours.fonts import bold_or_regular, cjk_font
from servicebank.honours.schemas import PublicEntryOut, PublicListOut

if TYPE_CHECKING:  # fpdf2, qrcode and Pillow load on first use: they would slow every process's start
    from PIL import Image

RED = (190, 30, 45)
GOLD = (250, 220, 150)
INK = (40, 40, 40)
DEFAULT_TZ = "Asia/Shanghai"
STATE_TEXT = {"notice": "公示中", "final": "公示期满"}


def _rows(data: PublicListOut) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """The poster's sections as (heading, [(rank, name, figure)]) in display order."""
    def fig(e: PublicEntryOut) -> str:
        return f"{e.hours:g} 小时"

    sections = [
        ("服务时长榜", [(f"第{e.rank}名", e.name, fig(e)) for e in data.top_volunteers]),
        ("新晋星级志愿者", [("", e.name, "★" * (e.star_level or 0) + f" {e.star_level}星") for e in data.new_stars]),
        ("优秀服务队", [(f"第{e.rank}名", e.name, f"{fig(e)} · {e.member_count}人") for e in data.top_teams]),
    ]
    return [(title, rows or [("", "本月暂无", "")]) for title, rows in sections]


def _subtitle(data: PublicListOut, timezone: str) -> str:
    state = STATE_TEXT.get(data.state, "")
    if data.state == "notice" and data.notice_ends_at is not None:
        ends = data.notice_ends_at.astimezone(ZoneInfo(timezone)).date()
        state += f"（公示期至 {ends.isoformat()}，如有异议请扫码反映）"
    return state


def _qr_image(url: str) -> Image.Image:
    import qrcode

    return qrcode.make(url, box_size=6, border=2).get_image().convert("RGB")


def render_png(data: PublicListOut, *, url: str, timezone: str = DEFAULT_TZ, width: int = 1080) -> bytes:
    """The poster as a PNG image."""
    from PIL import Image, ImageDraw, ImageFont

    regular, bold = cjk_font(), bold_or_regular()
    title_font = ImageFont.truetype(bold.path, 54, index=bold.index)
    head_font = ImageFont.truetype(bold.path, 40, index=bold.index)
    body_font = ImageFont.truetype(regular.path, 34, index=regular.index)
    small_font = ImageFont.truetype(regular.path, 26, index=regular.index)
    sections = _rows(data)
    height = 360 + sum(90 + 56 * len(rows) for _, rows in sections) + 300
    image = Image.new("RGB", (width, height), (255, 250, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 250), fill=RED)
    draw.text((width // 2, 70), data.scope_name, font=head_font, fill=GOLD, anchor="mm")
    draw.text((width // 2, 150), f"{data.month[:4]}年{int(data.month[5:])}月 志愿服务光荣榜", font=title_font,
              fill=(255, 255, 255), anchor="mm")
    draw.text((width // 2, 215), _subtitle(data, timezone), font=small_font, fill=GOLD, anchor="mm")
    y = 300
    for heading, rows in sections:
        draw.rectangle((60, y, width - 60, y + 60), fill=RED)
        draw.text((80, y + 30), heading, font=head_font, fill=(255, 255, 255), anchor="lm")
        y += 80
        for rank, name, figure in rows:
            draw.text((90, y + 20), rank, font=body_font, fill=RED, anchor="lm")
            draw.text((260, y + 20), name, font=body_font, fill=INK, anchor="lm")
            draw.text((width - 90, y + 20), figure, font=body_font, fill=INK, anchor="rm")
            y += 56
        y += 10
    qr = _qr_image(url).resize((200, 200))
    image.paste(qr, (width - 280, height - 250))
    draw.text((80, height - 170), "扫码查看公示页面", font=body_font, fill=INK, anchor="lm")
    draw.text((80, height - 120), "感谢每一位志愿者的奉献！", font=small_font, fill=RED, anchor="lm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def render_pdf(data: PublicListOut, *, url: str, timezone: str = DEFAULT_TZ) -> bytes:
    """The poster as an A4 PDF with embedded (subset) Noto Sans CJK."""
    from fpdf import FPDF

    regular = cjk_font()
    pdf = FPDF(format="A4")
    pdf.set_title(f"{data.scope_name} {data.month} 光荣榜")
    # One face only: fpdf2 subsets the (very large) CJK font per face at output, the slow part.
    pdf.add_font("cjk", fname=regular.path, collection_font_number=regular.index)
    pdf.add_page()
    pdf.set_fill_color(*RED)
    pdf.rect(0, 0, 210, 48, style="F")
    pdf.set_text_color(*GOLD)
    pdf.set_font("cjk", "", 18)
    pdf.set_xy(0, 8)
    pdf.cell(210, 10, data.scope_name, align="C")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("cjk", "", 24)
    pdf.set_xy(0, 20)
    pdf.cell(210, 12, f"{data.month[:4]}年{int(data.month[5:])}月 志愿服务光荣榜", align="C")
    pdf.set_text_color(*GOLD)
    pdf.set_font("cjk", "", 10)
    pdf.set_xy(0, 36)
    pdf.cell(210, 6, _subtitle(data, timezone), align="C")
    pdf.set_y(56)
    for heading, rows in _rows(data):
        pdf.set_fill_color(*RED)
        pdf.set_text_color(255, 255, 255)
        pdf.set_font("cjk", "", 14)
        pdf.set_x(15)
        pdf.cell(180, 9, "  " + heading, fill=True, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(*INK)
        pdf.set_font("cjk", "", 12)
        for rank, name, figure in rows:
            pdf.set_x(20)
            pdf.cell(25, 8, rank)
            pdf.cell(95, 8, name)
            pdf.cell(50, 8, figure, align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
    qr = io.BytesIO()
    _qr_image(url).save(qr, format="PNG")
    y = max(pdf.get_y() + 4, 240) if pdf.get_y() < 250 else pdf.get_y() + 4
    if y > 250:
        pdf.add_page()
        y = 20
    pdf.image(qr, x=160, y=y, w=35, h=35)
    pdf.set_xy(15, y + 10)
    pdf.set_font("cjk", "", 11)
    pdf.cell(130, 7, "扫码查看公示页面，感谢每一位志愿者的奉献！")
    return bytes(pdf.output())
