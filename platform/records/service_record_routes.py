"""GET the 志愿服务记录表 as PDF: the volunteer's own, or a volunteer's for the organisers of their community."""

from __future__ import annotations

from functools import partial
from zoneinfo import ZoneInfo

import anyio
from litestar import Controller, Request, Response, get
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.clock import utcnow
from servicebank.records import service_record, service_record_pdf


async def _pdf(request: Request, session: AsyncSession, principal: Principal, volunteer_id: int) -> Response[bytes]:
    timezone = request.app.state.settings.timezone
    record = await service_record.gather(session, principal=principal, volunteer_id=volunteer_id, timezone=timezone,
                                         today=utcnow().astimezone(ZoneInfo(timezone)).date())
    # Drawing a CJK PDF takes seconds of CPU: keep it off the event loop.
    body = await anyio.to_thread.run_sync(partial(service_record_pdf.render, record))
    name = f"service-record-{record.identity['志愿者编号']}.pdf"
    return Response(body, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"',
                                                                 "Cache-Control": "private, no-store"})


class ServiceRecordController(Controller):
    path = "/api"
    tags = ["records"]

    @get("/me/service-record.pdf", media_type="application/pdf")
    async def mine(self, request: Request, db_session: AsyncSession, principal: Principal) -> Response[bytes]:
        """My 志愿服务记录表 (PDF): identity, every record with its hours and confirmer, 评价情况, 培训情况 and the
        corrections as reversal plus new posting. 403 `volunteer_required` for accounts without a volunteer."""
        return await _pdf(request, db_session, principal, principal.require_volunteer())

    @get("/volunteers/{volunteer_id:int}/service-record.pdf", media_type="application/pdf")
    async def of_volunteer(self, request: Request, db_session: AsyncSession, principal: Principal,
                           volunteer_id: int) -> Response[bytes]:
        """A volunteer's 志愿服务记录表 (PDF), for the volunteer and the organisers of their community. 404
        `volunteer_not_found` outside the community, 403 `organiser_required` for other members."""
        return await _pdf(request, db_session, principal, volunteer_id)
