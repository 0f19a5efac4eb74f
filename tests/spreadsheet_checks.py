"""Formula-injection payloads and the checks that an exported .xlsx or CSV runs none of them."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from servicebank.spreadsheets import FORMULA_STARTS

PAYLOADS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def xlsx_cells(content: bytes) -> list[tuple[object, str]]:
    """(value, data_type) of every cell of every sheet, asserting that none is a formula."""
    book = load_workbook(io.BytesIO(content))
    cells = [(cell.value, cell.data_type) for sheet in book for row in sheet.iter_rows() for cell in row]
    formulas = [value for value, kind in cells if kind == "f"]
    assert not formulas, formulas
    return cells


def assert_xlsx_neutral(content: bytes, payloads: list[str]) -> None:
    """No formula anywhere; each payload is there, verbatim, as text (so the figures are still right)."""
    cells = xlsx_cells(content)
    texts = {str(value) for value, kind in cells if kind == "s"}
    for payload in payloads:
        stored = payload.replace("\r", "\n")  # XML keeps a bare CR as a line feed
        assert any(stored in text for text in texts), payload
    numbers = [value for value, kind in cells if kind == "n" and value is not None]
    assert numbers and all(isinstance(value, (int, float)) for value in numbers)


def assert_csv_neutral(text: str, payloads: list[str]) -> list[list[str]]:
    """Every cell that starts like a formula is a number; each payload is there with a leading quote."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    cells = [cell for row in rows for cell in row]
    live = [cell for cell in cells if cell.startswith(FORMULA_STARTS) and not _is_number(cell)]
    assert not live, live
    for payload in payloads:
        assert any(cell.startswith("'" + payload) for cell in cells), payload
    return rows
