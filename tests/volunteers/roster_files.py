"""Builders for roster files the way communities keep them (title row, Chinese headers, numbers as numbers)."""

from __future__ import annotations

import io

from openpyxl import Workbook

HEADER = ["序号", "姓名", "性别", "手机号码", "身份证号", "网格", "服务队", "技能特长", "政治面貌", "公益性岗位"]


def xlsx(rows: list[list[object]], *, header: list[str] = HEADER, title: str | None = "和谐社区志愿者花名册") -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("花名册")
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[object]], *, header: list[str] = HEADER, encoding: str = "utf-8-sig") -> bytes:
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)
