"""The one writer of spreadsheet cells: text never becomes a formula, numbers stay numbers."""

from __future__ import annotations

from openpyxl import Workbook

from servicebank.spreadsheets import append_row, csv_cell, csv_text, workbook_bytes
from tests.spreadsheet_checks import PAYLOADS, assert_csv_neutral, assert_xlsx_neutral, xlsx_cells


def test_every_payload_is_text_in_xlsx_and_quoted_in_csv() -> None:
    rows = [["名称", "数量"], *([payload, -5] for payload in PAYLOADS), ["普通文字", 2.5]]
    book = Workbook()
    for row in rows:
        append_row(book.active, row)
    content = workbook_bytes(book)
    assert_xlsx_neutral(content, PAYLOADS)
    assert (-5, "n") in xlsx_cells(content) and (2.5, "n") in xlsx_cells(content)
    parsed = assert_csv_neutral(csv_text(rows), PAYLOADS)
    assert parsed[1] == ["'" + PAYLOADS[0], "-5"] and parsed[-1] == ["普通文字", "2.5"]


def test_plain_text_and_numbers_pass_unchanged() -> None:
    assert [csv_cell(v) for v in ("王秀英", "a=b", 3, -3, 1.5, None, "")] == ["王秀英", "a=b", 3, -3, 1.5, None, ""]
