"""Roster import (花名册导入) for organisers: upload .xlsx or .csv, check it (a dry run lists every bad row with the
spreadsheet's own row number, in plain words), then import the good rows; blank templates to start from."""

from __future__ import annotations

import base64
import binascii

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.errors import DomainError, InvalidInput
from servicebank.org import service as org
from servicebank.spreadsheets import XLSX_MEDIA_TYPE, append_row, append_rows, csv_text, workbook_bytes
from servicebank.volunteers.identity import vault
from servicebank.volunteers.importer import import_roster
from servicebank.volunteers.roster import read_roster_off_loop
from servicebank.web import friendly, i18n
from servicebank.web.guard import require_login
from servicebank.web.i18n import N_
from servicebank.web.render import finish, lang_of, render

# A checked file small enough travels back in the report page, so "import" needs no second upload.
CARRY_LIMIT = 1024 * 1024
TEMPLATE_COLUMNS = [
    ("姓名", "必填"), ("手机号", "必填，11位手机号或带区号的固定电话"), ("身份证号", "选填，18位居民身份证号"),
    ("证件类型", "选填，不填为居民身份证；也可填 护照、港澳居民来往内地通行证 等"), ("性别", "选填，男/女"),
    ("出生年份", "选填，如 1956"), ("网格", "选填，须是本社区已有的网格名称"),
    ("服务队", "选填，须是本社区已有的服务队，多个用、分隔"), ("技能", "选填，多个用、分隔，如 理发、维修"),
    ("政治面貌", "选填，如 党员、团员、群众"), ("人员类别", "选填，如 退休、在职、学生"), ("公益性岗位", "选填，是/否"),
    ("志愿者编号", "选填，不填由系统编号"),
]
FIELD_NAMES = {
    "real_name": N_("Name"), "phone": N_("Phone"), "id_type": N_("ID document"), "id_number": N_("ID number"),
    "number": N_("Volunteer number"), "gender": N_("Gender"), "birth_year": N_("Birth year"), "grid": N_("Grid"),
    "teams": N_("Teams"), "skill_tags": N_("Skills"), "political_status": N_("Political status"),
    "party_class": N_("Category"), "paid_service": N_("Paid or obligatory service"),
}


def template_xlsx() -> bytes:
    """A blank roster workbook: the header row the importer knows, and a sheet explaining each column."""
    from openpyxl import Workbook  # loaded on first use: it would slow every process's start
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "花名册"
    append_row(sheet, [name for name, _note in TEMPLATE_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index in range(len(TEMPLATE_COLUMNS)):
        sheet.column_dimensions[chr(ord("A") + index)].width = 16
    notes = workbook.create_sheet("填写说明")
    append_rows(notes, [["列", "说明"], *TEMPLATE_COLUMNS,
                        ["", "从第2行起每行一位志愿者；导入前可先点“检查”，系统会列出每一行的问题。"]])
    return workbook_bytes(workbook)


def template_csv() -> bytes:
    """The same header as CSV, UTF-8 with a BOM so that Excel and WPS open the Chinese correctly."""
    return csv_text([[name for name, _note in TEMPLATE_COLUMNS]]).encode("utf-8")


class ImportPages(Controller):
    path = "/manage/import"
    include_in_schema = False

    @get("/")
    async def form(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                   community: int | None = None) -> Response:
        """The upload form with the template downloads."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        chosen, choices = await org.pick_workplace(db_session, actor=principal, community_id=community)
        principal.require_manager(chosen.id)
        return render(request, "volunteers/import.html", principal, title=_("Import a roster"), community=chosen,
                      choices=choices, report=None, error=None, carry=None, filename="", field_names=FIELD_NAMES,
                      explain=_row_message)

    @post("/")
    async def upload(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None) -> Response:
        """Check the file (mode=check) or import its valid rows (mode=import); either way, the report."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        form = await request.form()
        community_id = int(str(form.get("community_id") or 0))
        chosen, choices = await org.pick_workplace(db_session, actor=principal, community_id=community_id)
        principal.require_manager(chosen.id)
        dry_run = form.get("mode") != "import"
        report, error, carry, filename = None, None, None, ""
        try:
            content, filename = await _content(form)
            roster = await read_roster_off_loop(content, filename=filename,
                                                max_bytes=request.app.state.settings.max_upload_bytes)
            report = await import_roster(db_session, actor=principal, vault=vault(request.app.state.settings),
                                         community_id=chosen.id, roster=roster, dry_run=dry_run, filename=filename)
            if dry_run and len(content) <= CARRY_LIMIT:
                carry = base64.b64encode(content).decode()
        except DomainError as exc:
            await db_session.rollback()
            error = friendly.explain(exc, _)
            chosen, choices = await org.pick_workplace(db_session, actor=principal, community_id=community_id)
        return render(request, "volunteers/import.html", principal, status_code=422 if error else 200,
                      title=_("Import a roster"), community=chosen, choices=choices, report=report, error=error,
                      carry=carry, filename=filename, field_names=FIELD_NAMES, explain=_row_message)

    @get("/template.xlsx")
    async def xlsx(self, request: Request, optional_principal: Principal | None) -> Response:
        """The blank roster as .xlsx."""
        require_login(optional_principal)
        return finish(request, Response(template_xlsx(), media_type=XLSX_MEDIA_TYPE, headers={
            "Content-Disposition": "attachment; filename=\"roster-template.xlsx\""}))

    @get("/template.csv")
    async def csv_(self, request: Request, optional_principal: Principal | None) -> Response:
        """The blank roster as .csv."""
        require_login(optional_principal)
        return finish(request, Response(template_csv(), media_type="text/csv", headers={
            "Content-Disposition": "attachment; filename=\"roster-template.csv\""}))


async def _content(form) -> tuple[bytes, str]:  # noqa: ANN001
    """The uploaded file, or the checked file carried back by the report page."""
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        return await upload.read(), upload.filename
    carried = str(form.get("content") or "")
    if carried:
        try:
            return base64.b64decode(carried, validate=True), str(form.get("filename") or "")
        except (binascii.Error, ValueError):
            pass
    raise InvalidInput("Send the roster as a file.", code="file_required")


def _row_message(problem, _) -> str:  # noqa: ANN001
    """One problem of a row in plain words (the domain's own message when we have no better one)."""
    known = friendly.MESSAGES.get(problem.code)
    return _(known) if known else problem.message
