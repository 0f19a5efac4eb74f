"""`servicebank reports taizhang`: the 台账 as .xlsx, .csv or JSON from the command line."""

from __future__ import annotations

from pathlib import Path

import click

from servicebank.cli_support import emit, fail, json_option, progress, run_with_db
from servicebank.kernel.errors import DomainError


def register(cli: click.Group) -> None:
    """Add the `reports` command group."""

    @cli.group()
    def reports() -> None:
        """台账 statistics."""

    @reports.command("taizhang")
    @click.option("--scope", required=True, help="community:<id> or street:<id>.")
    @click.option("--period", required=True, help="2026-11, 2026-Q4 or 2026.")
    @click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="Write .xlsx or .csv (by extension); without it the figures are printed.")
    @json_option
    def taizhang(scope: str, period: str, out: Path | None, as_json: bool) -> None:
        """Build the report (with last year's comparison) and write or print it."""
        from servicebank.config import get_settings
        from servicebank.reports import export, request_figures, service

        if out is not None and out.suffix.lower() not in (".xlsx", ".csv"):
            fail("The output file must end in .xlsx or .csv.", code="invalid_format", as_json=as_json)

        async def work(db):  # noqa: ANN001, ANN202
            async with db.session_scope() as session:
                with progress("taizhang", 3, as_json=as_json) as bar:
                    report = await service.taizhang(session, principal=None, scope=scope, period=period,
                                                    timezone=get_settings().timezone)
                    bar.advance(2)
                    if out is not None:
                        figures = await request_figures.request_report(session, principal=None, scope=scope,
                                                                       period=period, timezone=get_settings().timezone)
                        data = export.to_xlsx(report, figures) if out.suffix.lower() == ".xlsx" else \
                            export.to_csv(report, figures).encode("utf-8")
                        out.write_bytes(data)
                    bar.advance(1)
                    return report

        try:
            report = run_with_db(work, publish=False)
        except DomainError as exc:
            fail(exc.message, code=exc.code, as_json=as_json)
            return
        import msgspec

        data = msgspec.to_builtins(report)
        if out is not None:
            data = {"written": str(out), "scope": report.scope, "period": report.period}
        emit(data, as_json=as_json or out is None,
             human=lambda d: f"wrote {d['written']} ({d['scope']}, {d['period']})")
