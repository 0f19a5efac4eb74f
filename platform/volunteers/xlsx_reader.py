"""A streaming reader for the first sheet of an .xlsx workbook: values only, several times faster than
openpyxl's read-only mode (a 100,000-row roster in seconds), with the sheet's own row numbers kept.

Memory stays flat: every element is taken out of its parent as soon as it has been read (iterparse
would keep them all: a row of millions of empty cells is a bomb), gaps between rows and cells are never
filled in, and the limits of xlsx_limits are checked on the zip before parsing and on every cell.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from typing import IO
from xml.etree import ElementTree

from servicebank.volunteers.xlsx_limits import (
    MAX_COLUMN_LETTERS,
    SHARED_STRINGS,
    WorkbookTooLarge,
    check_archive,
    check_cell,
    check_entry_count,
    check_shared_string_count,
)

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")


class BadWorkbook(ValueError):
    """The file is not a readable .xlsx workbook."""


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + (ord(letter) - 64)
    return index - 1


def _first_sheet_path(archive: zipfile.ZipFile) -> str:
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        sheet = workbook.find(f"{MAIN}sheets/{MAIN}sheet")
        rel_id = sheet.get(f"{REL}id") if sheet is not None else None
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError) as exc:
        raise BadWorkbook("no workbook part") from exc
    for rel in rels.iter(f"{PACKAGE_REL}Relationship"):
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    raise BadWorkbook("the first sheet is missing")


def _stream(part: IO[bytes]) -> Iterator[tuple[str, str, ElementTree.Element]]:
    """(event, tag without namespace, element), the parent emptied whenever a child ends, so no element
    piles up children. A caller takes attributes at an element's start and text at its end, never
    walking the tree (a parent's attributes are gone once a child has ended)."""
    open_elements: list[ElementTree.Element] = []
    for event, element in ElementTree.iterparse(part, events=("start", "end")):
        tag = element.tag.rpartition("}")[2]
        if event == "start":
            open_elements.append(element)
            yield event, tag, element
            continue
        open_elements.pop()
        yield event, tag, element
        if open_elements:
            # Siblings parsed ahead are cut off too; their own events, text and children are unaffected.
            open_elements[-1].clear()


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    if SHARED_STRINGS not in archive.namelist():
        return []
    strings: list[str] = []
    pieces: list[str] = []
    phonetic = 0  # phonetic hints (<rPh>) hold <t> too, but are not part of the value
    with archive.open(SHARED_STRINGS) as part:
        for event, tag, element in _stream(part):
            if tag == "rPh":
                phonetic += 1 if event == "start" else -1
            elif event == "start" and tag == "si":
                pieces = []
            elif event == "end" and tag == "t" and not phonetic:
                pieces.append(element.text or "")  # plain text, or the runs (<r><t>) of rich text
            elif event == "end" and tag == "si":
                strings.append("".join(pieces))
                check_shared_string_count(len(strings))
    return strings


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        value = float(text)
        return int(value) if value.is_integer() else value


def _cell_value(kind: str | None, text: str | None, inline: list[str], shared: list[str]) -> object:
    if kind == "inlineStr":
        return "".join(inline)
    if text is None:
        return None
    if kind == "s":
        return shared[int(text)]
    if kind == "b":
        return text == "1"
    if kind in ("str", "e", "d"):
        return text
    return _number(text)


def _place(cells: list[object], row: int, reference: str, position: int, value: object) -> None:
    """Put a value in its column; formatting-only cells never fill a gap up to a far column."""
    if value is None or value == "":
        return
    match = _CELL_REF.match(reference)
    letters = match.group(1) if match else ""
    # Four letters are enough to know the column is past the limit; a crafted reference may have thousands.
    column = _column_index(letters[:MAX_COLUMN_LETTERS + 1]) if match else position
    check_cell(row, column, letters)
    if column < len(cells):
        cells[column] = value  # a repeated reference: the later cell wins instead of the row growing
        return
    cells.extend([None] * (column - len(cells)))
    cells.append(value)


def open_workbook(content: bytes) -> zipfile.ZipFile:
    """The zip, once it is known to unpack to a reasonable size (WorkbookTooLarge otherwise)."""
    try:
        check_entry_count(content)
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, EOFError) as exc:
        raise BadWorkbook(str(exc)) from exc
    check_archive(archive)
    return archive


def _sheet_rows(part: IO[bytes], shared: list[str]) -> Iterator[tuple[int, list[object]]]:
    number, position = 0, 0
    cells: list[object] = []
    kind, reference, text = None, "", None
    inline: list[str] = []
    for event, tag, element in _stream(part):
        if event == "start":
            if tag == "row":
                number, position, cells = int(element.get("r") or number + 1), 0, []
            elif tag == "c":
                kind, reference, text, inline = element.get("t"), element.get("r") or "", None, []
            continue
        if tag == "v":
            text = element.text
        elif tag == "t":
            inline.append(element.text or "")
        elif tag == "c":
            _place(cells, number, reference, position, _cell_value(kind, text, inline, shared))
            position += 1
        elif tag == "row" and cells:
            yield number, cells


def iter_rows(content: bytes) -> Iterator[tuple[int, list[object]]]:
    """(the sheet's row number, values as str, int, float or bool with None in gaps) for rows with values."""
    archive = open_workbook(content)
    try:
        shared = _shared_strings(archive)
        part = archive.open(_first_sheet_path(archive))
    except WorkbookTooLarge:
        raise
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, EOFError, IndexError, ValueError) as exc:
        raise BadWorkbook(str(exc)) from exc
    try:
        with part:
            yield from _sheet_rows(part, shared)
    except WorkbookTooLarge:
        raise
    except (zipfile.BadZipFile, ElementTree.ParseError, EOFError, IndexError, ValueError, KeyError) as exc:
        raise BadWorkbook(str(exc)) from exc
