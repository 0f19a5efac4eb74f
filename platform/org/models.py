"""The administrative hierarchy: district → street (optional) → community → grid."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from servicebank.kernel.db import Base


class District(Base):
    """区."""

    __tablename__ = "district"

    name: Mapped[str] = mapped_column(String(100), unique=True)


class Street(Base):
    """街道 (street office)."""

    __tablename__ = "street"
    __table_args__ = (UniqueConstraint("district_id", "name"),)

    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))


class Community(Base):
    """社区: the unit organisers work in and the scope of most permissions."""

    __tablename__ = "community"

    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    street_id: Mapped[int | None] = mapped_column(ForeignKey("street.id"), index=True, default=None)
    name: Mapped[str] = mapped_column(String(100))
    # Short code used in volunteer numbers and certificate numbers, e.g. "HXL".
    code: Mapped[str] = mapped_column(String(16), unique=True)
    contact_phone: Mapped[str | None] = mapped_column(String(32), default=None)


class Grid(Base):
    """网格: a group of households or buildings inside a community."""

    __tablename__ = "grid"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
