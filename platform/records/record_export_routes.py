"""GET /api/records/export: the organisation-wide service records, streamed as JSON Lines or .xlsx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from litestar import Controller, Request, get
from litestar.params import QueryParameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.replica import read_session as open_read_session
from servicebank.records import record_export
from servicebank.spreadsheets import XLSX_MEDIA_TYPE

CHUNK = 64 * 1024


class RecordExportController(Controller):
    path = "/api/records"
    tags = ["records"]

    @get("/export")
    async def export(self, request: Request, read_session: AsyncSession, principal: Principal,
                     scope_text: Annotated[str, QueryParameter(name="scope")],
                     first_month: Annotated[str, QueryParameter(name="from")],
                     last_month: Annotated[str, QueryParameter(name="to")], format: str = "jsonl") -> Stream:  # noqa: A002
        """The service records of `scope` (community:{id} or street:{id}) for the months `from`..`to` (2026-10,
        at most 12 months) in the fields of 《志愿服务记录与证明出具办法》, mapped and versioned as docs/records.md
        says (`schema_version` in every line and row): `format=jsonl` (one JSON object a line) or `xlsx` (服务记录,
        汇总, 字段说明). Activity and late-claim records equal the 台账's participations and hours. Organisers of the
        community, street admins of the street. Errors: `invalid_scope`, `invalid_month`, `month_range_reversed`,
        `month_range_too_long`, `invalid_format`, 404 `scope_not_found`."""
        kind = record_export.check_format(format)
        scope = await record_export.prepare(read_session, principal=principal, scope=scope_text,
                                            first_month=first_month, last_month=last_month)
        state, timezone = request.app.state, request.app.state.settings.timezone

        # The request's own sessions close when this handler returns, before the body is sent: the stream reads
        # through a session of its own (the replica when usable), for as long as it takes.
        async def jsonl() -> AsyncIterator[bytes]:
            async with open_read_session(state.db) as session:
                async for chunk in record_export.jsonl_chunks(session, scope, timezone=timezone):
                    yield chunk

        async def xlsx() -> AsyncIterator[bytes]:
            with record_export.spooled_file() as out:
                async with open_read_session(state.db) as session:
                    await record_export.write_xlsx(session, scope, out, timezone=timezone)
                out.seek(0)
                while chunk := await anyio.to_thread.run_sync(out.read, CHUNK):
                    yield chunk

        name = f"{scope.file_stem}.{kind}"
        return Stream(jsonl() if kind == "jsonl" else xlsx(),
                      media_type="application/x-ndjson; charset=utf-8" if kind == "jsonl" else XLSX_MEDIA_TYPE,
                      headers={"Content-Disposition": f'attachment; filename="{name}"'})
