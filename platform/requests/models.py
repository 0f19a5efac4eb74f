"""Residents' requests (点单 → 派单 → 接单 → 服务 → 评单): categories, households, requests, ratings, history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from servicebank.kernel.clock import utcnow
from servicebank.kernel.db import Base, PlainBase

# Seeded for a community the first time its categories are read; organisers add or hide their own.
DEFAULT_CATEGORIES = ("代购", "助餐/送餐", "陪诊", "理发", "家电维修", "助浴", "陪聊", "法律咨询", "心理疏导", "其他")


class RequestStatus:
    PENDING_REVIEW = "pending_review"  # 待审核
    AWAITING_DISPATCH = "awaiting_dispatch"  # 待派单: approved, not yet assigned or opened to the hall
    OPEN = "open"  # 待接单: in the 接单大厅, any volunteer of the community may accept
    ACCEPTED = "accepted"  # 已接单 (accepted from the hall, or assigned by an organiser)
    IN_SERVICE = "in_service"  # 服务中
    AWAITING_RATING = "awaiting_rating"  # 待评价: served and posted to the ledger
    COMPLETED = "completed"  # 已完成: rated, or the rating window closed
    DECLINED = "declined"  # 已驳回
    CANCELLED = "cancelled"  # 已取消
    EXPIRED = "expired"  # 已超时: nobody accepted before the last preferred window ended

    UNACCEPTED = (AWAITING_DISPATCH, OPEN)
    WAITING = (PENDING_REVIEW, *UNACCEPTED)  # for someone to take them: review, dispatch, the hall
    CANCELLABLE = (PENDING_REVIEW, AWAITING_DISPATCH, OPEN, ACCEPTED)
    # The assigned volunteer sees the address and phone in these states (and a few days after completion).
    CONTACT_VISIBLE = (ACCEPTED, IN_SERVICE, AWAITING_RATING, COMPLETED)
    ALL = (PENDING_REVIEW, AWAITING_DISPATCH, OPEN, ACCEPTED, IN_SERVICE, AWAITING_RATING, COMPLETED, DECLINED,
           CANCELLED, EXPIRED)


class ServedVia:
    BUTTON = "button"  # the task's button on the volunteer's phone (or a staff member's page)
    DOOR = "door"  # the volunteer scanned the household's printed 门牌码
    CARD = "card"  # the 网格员 scanned the volunteer's card


class Urgency:
    NORMAL = 0
    SOON = 1  # 较急: within the day
    URGENT = 2  # 紧急

    ALL = (NORMAL, SOON, URGENT)


class Payer:
    SELF = "self"  # the resident's own time coins (a resident who is also a member of the time bank)
    FAMILY = "family"  # a family member's coins, along a confirmed family link
    POOL = "pool"  # the community pool sponsors it (困难/高龄 residents), within a monthly limit per resident
    NONE = "none"  # nobody pays: the community issues the volunteer's points, as for activities

    ALL = (SELF, FAMILY, POOL, NONE)


class RequestCategory(Base):
    """A kind of need a community's residents may ask for (data, per community)."""

    __tablename__ = "request_category"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    name: Mapped[str] = mapped_column(String(40))
    sort_order: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)


class Household(Base):
    """A resident's household as the 网格员 keeps it: minimal data, many residents have no account."""

    __tablename__ = "household"
    __table_args__ = (Index("ix_household_community_grid", "community_id", "grid_id"),)

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"))
    building: Mapped[str] = mapped_column(String(40))  # 楼栋
    unit: Mapped[str] = mapped_column(String(40), default="")  # 单元 and room (门牌)
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(20), default=None)
    # The resident's own time-bank account, when the resident is also a volunteer (pays with own coins).
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer.id"), default=None, index=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
    # The printed 门牌码 carries this version: reissuing it (a lost or copied code) revokes every earlier print.
    door_code_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Where the door is, for the community's optional geofence on starting and finishing (as activities keep it).
    latitude: Mapped[float | None] = mapped_column(default=None)
    longitude: Mapped[float | None] = mapped_column(default=None)


class RequestPolicy(PlainBase):
    """A community's request settings; a community without a row uses the defaults below."""

    __tablename__ = "request_policy"

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), primary_key=True)
    # Unaccepted this long: remind the grid's staff; twice as long: tell the organisers.
    escalate_after_minutes: Mapped[int] = mapped_column(default=120)
    # Points the community pool may pay for one household in a local calendar month.
    pool_monthly_limit: Mapped[int] = mapped_column(default=240)
    # The assigned volunteer keeps seeing the address and phone this many days after the service.
    contact_days_after: Mapped[int] = mapped_column(default=3)
    # Start and finish by 门牌码 or card farther than this from a household with a position are refused; 0: off.
    geofence_metres: Mapped[int] = mapped_column(default=0, server_default="0")


def _only_states(states: tuple[str, ...]) -> dict[str, Any]:
    """A partial index's predicate, on both databases: the request is in one of `states`."""
    listed = ", ".join(f"'{state}'" for state in states)
    return {"postgresql_where": text(f"status IN ({listed})"), "sqlite_where": text(f"status IN ({listed})")}


class ServiceRequest(Base):
    """One request, its state and who did what; amounts in minutes and whole points."""

    __tablename__ = "service_request"
    # Every change of state rewrites the row's entry in each index it enters (status is indexed, so no update is
    # HOT): the indexes that serve one phase of a request are partial, so a request enters only those of its
    # state. An accept thus writes five index entries, not eight (bench/requests_notes.md).
    __table_args__ = (
        Index("ix_service_request_volunteer", "volunteer_id", "status"),
        Index("ix_service_request_created", "community_id", "created_at"),
        # The expiry's periodic query: waiting requests whose last window ended.
        Index("ix_service_request_window", "window_end", **_only_states(RequestStatus.WAITING)),
        # The visit reminders' periodic query: accepted requests whose visit comes within a day.
        Index("ix_service_request_visit", "visit_at", **_only_states((RequestStatus.ACCEPTED,))),
        Index("ix_service_request_team_id", "team_id", postgresql_where=text("team_id IS NOT NULL"),
              sqlite_where=text("team_id IS NOT NULL")),
    )

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("request_category.id"))
    description: Mapped[str] = mapped_column(String(500))
    urgency: Mapped[int] = mapped_column(default=Urgency.NORMAL)
    # [[start ISO, end ISO], ...] in UTC; `window_end` is the last window's end (expiry).
    time_windows: Mapped[list[Any]] = mapped_column(JsonB, default=list)
    window_end: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    estimated_minutes: Mapped[int] = mapped_column(default=60)
    payer: Mapped[str] = mapped_column(String(8), default=Payer.NONE)
    payer_volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer.id"), default=None)
    status: Mapped[str] = mapped_column(String(20), default=RequestStatus.PENDING_REVIEW)
    created_by_user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    on_behalf: Mapped[bool] = mapped_column(default=False)  # 代下单 by a 网格员 or organiser
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
    reviewed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    decline_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    opened_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer.id"), default=None)
    assigned_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # What the ledger posted (transaction `request:{id}:service`): minutes credited, points earned and who paid.
    transaction_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    posted_minutes: Mapped[int] = mapped_column(BigInteger, default=0)
    posted_points: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_by_payer: Mapped[int] = mapped_column(BigInteger, default=0)
    month: Mapped[str | None] = mapped_column(String(7), default=None)  # local month of the service
    cancelled_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), default=None)
    cancel_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    escalation_level: Mapped[int] = mapped_column(default=0)
    # The visit: the start of the first preferred window not yet over when the request was accepted or assigned
    # (the resident expects the volunteer then). Reminders go the day before and the hour before, once each.
    visit_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    reminder_sent_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    hour_reminder_sent_at: Mapped[dt.datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # Dispatched to a team: any member may accept it in the hall, exactly one wins.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), default=None)
    # How the service was started and finished (ServedVia): the task's button, the 门牌码, or the volunteer's card.
    started_via: Mapped[str | None] = mapped_column(String(8), default=None)
    finished_via: Mapped[str | None] = mapped_column(String(8), default=None)



# The 派单台 queue and the 接单大厅: a community's waiting requests in a state, most urgent and oldest first. The
# index runs in the lists' order (urgency descending, then oldest), so a page of 50 stops after 50 rows instead of
# sorting every open request of the community (measured: 2.9 ms of PostgreSQL CPU per hall page, 600 open).
# Only waiting requests enter it; its queries name their states as literals (repository.py), since PostgreSQL
# uses a partial index only where it can prove the query's state is one of the index's.
Index("ix_service_request_queue", ServiceRequest.community_id, ServiceRequest.status, ServiceRequest.urgency.desc(),
      ServiceRequest.created_at, ServiceRequest.id, **_only_states(RequestStatus.WAITING))

class RequestRating(Base):
    """评单: one rating per request (unique), by the resident or a 网格员 on their behalf."""

    __tablename__ = "request_rating"

    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id"), unique=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"), index=True)
    stars: Mapped[int] = mapped_column()
    tags: Mapped[list[str]] = mapped_column(JsonB, default=list)
    comment: Mapped[str] = mapped_column(String(500), default="")
    rated_by_user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    on_behalf: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
    # A low rating opens a review for the organiser; closed with a note.
    review_open: Mapped[bool] = mapped_column(default=False)
    review_note: Mapped[str | None] = mapped_column(String(500), default=None)


class RequestHistory(Base):
    """The request's timeline, written by the event consumer (one row per outbox event: idempotent)."""

    __tablename__ = "request_history"

    event_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
