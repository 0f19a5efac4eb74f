"""`servicebank stores ...`: the monthly settlement export for a store."""

from __future__ import annotations

from pathlib import Path

import click
import msgspec

from servicebank.cli_support import emit, fail, json_option, run_with_db


def register(cli: click.Group) -> None:
    """Add the `stores` commands."""

    @cli.group()
    def stores() -> None:
        """Stores that take points (爱心超市, partner shops)."""

    @stores.command("settlement")
    @click.argument("store_id", type=int)
    @click.argument("month")
    @click.option("--format", "fmt", type=click.Choice(["json", "csv", "xlsx"]), default="xlsx", show_default=True)
    @click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="File to write (default: settlement-store<ID>-<MONTH>.<format> here; JSON prints).")
    @json_option
    def settlement_command(store_id: int, month: str, fmt: str, output: Path | None, as_json: bool) -> None:
        """Export a store's settlement for MONTH (YYYY-MM, local time): points received, items, refunds."""
        from servicebank.config import get_settings
        from servicebank.kernel.errors import DomainError
        from servicebank.stores import service

        async def work(db):  # noqa: ANN001, ANN202
            async with db.session_scope() as session:
                store = await service.get_store(session, store_id)
                return await service.compute_settlement(session, store=store, month=month,
                                                        timezone=get_settings().timezone)

        try:
            result = run_with_db(work, publish=False)
        except DomainError as exc:
            fail(exc.message, code=exc.code, as_json=as_json)
            return
        if fmt == "json" and output is None:
            emit(msgspec.to_builtins(result.summary), as_json=True)
            return
        body = {"json": lambda r: msgspec.json.encode(r.summary), "csv": service.settlement_csv,
                "xlsx": service.settlement_xlsx}[fmt](result)
        path = output or Path(service.settlement_filename(result, fmt))
        path.write_bytes(body)
        s = result.summary
        emit({"file": str(path), "store": s.store_name, "month": s.month, "points_received": s.points_received,
              "points_refunded": s.points_refunded, "net_points": s.net_points}, as_json=as_json,
             human=lambda d: f"{d['store']} {d['month']}: received {d['points_received']}, refunded "
                             f"{d['points_refunded']}, net {d['net_points']} points -> {d['file']}")
