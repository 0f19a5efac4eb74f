"""`servicebank records export`: the organisation-wide service records as JSON Lines or .xlsx, with progress."""

from __future__ import annotations

from pathlib import Path

import click

from servicebank.cli_support import emit, fail, json_option, progress, run_with_db
from servicebank.kernel.errors import DomainError


def register(cli: click.Group) -> None:
    """Add the `records` command group."""

    @cli.group()
    def records() -> None:
        """Service records (志愿服务记录)."""

    @records.command("export")
    @click.option("--scope", required=True, help="community:<id> or street:<id>.")
    @click.option("--from", "first_month", required=True, help="First month, e.g. 2026-10.")
    @click.option("--to", "last_month", required=True, help="Last month (at most 12 months in all).")
    @click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
                  help="The file to write: .jsonl or .xlsx (by extension).")
    @json_option
    def export(scope: str, first_month: str, last_month: str, out: Path, as_json: bool) -> None:
        """Write the records in the regulation's fields (docs/records.md); progress on stderr."""
        from servicebank.config import get_settings
        from servicebank.kernel.replica import read_session
        from servicebank.records import record_export

        kind = out.suffix.lower().lstrip(".")
        if kind not in record_export.FORMATS:
            fail("The output file must end in .jsonl or .xlsx.", code="invalid_format", as_json=as_json)

        async def work(db):  # noqa: ANN001, ANN202
            timezone = get_settings().timezone
            async with read_session(db) as session:
                scope_ = await record_export.prepare(session, principal=None, scope=scope, first_month=first_month,
                                                     last_month=last_month)
                # Written beside the target and renamed at the end: a failed export leaves no half-written file.
                partial = out.with_name(out.name + ".part")
                by_type = None
                with progress("records", None, as_json=as_json) as bar, partial.open("wb") as sink:
                    if kind == "xlsx":
                        totals = await record_export.write_xlsx(session, scope_, sink, timezone=timezone,
                                                                advance=bar.advance)
                        by_type = totals.records
                    else:
                        async for chunk in record_export.jsonl_chunks(session, scope_, timezone=timezone,
                                                                      advance=bar.advance):
                            sink.write(chunk)
                partial.replace(out)
                return bar.done, by_type

        try:
            written, by_type = run_with_db(work, publish=False)
        except DomainError as exc:
            fail(exc.message, code=exc.code, as_json=as_json)
            return
        emit({"written": str(out), "records": written, "by_type": by_type, "scope": scope,
              "from": first_month, "to": last_month}, as_json=as_json,
             human=lambda d: f"wrote {d['written']} ({d['records']} records, {d['scope']}, {d['from']}..{d['to']})")
