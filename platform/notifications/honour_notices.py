"""Honours in messages: a volunteer on a published honour list, and a certificate of service issued to them."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.honours.certificate_pdf import hours_text
from servicebank.honours.models import Certificate, CertificateStatus, HonourEntry, HonourList, ListStatus, Section
from servicebank.kernel.events import OutboxEvent, subscribe
from servicebank.notifications.channels import Message
from servicebank.notifications.events import deliver, recipients_for, settings_of

SECTION_NAMES = {Section.TOP_VOLUNTEERS: "服务时长榜", Section.NEW_STARS: "新晋星级志愿者"}


@subscribe("honour_list.published")
async def on_list_published(session: AsyncSession, event: OutboxEvent) -> None:
    """Every volunteer named on the list (once, whatever their sections), while it is published."""
    honour_list = await session.get(HonourList, event.payload["list_id"])
    if honour_list is None or honour_list.status != ListStatus.PUBLISHED or honour_list.notice_ends_at is None:
        return
    sections: dict[int, list[str]] = {}
    for volunteer_id, section in (await session.execute(
            select(HonourEntry.volunteer_id, HonourEntry.section).where(
                HonourEntry.list_id == honour_list.id, HonourEntry.volunteer_id.is_not(None))
            .order_by(HonourEntry.section, HonourEntry.position))).tuples():
        if volunteer_id is not None:
            sections.setdefault(volunteer_id, []).append(SECTION_NAMES.get(section, section))
    until = honour_list.notice_ends_at.astimezone(ZoneInfo(settings_of(session).timezone)).strftime("%m月%d日")
    for volunteer_id, names in sorted(sections.items()):
        message = Message(type=event.type, title=f"您上榜了：{honour_list.title}",
                          body=f"您登上了“{honour_list.title}”（{'、'.join(dict.fromkeys(names))}），感谢您的奉献！"
                               f"榜单公示到{until}，如有异议可在公示期内提出。")
        await deliver(session, event, await recipients_for(session, [volunteer_id]), message)


@subscribe("certificate.issued")
async def on_certificate_issued(session: AsyncSession, event: OutboxEvent) -> None:
    """The volunteer's certificate of service is ready to download (unless it was withdrawn since)."""
    cert = await session.get(Certificate, event.payload["certificate_id"])
    if cert is None or cert.status != CertificateStatus.ISSUED:
        return
    period = f"{cert.period_start:%Y年%m月%d日}至{cert.period_end:%Y年%m月%d日}"
    message = Message(type=event.type, title="志愿服务证明已开具",
                      body=f"{cert.issuer_name}为您开具了志愿服务证明（编号 {cert.number}）：{period}服务"
                           f"{hours_text(cert.total_minutes)}。可在“我的服务证明”页面下载。")
    await deliver(session, event, await recipients_for(session, [cert.volunteer_id]), message)
