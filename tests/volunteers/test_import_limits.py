"""Crafted workbooks that used to freeze the server or fill its memory are refused at once, with bounded memory,
and a big legitimate import is read in a worker thread while the server goes on answering."""

from __future__ import annotations

import asyncio
import io
import threading
import tracemalloc
import zipfile
from collections.abc import Iterator

import pytest

from servicebank.kernel.errors import UploadTooLarge
from servicebank.volunteers import xlsx_limits, xlsx_reader
from servicebank.volunteers.roster import read_roster
from tests.volunteers.test_import import _import, _setup

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
WORKBOOK = (f'<workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="花名册" sheetId="1" r:id="rId1"/></sheets></workbook>')
RELS = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>')
HEADER = '<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c><c r="B1" t="inlineStr"><is><t>手机号</t></is></c></row>'
PEAK_LIMIT = 16 * 1024 * 1024  # the old reader needed hundreds of megabytes for these files


def _person(row: int, column_b: str = "B") -> str:
    return (f'<row r="{row}"><c r="A{row}" t="inlineStr"><is><t>王{row}</t></is></c>'
            f'<c r="{column_b}{row}"><v>{13900000000 + row}</v></c></row>')


def workbook(rows: Iterator[str] | list[str], *, shared_strings: Iterator[str] | None = None,
             extra_entries: int = 0) -> bytes:
    """A minimal .xlsx written part by part (so a bomb never sits whole in the test's memory either)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'<worksheet xmlns="{MAIN}"><sheetData>'.encode())
            for row in rows:
                sheet.write(row.encode())
            sheet.write(b"</sheetData></worksheet>")
        if shared_strings is not None:
            with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
                part.write(f'<sst xmlns="{MAIN}">'.encode())
                for chunk in shared_strings:
                    part.write(chunk.encode())
                part.write(b"</sst>")
        for index in range(extra_entries):
            archive.writestr(f"customXml/item{index}.xml", "")
    return out.getvalue()


def refused_with_bounded_memory(content: bytes) -> UploadTooLarge:
    """Read the file as the import does; it must be refused (import_too_large) without much memory."""
    tracemalloc.start()
    try:
        with pytest.raises(UploadTooLarge) as refused:
            read_roster(content, filename="花名册.xlsx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert refused.value.code == "import_too_large" and refused.value.status_code == 413
    assert peak < PEAK_LIMIT, f"peak {peak // 1024} KiB"
    return refused.value


class TestCraftedWorkbooks:
    def test_a_far_row_number_is_refused_and_an_empty_far_row_costs_nothing(self) -> None:
        far = workbook([HEADER, _person(2), _person(1_048_576)])
        assert len(far) < 2048
        assert "第 1048576 行" in refused_with_bounded_memory(far).message
        # A formatting-only row at the bottom of the sheet (Excel writes those) is no reason to refuse.
        formatted = workbook([HEADER, _person(2), '<row r="1048576" s="1" customFormat="1"><c r="A1048576" s="1"/></row>'])
        assert [number for number, _ in read_roster(formatted, filename="a.xlsx").rows] == [2]

    def test_a_far_column_is_refused(self) -> None:
        for far_cell in ('<c r="ZZZZZ2" t="inlineStr"><is><t>x</t></is></c>', '<c r="XFD2"><v>1</v></c>',
                         '<c r="' + "Z" * 5000 + '2"><v>1</v></c>'):
            refused = refused_with_bounded_memory(workbook([HEADER, f'<row r="2">{far_cell}</row>']))
            assert "列" in refused.message

    def test_a_row_of_many_empty_cells_is_read_in_flat_memory(self) -> None:
        empty_cells = "".join(f'<c r="B{n}" s="{n % 7}"/>' for n in range(400_000))
        wide = workbook([HEADER, _person(2), f'<row r="3">{empty_cells}</row>', _person(4)])
        tracemalloc.start()
        try:
            roster = read_roster(wide, filename="a.xlsx")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert [number for number, _ in roster.rows] == [2, 4] and peak < PEAK_LIMIT, f"peak {peak // 1024} KiB"

    def test_a_shared_strings_bomb_is_refused_before_parsing(self) -> None:
        bomb = workbook([HEADER], shared_strings=("<si><t>" + "啊" * 1000 + "</t></si>" for _ in range(30_000)))
        assert len(bomb) < 4 * 1024 * 1024
        refused_with_bounded_memory(bomb)

    def test_too_many_shared_strings_are_refused_while_streaming(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(xlsx_limits, "MAX_SHARED_STRINGS", 1_000)
        many = workbook([HEADER], shared_strings=(f"<si><t>{n}</t></si>" for n in range(5_000)))
        assert "1000 条" in refused_with_bounded_memory(many).message

    def test_a_deflate_bomb_is_refused_before_parsing(self) -> None:
        blank_rows = (" " * (1024 * 1024) for _ in range(300))  # 300 MB of whitespace, about 300 KB zipped
        bomb = workbook(iter([HEADER, *blank_rows]))
        assert len(bomb) < 1024 * 1024
        assert "MB" in refused_with_bounded_memory(bomb).message

    def test_a_zip_of_many_entries_is_refused_before_reading_its_directory(self) -> None:
        refused_with_bounded_memory(workbook([HEADER], extra_entries=5_000))


async def test_the_api_refuses_with_a_stable_code_and_a_chinese_message(client, session) -> None:  # noqa: ANN001
    org, organiser, _ = await _setup(session)
    content = workbook([HEADER, '<row r="2"><c r="ZZZZZ2" t="inlineStr"><is><t>x</t></is></c></row>'])
    response = await _import(client, org, organiser, content, "花名册.xlsx", dry_run=True)
    assert response.status_code == 413 and response.json()["code"] == "import_too_large"
    assert "最多 100 列" in response.json()["detail"]


async def test_other_requests_are_served_while_a_big_import_is_read(client, session, monkeypatch) -> None:  # noqa: ANN001
    org, organiser, _ = await _setup(session)
    content = workbook([HEADER, *(_person(row) for row in range(2, 30_002))])
    order: list[str] = []
    reading = threading.Event()
    real_iter_rows = xlsx_reader.iter_rows

    def watched(data: bytes) -> Iterator[tuple[int, list[object]]]:
        reading.set()
        yield from real_iter_rows(data)
        order.append("file read")

    monkeypatch.setattr(xlsx_reader, "iter_rows", watched)
    upload = asyncio.create_task(_import(client, org, organiser, content, "花名册.xlsx", dry_run=True))
    while not reading.is_set():
        await asyncio.sleep(0.01)
    assert (await client.get("/health/live")).status_code == 200
    order.append("other request answered")
    response = await upload
    assert response.status_code == 200 and response.json()["total_rows"] == 30_000
    assert order == ["other request answered", "file read"]
