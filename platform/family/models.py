"""Family links between volunteers: who may give points to whom (the table keeps its ledger_ name)."""

from __future__ import annotations

import datetime as dt

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from servicebank.kernel.clock import utcnow
from servicebank.kernel.db import Base


class FamilyRelation:
    """What a family member is to a volunteer (时间银行: Shanghai and Nanjing let points go to family only)."""

    SPOUSE = "配偶"
    PARENT = "父母"
    CHILD = "子女"
    GRANDPARENT = "祖父母/外祖父母"
    GRANDCHILD = "孙子女/外孙子女"
    SIBLING = "兄弟姐妹"
    OTHER = "其他"

    ALL = (SPOUSE, PARENT, CHILD, GRANDPARENT, GRANDCHILD, SIBLING, OTHER)
    # Seen from the other side: if B is A's 父母, A is B's 子女.
    INVERSE = {SPOUSE: SPOUSE, PARENT: CHILD, CHILD: PARENT, GRANDPARENT: GRANDCHILD, GRANDCHILD: GRANDPARENT,
               SIBLING: SIBLING, OTHER: OTHER}


class FamilyLinkStatus:
    REQUESTED = "requested"  # one volunteer asked; the other (or an organiser) has not confirmed yet
    CONFIRMED = "confirmed"  # both consented, or an organiser of one of them recorded it
    DECLINED = "declined"  # the asked volunteer said no
    REVOKED = "revoked"  # ended by either volunteer or an organiser (a withdrawn request too)

    OPEN = (REQUESTED, CONFIRMED)


class FamilyLink(Base):
    """A family link between two volunteers; points may be given only along a confirmed one.

    Rows are never deleted: declining or revoking keeps the row with who and when. `open_pair` ("low:high" of
    the two volunteer ids) is set while the link is requested or confirmed and cleared when it ends, so its
    unique constraint allows one open link per pair (in either direction) while ended ones stay as history
    (NULLs never collide, on PostgreSQL and SQLite alike).
    """

    __tablename__ = "ledger_family_link"

    # Who asked; for a link an organiser recorded, the volunteer of the organiser's community.
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"), index=True)
    relative_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"), index=True)
    # What the relative is to the volunteer (FamilyRelation); the other way round is FamilyRelation.INVERSE.
    relation: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=FamilyLinkStatus.REQUESTED)
    open_pair: Mapped[str | None] = mapped_column(String(41), unique=True, default=None)
    # Confirmed (or recorded) by an organiser for people without phones, not by the other volunteer.
    confirmed_by_organiser: Mapped[bool] = mapped_column(default=False)
    requested_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    requested_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
    confirmed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # Who declined or revoked it, and when.
    ended_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
