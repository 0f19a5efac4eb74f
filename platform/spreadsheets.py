"""Writing spreadsheet exports (.xlsx and CSV) so that no text cell becomes a live formula.

Names of groups, items, stores and volunteers and refund reasons are typed by leaders, clerks and
volunteers; an organiser opens the 台账 or a settlement in Excel or WPS. A cell like
`=HYPERLINK("http://x","y")` would run there. Every export writes its rows through this module:
in .xlsx every text cell is stored as text (openpyxl would otherwise store a leading '=' as a
formula), and in CSV, where the program decides, text that starts like a formula gets a leading
single quote (the OWASP advice). Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

# What Excel, WPS and LibreOffice treat as the start of a formula (tab and CR hide it behind a blank).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Row = Sequence[object]


def csv_cell(value: object) -> object:
    """A CSV cell no spreadsheet program evaluates: text starting like a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(rows: Iterable[Row], *, bom: bool = True) -> str:
    """Rows as CSV text, every cell neutralised; with a BOM so Excel reads UTF-8 Chinese right."""
    out = io.StringIO()
    if bom:
        out.write("\ufeff")
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return out.getvalue()


def _text_cells(sheet: Any, row: Row, cell_class: Any) -> list[Any]:  # noqa: ANN401
    cells = []
    for value in row:
        cell = cell_class(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # openpyxl reads a leading '=' as a formula; this is text someone typed
        cells.append(cell)
    return cells


def append_row(sheet: Any, row: Row) -> None:
    """Append a row to an openpyxl worksheet with every text cell stored as text, never as a formula."""
    from openpyxl.cell.cell import Cell

    sheet.append(_text_cells(sheet, row, Cell))


def append_rows(sheet: Any, rows: Iterable[Row]) -> None:
    """append_row for each row."""
    for row in rows:
        append_row(sheet, row)


def workbook_bytes(book: Any) -> bytes:
    """An openpyxl workbook saved to bytes."""
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def append_write_only(sheet: Any, row: Row) -> None:
    """append_row for a write-only worksheet (large exports): text cells stored as text, never as formulas."""
    from openpyxl.cell import WriteOnlyCell

    sheet.append(_text_cells(sheet, row, WriteOnlyCell))
