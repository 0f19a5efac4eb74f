"""A streaming reader for the first sheet of an .xlsx workbook: values only, several times faster than
openpyxl's read-only mode (a 100,000-row roster in seconds), with the sheet's own row numbers kept."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from xml.etree import ElementTree

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


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    strings: list[str] = []
    with archive.open("xl/sharedStrings.xml") as part:
        for _, element in ElementTree.iterparse(part, events=("end",)):
            if element.tag == f"{MAIN}si":
                # Rich text keeps its runs in <r><t>; phonetic hints (<rPh>) are not part of the value.
                strings.append("".join(t.text or "" for t in element.iter(f"{MAIN}t")
                                       if not _inside_phonetic(element, t)))
                element.clear()
    return strings


def _inside_phonetic(si: ElementTree.Element, text: ElementTree.Element) -> bool:
    return any(text in list(ph.iter()) for ph in si.findall(f"{MAIN}rPh"))


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        value = float(text)
        return int(value) if value.is_integer() else value


def iter_rows(content: bytes) -> Iterator[list[object]]:
    """Rows of the first sheet as lists of values (str, int, float, bool or None); gaps yield empty rows."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        shared = _shared_strings(archive)
        part = archive.open(_first_sheet_path(archive))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, EOFError) as exc:
        raise BadWorkbook(str(exc)) from exc
    expected_row = 1
    try:
        with part:
            for _, element in ElementTree.iterparse(part, events=("end",)):
                if element.tag != f"{MAIN}row":
                    continue
                number = int(element.get("r") or expected_row)
                while expected_row < number:
                    yield []
                    expected_row += 1
                cells: list[object] = []
                for position, cell in enumerate(element.iter(f"{MAIN}c")):
                    match = _CELL_REF.match(cell.get("r") or "")
                    column = _column_index(match.group(1)) if match else position
                    kind = cell.get("t")
                    value_element = cell.find(f"{MAIN}v")
                    text = value_element.text if value_element is not None else None
                    if kind == "inlineStr":
                        value: object = "".join(t.text or "" for t in cell.iter(f"{MAIN}t"))
                    elif text is None:
                        value = None
                    elif kind == "s":
                        value = shared[int(text)]
                    elif kind == "b":
                        value = text == "1"
                    elif kind in ("str", "e", "d"):
                        value = text
                    else:
                        value = _number(text)
                    cells.extend([None] * (column - len(cells)))
                    cells.append(value)
                element.clear()
                yield cells
                expected_row = number + 1
    except (zipfile.BadZipFile, ElementTree.ParseError, EOFError, IndexError, ValueError, KeyError) as exc:
        raise BadWorkbook(str(exc)) from exc
