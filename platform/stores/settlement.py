"""Monthly settlement per store (结算): points received, items given, refunds; as JSON, CSV and XLSX.

A receipt counts in the month it was made; its refund counts in the month the refund was made, so a
closed month's figures never change when a receipt is refunded later (the next month shows it).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.config import Settings
from servicebank.kernel.errors import InvalidInput
from servicebank.kernel.text import mask_name
from servicebank.spreadsheets import append_row, append_rows, csv_text, workbook_bytes
from servicebank.stores import repository
from servicebank.stores.access import get_store, require_till
from servicebank.stores.models import Redemption, Store
from servicebank.stores.schemas import SettlementItem, SettlementOut
from servicebank.volunteers.models import Volunteer

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
ITEM_HEADERS = ["商品/服务", "单位", "兑换数量", "兑换积分", "退还数量", "退还积分", "净数量", "净积分"]
RECEIPT_HEADERS = ["小票号", "时间", "志愿者编号", "志愿者", "积分", "状态", "退还时间", "退还原因"]


def month_bounds(month: str, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants a local month ("2026-11") starts and ends at."""
    found = _MONTH.match(month or "")
    if not found:
        raise InvalidInput("Give the month as YYYY-MM, e.g. 2026-11.", code="invalid_month")
    year, number = int(found.group(1)), int(found.group(2))
    tz = ZoneInfo(timezone)
    start = dt.datetime(year, number, 1, tzinfo=tz)
    end = dt.datetime(year + (number == 12), number % 12 + 1, 1, tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def _in(value: dt.datetime | None, start: dt.datetime, end: dt.datetime) -> bool:
    if value is None:
        return False
    value = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return start <= value < end


class Settlement:
    """The month's figures and the receipts behind them."""

    def __init__(self, summary: SettlementOut, receipts: list[Redemption], names: dict[int, tuple[str, str]],
                 timezone: str) -> None:
        self.summary, self.receipts, self.names, self.timezone = summary, receipts, names, timezone


async def compute(session: AsyncSession, *, store: Store, month: str, timezone: str) -> Settlement:
    """Figures for one store and local month, reproducible from the receipts."""
    start, end = month_bounds(month, timezone)
    receipts = await repository.redemptions_of_store(session, store.id, start=start, end=end, limit=1_000_000)
    lines = await repository.lines_of(session, [r.id for r in receipts])
    per_item: dict[int, dict[str, object]] = {}
    made = [r for r in receipts if _in(r.created_at, start, end)]
    refunded = [r for r in receipts if _in(r.refunded_at, start, end)]
    for kind, group in (("given", made), ("refunded", refunded)):
        for r in group:
            for line in lines.get(r.id, []):
                row = per_item.setdefault(line.item_id, {"name": line.item_name, "unit": line.unit,
                                                         "given": [0, 0], "refunded": [0, 0]})
                row[kind][0] += line.quantity  # type: ignore[index]
                row[kind][1] += line.points  # type: ignore[index]
    items = []
    for item_id, row in sorted(per_item.items(), key=lambda kv: (str(kv[1]["name"]), kv[0])):
        given, refunded = cast("list[int]", row["given"]), cast("list[int]", row["refunded"])
        (q, p), (rq, rp) = given, refunded
        items.append(SettlementItem(item_id=item_id, item_name=str(row["name"]), unit=str(row["unit"]), quantity=q,
                                    points=p, refunded_quantity=rq, refunded_points=rp, net_quantity=q - rq,
                                    net_points=p - rp))
    received = sum(r.total_points for r in made)
    returned = sum(r.total_points for r in refunded)
    summary = SettlementOut(store_id=store.id, store_name=store.name, community_id=store.community_id, month=month,
                            redemptions=len(made), volunteers=len({r.volunteer_id for r in made}),
                            points_received=received, refunds=len(refunded), points_refunded=returned,
                            net_points=received - returned, items=items)
    ids = sorted({r.volunteer_id for r in receipts})
    names: dict[int, tuple[str, str]] = {}
    if ids:
        rows = await session.execute(select(Volunteer.id, Volunteer.number, Volunteer.real_name)
                                     .where(Volunteer.id.in_(ids)))
        names = {vid: (number, mask_name(name)) for vid, number, name in rows.all()}
    ordered = sorted(receipts, key=lambda r: r.id)
    return Settlement(summary, ordered, names, timezone)


async def settlement_for(session: AsyncSession, *, actor: Principal, settings: Settings, store_id: int,
                         month: str) -> Settlement:
    """The store's settlement for a month, for its clerks and the community's organisers."""
    store = await get_store(session, store_id)
    require_till(actor, store)
    return await compute(session, store=store, month=month, timezone=settings.timezone)


def _item_rows(s: SettlementOut) -> list[list[object]]:
    rows: list[list[object]] = [[i.item_name, i.unit, i.quantity, i.points, i.refunded_quantity, i.refunded_points,
                                 i.net_quantity, i.net_points] for i in s.items]
    rows.append(["合计", "", sum(i.quantity for i in s.items), s.points_received,
                 sum(i.refunded_quantity for i in s.items), s.points_refunded,
                 sum(i.net_quantity for i in s.items), s.net_points])
    return rows


def _local(value: dt.datetime | None, timezone: str) -> str:
    if value is None:
        return ""
    value = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return value.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def _receipt_rows(settlement: Settlement) -> list[list[object]]:
    rows: list[list[object]] = []
    for r in settlement.receipts:
        number, name = settlement.names.get(r.volunteer_id, ("", ""))
        status = "已退还" if r.refunded_at is not None else "已兑换"
        rows.append([r.receipt_no or "", _local(r.created_at, settlement.timezone), number, name, r.total_points,
                     status, _local(r.refunded_at, settlement.timezone), r.refund_reason or ""])
    return rows


def to_csv(settlement: Settlement) -> bytes:
    """Per-item figures with a total row, UTF-8 with BOM so spreadsheet programs read the Chinese right."""
    return csv_text([ITEM_HEADERS, *_item_rows(settlement.summary)]).encode("utf-8")


def to_xlsx(settlement: Settlement) -> bytes:
    """A workbook: 汇总 (store, month, totals, per item) and 明细 (every receipt made or refunded)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    s = settlement.summary
    book = Workbook()
    sheet = book.active
    sheet.title = "汇总"
    bold = Font(bold=True)
    for label, value in (("门店", s.store_name), ("月份", s.month), ("兑换笔数", s.redemptions),
                         ("兑换人数", s.volunteers), ("收到积分", s.points_received), ("退还笔数", s.refunds),
                         ("退还积分", s.points_refunded), ("净积分", s.net_points)):
        append_row(sheet, [label, value])
        sheet.cell(row=sheet.max_row, column=1).font = bold
    sheet.append([])
    append_row(sheet, ITEM_HEADERS)
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    append_rows(sheet, _item_rows(s))
    sheet.column_dimensions["A"].width = 18
    detail = book.create_sheet("明细")
    append_row(detail, RECEIPT_HEADERS)
    for cell in detail[1]:
        cell.font = bold
    append_rows(detail, _receipt_rows(settlement))
    for column, width in zip("ABCDEFGH", (22, 18, 14, 10, 8, 8, 18, 24), strict=True):
        detail.column_dimensions[column].width = width
    return workbook_bytes(book)


def filename(settlement: Settlement, extension: str) -> str:
    return f"settlement-store{settlement.summary.store_id}-{settlement.summary.month}.{extension}"
