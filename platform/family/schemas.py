"""Input and output of the family-link API."""

from __future__ import annotations

import datetime as dt

import msgspec


class FamilyLinkRequestIn(msgspec.Struct, forbid_unknown_fields=True):
    """Ask a family member to confirm a link: their volunteer number, their phone's last 4 digits, and what
    they are to you (配偶, 父母, 子女, 祖父母/外祖父母, 孙子女/外孙子女, 兄弟姐妹, 其他)."""

    volunteer_number: str
    phone_last4: str
    relation: str


class FamilyLinkAskOut(msgspec.Struct):
    """The one answer to every well-formed link request, matched or not: nothing in it names or finds anyone."""

    status: str  # always "sent"
    message: str


class FamilyLinkRecordIn(msgspec.Struct, forbid_unknown_fields=True):
    """An organiser records a confirmed link for a volunteer of the community (checked in person, e.g. the
    户口本): the relative by volunteer number (any community) and what the relative is to the volunteer."""

    volunteer_id: int
    relative_number: str
    relation: str
    note: str | None = None


class FamilyLinkEndIn(msgspec.Struct, forbid_unknown_fields=True):
    """Why the link ends (kept in the audit log when an organiser revokes)."""

    reason: str | None = None


class FamilyLinkOut(msgspec.Struct):
    id: int
    status: str  # requested, confirmed, declined, revoked
    volunteer_id: int  # who asked (for a link an organiser recorded: the volunteer of their community)
    volunteer_name: str
    volunteer_number: str
    relative_id: int
    relative_name: str
    relative_number: str
    relation: str  # what the relative is to the volunteer
    confirmed_by_organiser: bool
    requested_at: dt.datetime
    confirmed_at: dt.datetime | None
    ended_at: dt.datetime | None
    # Filled for a volunteer looking at their own links: the other person, what they are to you, and
    # whether the link waits for your answer.
    other_volunteer_id: int | None = None
    other_name: str | None = None
    relation_to_me: str | None = None
    waiting_for_me: bool = False
