"""`servicebank honours generate`: (re)generate a month's honour lists from the command line."""

from __future__ import annotations

import click

from servicebank.cli_support import emit, fail, json_option, progress, run_with_db
from servicebank.kernel.errors import DomainError


def register(cli: click.Group) -> None:
    """Add the `honours` command group."""

    @cli.group()
    def honours() -> None:
        """Monthly honour lists (月度光荣榜)."""

    @honours.command("generate")
    @click.option("--month", required=True, help="The month, e.g. 2026-10.")
    @click.option("--community", "community_id", type=int, default=None, help="Only this community's list.")
    @click.option("--street", "street_id", type=int, default=None, help="Only this street and its communities.")
    @click.option("--top", "top_n", type=int, default=10, show_default=True, help="Volunteers per list.")
    @click.option("--teams", "top_teams", type=int, default=3, show_default=True, help="Teams per list.")
    @json_option
    def generate(month: str, community_id: int | None, street_id: int | None, top_n: int, top_teams: int,
                 as_json: bool) -> None:
        """Generate drafts (replacing earlier drafts); published lists are never touched."""
        from servicebank.config import get_settings
        from servicebank.honours.generation import count_scopes, generate_month
        from servicebank.honours.ranking import Filter
        from servicebank.reports.periods import parse_month

        flt = Filter(community_id=community_id, street_id=street_id)
        try:
            parse_month(month)
        except DomainError as exc:
            fail(exc.message, code=exc.code, as_json=as_json)

        async def work(db):  # noqa: ANN001, ANN202
            async with db.session_scope() as session:
                total = await count_scopes(session, flt)
                with progress("honour lists", total, as_json=as_json) as bar:
                    return await generate_month(session, month=month, timezone=get_settings().timezone, flt=flt,
                                                top_n=top_n, top_teams=top_teams, on_scope=bar.advance)

        try:
            result = run_with_db(work, publish=False)
        except DomainError as exc:
            fail(exc.message, code=exc.code, as_json=as_json)
            return
        emit(result.as_dict(), as_json=as_json,
             human=lambda d: f"{d['month']}: {d['created']} created, {d['replaced']} replaced, "
                             f"{d['unchanged']} unchanged, {d['kept_published']} published left as they are")
