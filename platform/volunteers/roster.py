"""Reading a roster (花名册) from .xlsx or .csv the way communities keep them: Chinese headers, a title
row or two above the header, phone numbers stored as numbers, CSV saved by Excel in GBK."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from functools import partial

import anyio

from servicebank.kernel.errors import InvalidInput, UnsupportedFile, UploadTooLarge

MAX_ROWS = 200_000
HEADER_SEARCH_ROWS = 10

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "real_name": ("姓名", "真实姓名", "志愿者姓名", "name", "real_name", "realname"),
    "phone": ("手机号", "手机号码", "联系电话", "联系方式", "电话", "手机", "phone", "mobile"),
    "id_type": ("证件类型", "id_type", "idtype"),
    "id_number": ("身份证号", "身份证号码", "身份证", "证件号码", "证件号", "id_number", "idnumber"),
    "number": ("志愿者编号", "编号", "volunteer_number", "number"),
    "gender": ("性别", "gender", "sex"),
    "birth_year": ("出生年份", "出生年月", "出生日期", "birth_year", "birthyear", "birthday"),
    "grid": ("网格", "所属网格", "grid"),
    "teams": ("服务队", "所属服务队", "志愿服务队", "队伍", "所属队伍", "teams", "team"),
    "skill_tags": ("技能", "特长", "技能特长", "专长", "skills", "skill_tags"),
    "political_status": ("政治面貌", "political_status"),
    "party_class": ("人员类别", "类别", "身份类别", "party_class"),
    "paid_service": ("公益性岗位", "有偿服务", "有偿", "paid_service"),
}
REQUIRED_COLUMNS = ("real_name", "phone")
_ALIAS_TO_FIELD = {alias.lower(): field for field, aliases in COLUMN_ALIASES.items() for alias in aliases}


@dataclasses.dataclass
class Roster:
    """Rows as {field: text} keyed by the spreadsheet's own row number, and the header mapping used."""

    columns: dict[str, str]
    rows: list[tuple[int, dict[str, str]]]


def _header_key(raw: object) -> str:
    text = str(raw or "").strip()
    text = re.sub(r"[（(][^）)]*[）)]", "", text)  # "手机号(必填)" -> "手机号"
    return re.sub(r"[\s*＊:：]", "", text).lower()


def cell_text(value: object) -> str:
    """A cell as text: whole-number floats lose their '.0' (Excel keeps phone numbers as numbers)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value).strip()


def _map_header(cells: list[object]) -> dict[int, str] | None:
    mapping: dict[int, str] = {}
    for index, cell in enumerate(cells):
        field = _ALIAS_TO_FIELD.get(_header_key(cell))
        if field and field not in mapping.values():
            mapping[index] = field
    return mapping if all(f in mapping.values() for f in REQUIRED_COLUMNS) else None


def _rows(raw_rows: Iterator[tuple[int, list[object]]], on_row: Callable[[int], None] | None = None) -> Roster:
    """The header within the first rows, then every non-blank row below it, keyed by its own row number."""
    mapping, header_cells = None, []
    for number, cells in raw_rows:
        if number > HEADER_SEARCH_ROWS:
            break
        mapping, header_cells = _map_header(list(cells)), list(cells)
        if mapping:
            break
    if not mapping:
        raise InvalidInput("No header row with the columns 姓名 and 手机号 was found in the first "
                           f"{HEADER_SEARCH_ROWS} rows. Known columns: " + ", ".join(a[0] for a in COLUMN_ALIASES.values()),
                           code="missing_columns")
    columns = {field: str(header_cells[index]).strip() for index, field in mapping.items()}
    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in raw_rows:
        values = {field: cell_text(cells[index]) if index < len(cells) else "" for index, field in mapping.items()}
        if not any(values.values()):
            continue  # blank lines and formatting-only rows at the bottom of a sheet
        rows.append((number, values))
        if len(rows) > MAX_ROWS:
            raise InvalidInput(f"The file has more than {MAX_ROWS} rows; split it into smaller files.",
                               code="too_many_rows")
        if on_row is not None:
            on_row(number)
    return Roster(columns=columns, rows=rows)


def _read_xlsx(content: bytes, on_row: Callable[[int], None] | None) -> Roster:
    from servicebank.volunteers.xlsx_limits import WorkbookTooLarge
    from servicebank.volunteers.xlsx_reader import BadWorkbook, iter_rows

    try:
        return _rows(iter_rows(content), on_row=on_row)
    except WorkbookTooLarge as exc:
        raise UploadTooLarge(str(exc), code="import_too_large") from exc
    except BadWorkbook as exc:
        raise InvalidInput("The .xlsx file cannot be read (it is damaged or not really an Excel workbook). Open it "
                           "in Excel or WPS and save it again as .xlsx.", code="unreadable_spreadsheet") from exc


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnsupportedFile("The CSV file is neither UTF-8 nor GBK text. Save it as 'CSV UTF-8' in Excel.")


def _read_csv(content: bytes, on_row: Callable[[int], None] | None) -> Roster:
    text = _decode(content)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    return _rows(enumerate(csv.reader(io.StringIO(text), dialect), start=1), on_row=on_row)  # type: ignore[arg-type]


def read_roster(content: bytes, *, filename: str | None = None, max_bytes: int | None = None,
                on_row: Callable[[int], None] | None = None) -> Roster:
    """Parse an uploaded roster; refuses oversized files and anything that is not .xlsx or CSV (stable codes)."""
    if max_bytes is not None and len(content) > max_bytes:
        raise UploadTooLarge(f"The file is {len(content) // 1024} KiB; the limit is {max_bytes // 1024} KiB. "
                             "Split it into smaller files.")
    if not content.strip():
        raise InvalidInput("The file is empty.", code="empty_file")
    name = (filename or "").lower()
    if content.startswith(b"PK\x03\x04"):
        if name and not name.endswith((".xlsx", ".xlsm")):
            raise UnsupportedFile("Only .xlsx workbooks and .csv files can be imported.")
        return _read_xlsx(content, on_row)
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnsupportedFile("This is an old .xls workbook. Open it in Excel or WPS and save it as .xlsx.")
    if name.endswith((".xlsx", ".xlsm")):
        raise InvalidInput("The .xlsx file cannot be read (it is damaged or not really an Excel workbook).",
                           code="unreadable_spreadsheet")
    if (name and not name.endswith((".csv", ".txt"))) or b"\x00" in content[:8192]:
        raise UnsupportedFile("Only .xlsx workbooks and .csv files can be imported.")
    return _read_csv(content, on_row)


async def read_roster_off_loop(content: bytes, *, filename: str | None, max_bytes: int | None) -> Roster:
    """read_roster in a worker thread: reading a big file takes seconds, and the server must go on answering."""
    return await anyio.to_thread.run_sync(partial(read_roster, content, filename=filename, max_bytes=max_bytes))
