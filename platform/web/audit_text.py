"""The audit log in words: what happened, to what, and which fields changed from what to what.

Entries keep machine codes ("certificate.issue", "activity_series") and JSON snapshots, which is right for the
record and for exports; an organiser reads labels and a short list of changed fields instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from servicebank.web.i18n import N_

ACTIONS = {
    "activity.create": N_("Activity created"), "activity.update": N_("Activity changed"),
    "activity.publish": N_("Activity published"), "activity.cancel": N_("Activity cancelled"),
    "activity.proposal_submit": N_("Activity proposed to the street office"),
    "activity.proposal_approve": N_("Activity proposal approved"),
    "activity.proposal_reject": N_("Activity proposal rejected"),
    "series.create": N_("Repeating activity created"), "series.update": N_("Repeating activity changed"),
    "series.cancel": N_("Repeating activity cancelled"),
    "attendance.approve": N_("Service record approved"), "attendance.adjust": N_("Service record times adjusted"),
    "attendance.decline": N_("Service record declined"), "attendance.no_show": N_("Recorded as not come"),
    "attendance.auto_close": N_("Closed by the clock (no check-out)"),
    "attendance.auto_approve": N_("Approved automatically"),
    "attendance.activity_cancelled": N_("Record closed: activity cancelled"),
    "attendance.manual_record": N_("Service recorded by hand"),
    "attendance.proxy_check_in": N_("Checked in with the volunteer's card (代签)"),
    "attendance.proxy_check_out": N_("Checked out with the volunteer's card (代签)"),
    "checkin_policy.update": N_("Check-in rules changed"),
    "volunteer.create": N_("Volunteer added"), "volunteer.register": N_("Volunteer registered"),
    "volunteer.update": N_("Volunteer details changed"), "volunteer.import": N_("Roster imported"),
    "volunteer.approve": N_("Volunteer approved"), "volunteer.suspend": N_("Volunteer paused"),
    "volunteer.reactivate": N_("Volunteer active again"), "volunteer.leave": N_("Volunteer left"),
    "volunteer.card_reissue": N_("Volunteer card reissued"),
    "team.create": N_("Team created"), "team.update": N_("Team changed"),
    "team.members_add": N_("Team members added"), "team.members_remove": N_("Team members removed"),
    "team.leader_assign": N_("Team leader appointed"), "team.leader_remove": N_("Team leader removed"),
    "certificate.issue": N_("Certificate issued"), "certificate.issued": N_("Certificate issued"),
    "certificate.revoked": N_("Certificate withdrawn"), "certificate.rejected": N_("Certificate request refused"),
    "honour_list.publish": N_("Honour list published"),
    "honour_list.correct": N_("Honour list corrected and published again"),
    "honour_objection.upheld": N_("Objection upheld"), "honour_objection.dismissed": N_("Objection dismissed"),
    "store.create": N_("Store created"), "store.update": N_("Store changed"),
    "store_item.create": N_("Item added to the store"), "store_item.update": N_("Store item changed"),
    "store_item.withdraw": N_("Store item withdrawn"), "store_item.delete": N_("Store item removed"),
    "redemption.refund": N_("Redemption refunded"),
    "family_link.record": N_("Family link recorded"), "family_link.confirm": N_("Family link confirmed"),
    "family_link.revoke": N_("Family link ended"),
    "user.create": N_("Login created"), "user.password_change": N_("Password changed"),
    "user.password_reset": N_("New first password set by an administrator"), "user.disable": N_("Login disabled"),
    "user.enable": N_("Login enabled again"), "user.unlock": N_("Login wait lifted"),
    "grant.create": N_("Role given"), "grant.revoke": N_("Role taken away"),
    "district.create": N_("District created"), "street.create": N_("Street created"),
    "community.create": N_("Community created"), "community.update": N_("Community changed"),
    "grid.create": N_("Grid created"),
    # Service records (docs/records.md): late claims, corrections on request, training.
    "service_claim.submit": N_("Late claim sent"), "service_claim.approve": N_("Late claim approved"),
    "service_claim.decline": N_("Late claim declined"),
    "service_correction.request": N_("Correction requested"), "service_correction.accept": N_("Correction accepted"),
    "service_correction.decline": N_("Correction declined"), "attendance.correct": N_("Service record corrected"),
    "training.record": N_("Training recorded"), "training_rule.update": N_("Training points rule changed"),
    "insurance_cover.record": N_("Insurance recorded"), "cover_requirement.require": N_("Insurance made a requirement"),
    "cover_requirement.lift": N_("Insurance no longer required"),
    "training_requirement.require": N_("Training made a requirement"),
    "training_requirement.lift": N_("Training no longer required"),
}

ENTITIES = {
    "activity": N_("Activity"), "activity_series": N_("Repeating activity"), "attendance": N_("Service record"),
    "checkin_policy": N_("Check-in rules"), "volunteer": N_("Volunteer"), "team": N_("Team"),
    "certificate": N_("Certificate"), "honour_list": N_("Honour list"), "honour_objection": N_("Objection"),
    "store": N_("Store"), "store_item": N_("Store item"), "redemption": N_("Redemption"),
    "family_link": N_("Family link"), "user": N_("Login"), "role_grant": N_("Role"), "district": N_("District"),
    "street": N_("Street"), "community": N_("Community"), "grid": N_("Grid"),
    "service_claim": N_("Late claim"), "service_correction": N_("Correction request"),
    "training_record": N_("Training"), "training_rule": N_("Training points rule"),
    "insurance_cover": N_("Insurance"), "cover_requirement": N_("Insurance requirement"),
    "training_requirement": N_("Training requirement"),
}

FIELDS = {
    "title": N_("Title"), "status": N_("Status"), "starts_at": N_("Starts"), "ends_at": N_("Ends"),
    "capacity": N_("Places"), "address": N_("Place"), "description": N_("Description"), "kind": N_("Kind"),
    "checked_in_at": N_("Checked in at"), "checked_out_at": N_("Checked out at"),
    "served_minutes": N_("Minutes served"), "flags": N_("Notes"), "real_name": N_("Name"), "phone": N_("Phone"),
    "name": N_("Record name"), "stock": N_("Stock"), "price_points": N_("Price in points"), "points": N_("Points"),
    "reason": N_("Reason"), "cancel_reason": N_("Reason"), "notice_ends_at": N_("Notice ends"),
    "month": N_("Month"), "text": N_("Objection"), "total_minutes": N_("Minutes"), "number": N_("Number"),
    "relation": N_("Relation"), "team_ids": N_("Teams"), "radius_m": N_("Check-in radius (m)"),
    "geofence_mode": N_("Outside the area"), "skill_tags": N_("Skills"), "receipt_no": N_("Receipt"),
    "version": N_("Version"),
    # Logins, roles and the organisation (the administrators' changes).
    "display_name": N_("Name shown"), "username": N_("Username"), "is_active": N_("Can log in"),
    "grant": N_("Role"), "role": N_("Role"), "user_id": N_("Login"), "team_id": N_("Team"), "store_id": N_("Store"),
    "street_id": N_("Street"), "district_id": N_("District"), "code": N_("Code"), "contact_phone": N_("Contact phone"),
    "rrule": N_("Repeats"),
    # Late claims, corrections and training.
    "content": N_("What was done"), "started_at": N_("Started"), "ended_at": N_("Ended"),
    "decision_reason": N_("Reason"), "posted_minutes": N_("Minutes counted"), "posted_points": N_("Points counted"),
    "trained_on": N_("Day"), "minutes": N_("Minutes"), "category": N_("Kind of training"),
    "earns_points": N_("Earns points"), "insurer": N_("Insurer"), "policy_number_masked": N_("Policy number"),
    "valid_from": N_("Covered from"), "valid_until": N_("Covered until"), "kind_code": N_("Kind"),
    "request_category_id": N_("Kind of help"),
}

# A role as the pages name it (the log keeps the code).
ROLE_WORDS = {"platform_admin": N_("Platform administrator"), "street_admin": N_("Street administrator"),
              "organiser": N_("Organiser"), "team_leader": N_("Team leader"), "store_clerk": N_("Store clerk"),
              "volunteer": N_("Volunteer")}

# Bookkeeping columns nobody needs to read in the log.
HIDDEN = frozenset({"id", "created_at", "updated_at", "revision", "community_id", "decided_at",
                    "decided_by_user_id", "password_changed_at", "card_version"})
Translate = Callable[..., str]


def action_label(action: str, _: Translate) -> str:
    if action in ACTIONS:
        return _(ACTIONS[action])
    family = action.split(".", 1)[0]
    return _("%(what)s changed", what=_(ENTITIES[family])) if family in ENTITIES else action


def entity_label(entity_type: str, _: Translate) -> str:
    return _(ENTITIES[entity_type]) if entity_type in ENTITIES else entity_type


def _value(value: Any, _: Translate, timezone: str) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return "、".join(_value(v, _, timezone) for v in value)
    if isinstance(value, dict):
        # A nested record (a login's role, a series' template): its filled fields, labelled like the others.
        return "；".join(f"{_label(k, _)}: {_value(_role(k, v), _, timezone)}"
                        for k, v in value.items() if k not in HIDDEN and v not in (None, "", []))
    if isinstance(value, str) and len(value) >= 16 and value[4] == "-" and value[10] == "T":
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M") if moment.tzinfo else value
    return _(value) if isinstance(value, str) else str(value)


def _label(field: str, _: Translate) -> str:
    return _(FIELDS[field]) if field in FIELDS else field


def changes(before: dict | None, after: dict | None, _: Translate, timezone: str) -> list[tuple[str, str, str]]:
    """(field, before, after) for each field whose value differs, labelled fields first."""
    before, after = before or {}, after or {}
    keys = [k for k in dict.fromkeys([*before, *after]) if k not in HIDDEN and before.get(k) != after.get(k)]
    keys.sort(key=lambda k: k not in FIELDS)
    return [(_label(k, _), _value(_role(k, before.get(k)), _, timezone) if k in before else "—",
             _value(_role(k, after.get(k)), _, timezone) if k in after else "—") for k in keys]


def _role(field: str, value: Any) -> Any:
    """A role code in words (the msgid; _value translates it)."""
    return ROLE_WORDS.get(value, value) if field == "role" and isinstance(value, str) else value
