"""`servicebank volunteers ...`: import a roster from the command line."""

from __future__ import annotations

import time
from pathlib import Path

import click

from servicebank.cli_support import Progress, emit, fail, json_option, progress, run_with_db
from servicebank.config import get_settings
from servicebank.kernel.errors import DomainError


def _human(report: dict) -> str:
    verb = "would import" if report["dry_run"] else "imported"
    lines = [f"{report['total_rows']} rows read, {report['valid_rows']} valid: {verb} "
             f"{report['valid_rows'] if report['dry_run'] else report['created']}, skipped {report['skipped']} "
             f"({report['seconds']:.1f}s)"]
    for row in report["skipped_rows"]:
        problems = "; ".join(f"{e['field']}: {e['message']} [{e['code']}]" for e in row["errors"])
        lines.append(f"  row {row['row']}: {problems}")
    if report["skipped_rows_truncated"]:
        lines.append("  ... more skipped rows not listed")
    return "\n".join(lines)


def register(cli: click.Group) -> None:
    """Add the `volunteers` command group to the main CLI."""

    @cli.group()
    def volunteers() -> None:
        """Volunteers: import rosters."""

    @volunteers.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--community", "community_id", type=int, required=True, help="Id of the community.")
    @click.option("--dry-run", is_flag=True, help="Only check the rows and list the problems.")
    @json_option
    def import_command(file: Path, community_id: int, dry_run: bool, as_json: bool) -> None:
        """Import volunteers from FILE (.xlsx or .csv): all valid rows at once, problems listed by row."""
        import msgspec

        from servicebank.volunteers.identity import vault
        from servicebank.volunteers.importer import import_roster
        from servicebank.volunteers.roster import read_roster

        settings = get_settings()
        started = time.monotonic()
        content = file.read_bytes()

        async def work(db):  # noqa: ANN001, ANN202
            with progress("reading", None, as_json=as_json) as bar:
                roster = read_roster(content, filename=file.name, max_bytes=None,
                                     on_row=lambda _n: bar.advance(1))
            bars: dict[str, Progress] = {}

            def on_progress(phase: str, n: int, total: int) -> None:
                # One bar per phase: "checking" every row, then "writing" the valid ones.
                if phase not in bars:
                    for earlier in bars.values():
                        earlier.finish()
                    label = "checking" if phase == "check" else "writing"
                    bars[phase] = Progress(label, total, as_json=as_json)
                bars[phase].advance(n)

            async with db.session_scope() as session:
                report = await import_roster(session, actor=None, vault=vault(settings), community_id=community_id,
                                             roster=roster, dry_run=dry_run, filename=file.name,
                                             on_progress=on_progress)
            if bars:
                list(bars.values())[-1].finish()
            return report

        try:
            report = run_with_db(work)
        except DomainError as exc:
            fail(exc.message, code=exc.code, as_json=as_json)
            return
        data = msgspec.to_builtins(report)
        data["seconds"] = round(time.monotonic() - started, 2)
        emit(data, as_json=as_json, human=_human)
