"""Activity kinds: the built-in ones every community shares and a community's own custom kinds."""

from __future__ import annotations

import re

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.activities.models import ActivityKind
from servicebank.kernel.errors import Conflict, InvalidInput

# code -> name. The ledger keys its hours rules by these codes: never rename a code.
BUILTIN_KINDS: dict[str, str] = {
    "cultural_show": "文艺演出",
    "cleanup": "环境清洁",
    "elderly_visit": "敬老走访",
    "patrol": "治安巡逻",
    "disability_aid": "助残",
    "child_care": "关爱儿童",
    "legal_publicity": "普法宣传",
    "health_clinic": "健康义诊",
    "festival": "节日活动",
    "other": "其他",
    # Trainings held as activities (sign-up and scans): attending one is 培训情况, not service (docs/records.md).
    "training_general": "通用培训",
    "training_professional": "专业培训",
    "training_pre_service": "岗前培训",
}

# The training kinds and the regulation's category each records (records' TrainingCategory codes). The ledger posts
# no service hours for their attendance; records keeps a training record instead (records/training_activities.py).
TRAINING_KINDS: dict[str, str] = {
    "training_general": "general",
    "training_professional": "professional",
    "training_pre_service": "pre_service",
}

_CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


async def ensure_builtin_kinds(session: AsyncSession) -> None:
    """Create the built-in kinds that are missing (safe to call any number of times)."""
    existing = set(
        (await session.scalars(select(ActivityKind.code).where(ActivityKind.community_id.is_(None)))).all()
    )
    for code, name in BUILTIN_KINDS.items():
        if code not in existing:
            session.add(ActivityKind(community_id=None, code=code, name=name))
    await session.flush()


async def kinds_for(session: AsyncSession, *, community_id: int) -> list[ActivityKind]:
    """The built-in kinds and the community's own, built-in first."""
    await ensure_builtin_kinds(session)
    rows = await session.scalars(
        select(ActivityKind)
        .where(or_(ActivityKind.community_id.is_(None), ActivityKind.community_id == community_id))
        .order_by(ActivityKind.community_id.is_not(None), ActivityKind.id)
    )
    return list(rows.all())


async def resolve_kind(session: AsyncSession, *, community_id: int, code: str) -> ActivityKind:
    """The kind with this code usable in the community (its own kind wins over a built-in one)."""
    for kind in reversed(await kinds_for(session, community_id=community_id)):
        if kind.code == code:
            return kind
    raise InvalidInput(f"Unknown activity kind {code!r}. Use one of the kinds listed at /api/activity-kinds.",
                       code="unknown_kind")


async def create_kind(session: AsyncSession, *, community_id: int, code: str, name: str,
                      needs_approval: bool = False, auto_approve: bool = False) -> ActivityKind:
    """Add a community's custom kind; its code must not clash with a built-in or existing kind."""
    code = code.strip().lower()
    name = name.strip()
    if not _CODE.match(code):
        raise InvalidInput("A kind code is 2-32 lower-case letters, digits or underscores, starting with a letter "
                           "(e.g. 'snow_clearing').", code="invalid_kind_code")
    if not name or len(name) > 64:
        raise InvalidInput("Give the kind a name of 1-64 characters.", code="invalid_kind_name")
    if any(k.code == code for k in await kinds_for(session, community_id=community_id)):
        raise Conflict(f"The kind code {code!r} is already in use.", code="kind_exists")
    kind = ActivityKind(community_id=community_id, code=code, name=name, needs_approval=needs_approval,
                        auto_approve=auto_approve)
    session.add(kind)
    await session.flush()
    return kind
