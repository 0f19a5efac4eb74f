"""The 台账 report as JSON: the same figures the .xlsx and .csv downloads hold."""

from __future__ import annotations

import msgspec


class Figures(msgspec.Struct, kw_only=True):
    """One period's headline figures for the scope."""

    teams: int  # 支
    volunteers_registered: int  # 人 (registered before the period ended, not pending or left)
    volunteers_served: int  # 人 (with approved attendance in the period)
    activities: int  # 次 (with approved attendance in the period)
    participations: int  # 人次 (approved attendances)
    service_minutes: int  # credited by the ledger for those attendances
    service_hours: float
    beneficiaries: int  # 受益人次 (the organisers' counts on those activities)
    # 参保服务人次: of those participations, the ones whose volunteer or activity had insurance valid on the day.
    insured_participations: int = 0


class BreakdownRow(msgspec.Struct, kw_only=True):
    """Figures of one activity kind, beneficiary group or community, this period and a year earlier."""

    key: str
    name: str
    activities: int
    participations: int
    volunteers: int | None
    service_minutes: int
    beneficiaries: int
    last_year_activities: int
    last_year_participations: int
    last_year_service_minutes: int
    last_year_beneficiaries: int


class TaizhangOut(msgspec.Struct, kw_only=True):
    scope: str  # community:12 or street:3
    scope_name: str
    period: str
    period_name: str  # 2026年第4季度
    last_year_period: str
    current: Figures
    last_year: Figures
    by_kind: list[BreakdownRow]
    by_group: list[BreakdownRow]
    by_community: list[BreakdownRow]
