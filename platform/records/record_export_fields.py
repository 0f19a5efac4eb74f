"""The organisation-wide export's field mapping, versioned: our field → the regulation's field → a provincial upload
column. docs/records.md prints the same table (tests/records/test_record_export.py compares them), and every JSON
Lines record and every .xlsx row carries `schema_version`, so a provincial upload built on version 1 can tell when
the fields change. Add a field: a new minor version; rename or drop one: a new major version.
"""

from __future__ import annotations

import dataclasses

SCHEMA_VERSION = "1.0"


@dataclasses.dataclass(frozen=True)
class Field:
    key: str  # the JSON Lines key, and the .xlsx column's position
    heading: str  # the .xlsx column heading
    regulation: str  # 《志愿服务记录与证明出具办法》's field it fills ("—": ours only)
    upload_column: str  # the column of a provincial time-upload sheet it maps to ("—": not uploaded)


FIELDS = (
    Field("schema_version", "字段版本", "—", "—"),
    Field("record_key", "记录编号", "记录的唯一标识", "外部记录编号"),
    Field("record_type", "记录类型", "服务项目的来源（活动签到／补录／居民需求／培训）", "—"),
    Field("volunteer_name", "志愿者姓名", "志愿者姓名", "姓名"),
    Field("id_type", "证件类型", "证件类型", "证件类型"),
    Field("id_number_masked", "证件号码（隐去部分）", "证件号码（隐去部分）", "证件号码（由上传方按本人登记信息补全）"),
    Field("volunteer_number", "志愿者编号", "志愿者编号", "志愿者编号"),
    Field("service_date", "服务日期", "服务时间", "服务日期"),
    Field("started_at", "开始时间", "服务时间", "开始时间"),
    Field("ended_at", "结束时间", "服务时间", "结束时间"),
    Field("service_minutes", "服务时长（分钟）", "服务时长", "—"),
    Field("service_hours", "服务时长（小时）", "服务时长", "服务时长（小时）"),
    Field("project", "服务项目", "服务项目（活动）", "项目名称"),
    Field("content", "服务内容", "服务内容", "服务内容"),
    Field("place", "服务地点", "服务地点", "服务地点"),
    Field("kind", "服务类别", "服务内容", "服务类别"),
    Field("rating_stars", "评价（星）", "评价情况", "—"),
    Field("training_category", "培训类别", "培训情况", "—"),
    Field("training_minutes", "培训时长（分钟）", "培训情况", "—"),
    Field("recording_organisation", "记录组织", "记录组织", "组织名称"),
    Field("organisation_code", "组织编码", "记录组织", "组织编码"),
    Field("confirmed_by", "确认人", "确认人（记录人）", "审核人"),
    Field("confirmed_at", "确认时间", "记录时间", "—"),
    Field("corrected", "经更正", "更正情况", "备注"),
)

KEYS = tuple(f.key for f in FIELDS)
HEADINGS = tuple(f.heading for f in FIELDS)

RECORD_TYPE_NAMES = {"activity": "活动签到", "late_claim": "补录", "request": "居民需求", "training": "培训"}
TRAINING_NAMES = {"general": "通用培训", "professional": "专业培训", "pre_service": "岗前培训"}


def mapping_rows() -> list[list[str]]:
    """The mapping as the .xlsx's 字段说明 sheet shows it (and docs/records.md's table)."""
    return [["字段", "表头", "《志愿服务记录与证明出具办法》", "省级平台时长导入列"]] + \
        [[f.key, f.heading, f.regulation, f.upload_column] for f in FIELDS]
