"""The certificate of volunteer service (志愿服务证明) as an A4 PDF with a verification QR code."""

from __future__ import annotations

import io
from urllib.parse import quote

from servicebank.honours.fonts import cjk_font
from servicebank.honours.models import Certificate, CertificateStatus
from servicebank.requests import ratings


def verification_url(public_url: str, cert: Certificate) -> str:
    """The public page that confirms the certificate (the QR code opens it in a phone's browser; the JSON
    check stays at /api/public/certificates/{number})."""
    return f"{public_url.rstrip('/')}/verify?number={quote(cert.number or '')}&code={quote(cert.verification_code or '')}"


def hours_text(minutes: int) -> str:
    """Whole hours and minutes as the certificate states them: 12小时30分钟."""
    hours, rest = divmod(minutes, 60)
    return f"{hours}小时" + (f"{rest}分钟" if rest else "")


def content_text(cert: Certificate) -> str:
    """The service content line: each kind with its count and hours."""
    parts = [f"{c['name']}{c['count']}次（{hours_text(int(c['minutes']))}）" if c.get("count")
             else f"{c['name']}（{hours_text(int(c['minutes']))}）" for c in cert.content]
    return "、".join(parts) or "—"


def fields(cert: Certificate) -> list[tuple[str, str]]:
    """The fields the 民政部 rules require, in the order printed."""
    return [
        ("姓名", cert.volunteer_name or ""),
        ("证件类型", cert.id_type or "—"),
        ("证件号码", cert.id_number_masked or "—"),
        ("志愿者编号", cert.volunteer_number or ""),
        ("服务时间段", f"{cert.period_start.isoformat()} 至 {cert.period_end.isoformat()}"),
        ("累计服务时长", hours_text(cert.total_minutes)),
        ("服务内容", content_text(cert)),
        ("评价情况", ratings.in_words(cert.rating_summary)),
        ("出具单位", cert.issuer_name or ""),
        ("负责人", cert.person_in_charge or ""),
        ("联系方式", cert.contact_phone or "—"),
        ("证明编号", cert.number or ""),
        ("出具日期", cert.issue_date.isoformat() if cert.issue_date else ""),
        ("验证码", cert.verification_code or ""),
    ]


def render(cert: Certificate, *, public_url: str) -> bytes:
    """The issued (or revoked, watermarked) certificate as PDF bytes."""
    import qrcode  # fpdf2 and qrcode load on first use: they would slow every process's start
    from fpdf import FPDF

    regular = cjk_font()
    pdf = FPDF(format="A4")
    pdf.set_title(f"志愿服务证明 {cert.number}")
    # One face only: fpdf2 subsets the (very large) CJK font per face at output, the slow part.
    pdf.add_font("cjk", fname=regular.path, collection_font_number=regular.index)
    pdf.add_page()
    pdf.set_draw_color(190, 30, 45)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 190, 277)
    pdf.set_font("cjk", "", 26)
    pdf.set_xy(0, 25)
    pdf.cell(210, 14, "志愿服务证明", align="C")
    pdf.set_font("cjk", "", 11)
    pdf.set_xy(0, 40)
    pdf.cell(210, 6, f"编号：{cert.number}", align="C")
    pdf.set_y(55)
    pdf.set_font("cjk", "", 12)
    intro = (f"兹证明 {cert.volunteer_name} 同志（志愿者编号 {cert.volunteer_number}）于 "
             f"{cert.period_start.isoformat()} 至 {cert.period_end.isoformat()} 期间在{cert.issuer_name}参加志愿服务"
             f"{cert.attendance_count}次，累计服务时长 {hours_text(cert.total_minutes)}。特此证明。")
    pdf.set_x(22)
    pdf.multi_cell(166, 8, intro)
    pdf.ln(4)
    for label, value in fields(cert):
        pdf.set_x(22)
        pdf.set_font("cjk", "", 11)
        pdf.cell(34, 8, label + "：")
        pdf.set_font("cjk", "", 11)
        pdf.multi_cell(132, 8, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_x(22)
    pdf.set_font("cjk", "", 10)
    pdf.multi_cell(120, 6, "本证明依据《志愿服务记录与证明出具办法》出具，服务时长为扣除往返交通时间后的实际服务时间。"
                           "扫描右侧二维码或访问公开验证页面并输入验证码，可核验本证明真伪。")
    qr = io.BytesIO()
    qrcode.make(verification_url(public_url, cert), box_size=6, border=2).save(qr)
    pdf.image(qr, x=150, y=max(pdf.get_y() - 30, 200), w=38, h=38)
    pdf.set_xy(110, 255)
    pdf.set_font("cjk", "", 12)
    pdf.cell(80, 8, f"{cert.issuer_name}（盖章）", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(110, 264)
    pdf.set_font("cjk", "", 11)
    pdf.cell(80, 8, cert.issue_date.strftime("%Y年%m月%d日") if cert.issue_date else "", align="R")
    if cert.status == CertificateStatus.REVOKED:
        pdf.set_text_color(200, 0, 0)
        pdf.set_font("cjk", "", 40)
        pdf.set_xy(0, 130)
        pdf.cell(210, 20, "已作废 REVOKED", align="C")
    return bytes(pdf.output())
