"""What an uploaded .xlsx may cost us to read: checked on the zip before any XML is parsed, and while
the sheet streams by, so that a crafted 1 KB file can neither freeze the server nor fill its memory.

An .xlsx is a zip of XML parts. The attacks it allows: a part that inflates a thousandfold (a
deflate bomb), a zip of millions of tiny entries, a shared-strings table of millions of strings, a
row numbered 1,048,576 or a cell in column ZZZZZ (readers that fill the gap allocate and loop for
every row and column in between). The limits sit far above any real roster: 100,000 volunteers
with ten columns unpack to about 60 MB, in 10 to 15 columns.
"""

from __future__ import annotations

import struct
import zipfile

MAX_ENTRIES = 1_000
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
# Sheets compress about 15:1; only a bomb reaches 100:1 on a part of more than a megabyte.
MAX_RATIO = 100
RATIO_FROM_BYTES = 1024 * 1024
MAX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024
MAX_SHARED_STRINGS = 1_000_000
MAX_SHEET_ROW = 250_000  # the row number of a cell with a value (200,000 rows plus title rows and gaps)
MAX_COLUMNS = 100
MAX_COLUMN_LETTERS = 3  # XFD is Excel's last column
SHARED_STRINGS = "xl/sharedStrings.xml"
SMALL_PARTS = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")  # read whole, not streamed
MAX_SMALL_PART_BYTES = 4 * 1024 * 1024
_END_OF_DIRECTORY = b"PK\x05\x06"


class WorkbookTooLarge(ValueError):
    """The workbook is past one of the limits; the message (Chinese) says which and what to do."""


def _declared_entries(content: bytes) -> int | None:
    # The entry count sits in the end-of-directory record; zipfile would build an object per entry first.
    at = content.rfind(_END_OF_DIRECTORY, max(0, len(content) - 65_557))
    if at < 0 or at + 12 > len(content):
        return None
    return struct.unpack("<H", content[at + 10:at + 12])[0]


def check_entry_count(content: bytes) -> None:
    """Refuse a zip with more entries than a workbook has, before zipfile reads its directory."""
    entries = _declared_entries(content)
    if entries is not None and entries > MAX_ENTRIES:
        raise WorkbookTooLarge(f"文件包含 {entries} 个压缩条目，不像正常的 Excel 工作簿（上限 {MAX_ENTRIES} 个）。"
                               "请用 Excel 或 WPS 打开后重新另存为 .xlsx。")


def check_archive(archive: zipfile.ZipFile) -> None:
    """Refuse what would unpack to too much: in total, per part (ratio), and the shared strings."""
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise WorkbookTooLarge(f"文件包含 {len(infos)} 个压缩条目，不像正常的 Excel 工作簿（上限 {MAX_ENTRIES} 个）。")
    # zipfile stops every part at its declared size (and then checks the CRC), so these sizes bound the reading.
    total = sum(info.file_size for info in infos)
    if total > MAX_UNPACKED_BYTES:
        raise WorkbookTooLarge(f"文件解压后有 {total // 2**20} MB，超过上限 {MAX_UNPACKED_BYTES // 2**20} MB。"
                               "请拆分成几个小文件后再导入。")
    for info in infos:
        if info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise WorkbookTooLarge(f"文件中的 {info.filename} 压缩比异常（{info.file_size // max(info.compress_size, 1)}"
                                   " 倍），可能是恶意构造的文件，已拒绝。请用 Excel 或 WPS 重新另存为 .xlsx。")
        if info.filename in SMALL_PARTS and info.file_size > MAX_SMALL_PART_BYTES:
            raise WorkbookTooLarge(f"文件中的 {info.filename} 有 {info.file_size // 2**20} MB，不像正常的 Excel 工作簿。"
                                   "请用 Excel 或 WPS 打开后重新另存为 .xlsx。")
        if info.filename == SHARED_STRINGS and info.file_size > MAX_SHARED_STRINGS_BYTES:
            raise WorkbookTooLarge(f"文件的共享字符串表有 {info.file_size // 2**20} MB，超过上限 "
                                   f"{MAX_SHARED_STRINGS_BYTES // 2**20} MB。请拆分成几个小文件后再导入。")


def check_shared_string_count(count: int) -> None:
    if count > MAX_SHARED_STRINGS:
        raise WorkbookTooLarge(f"文件中的不同文字超过 {MAX_SHARED_STRINGS} 条。请拆分成几个小文件后再导入。")


def check_cell(row: int, column: int, letters: str) -> None:
    """Refuse a cell with a value beyond the row and column limits (as the sheet numbers them)."""
    if len(letters) > MAX_COLUMN_LETTERS or column >= MAX_COLUMNS:
        raise WorkbookTooLarge(f"第 {row} 行在第 {letters or column + 1} 列有内容，花名册最多 {MAX_COLUMNS} 列。"
                               "请删除多余的列后再导入。")
    if row > MAX_SHEET_ROW:
        raise WorkbookTooLarge(f"第 {row} 行有内容，工作表最多读到第 {MAX_SHEET_ROW} 行。请拆分成几个小文件后再导入。")
