"""What the organiser sets up around the scans: kiosk codes, the live count, check-in policy, personal cards."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities.models import Activity
from servicebank.audit.service import record_audit
from servicebank.checkins import repository as repo
from servicebank.checkins import tokens
from servicebank.checkins.access import card_volunteer, managed_activity, staff_activity
from servicebank.checkins.models import AttendanceStatus, CheckinPolicy
from servicebank.checkins.schemas import CardOut, KioskCodeOut, LiveCountOut, PolicyIn, PolicyOut
from servicebank.config import Settings
from servicebank.kernel.errors import Forbidden, InvalidInput, NotFound
from servicebank.volunteers.models import Volunteer
from servicebank.volunteers.repository import team_ids_of


async def kiosk_code(session: AsyncSession, *, settings: Settings, activity_id: int, purpose: str,
                     principal: Principal, now: dt.datetime) -> KioskCodeOut:
    """The code a kiosk shows now; it rotates every `qr_rotation_seconds`."""
    if purpose not in tokens.PURPOSES:
        raise InvalidInput("purpose must be 'check-in' or 'check-out'.", code="invalid_purpose")
    await staff_activity(session, activity_id=activity_id, principal=principal)
    issued = tokens.issue_kiosk_token(secret_key=settings.secret_key, rotation_seconds=settings.qr_rotation_seconds,
                                      activity_id=activity_id, purpose=purpose, now=now)
    return KioskCodeOut(activity_id=activity_id, purpose=purpose, token=issued.token,
                        url=tokens.scan_url(settings.public_url, issued.token), refresh_at=issued.refresh_at,
                        expires_at=issued.expires_at, rotation_seconds=settings.qr_rotation_seconds)


async def live_count(session: AsyncSession, *, activity_id: int, principal: Principal,
                     now: dt.datetime) -> LiveCountOut:
    """How many people are on site now, how many came and left, how many are expected."""
    await staff_activity(session, activity_id=activity_id, principal=principal)
    counts = await repo.status_counts(session, activity_id=activity_id)
    on_site = counts.get(AttendanceStatus.CHECKED_IN, 0)
    left = sum(n for status, n in counts.items() if status not in (AttendanceStatus.CHECKED_IN,
                                                                   AttendanceStatus.NO_SHOW))
    expected = await repo.confirmed_signup_count(session, activity_id=activity_id)
    return LiveCountOut(activity_id=activity_id, checked_in=on_site, checked_out=left, expected=expected, at=now)


def policy_out(activity: Activity, policy: CheckinPolicy | None) -> PolicyOut:
    policy = policy or CheckinPolicy(activity_id=activity.id, radius_m=None, geofence_mode="flag",
                                     opens_minutes_before=30, grace_minutes_after_end=60, allow_walk_ins=None)
    return PolicyOut(
        activity_id=activity.id, radius_m=policy.radius_m, geofence_mode=policy.geofence_mode,
        opens_minutes_before=policy.opens_minutes_before, grace_minutes_after_end=policy.grace_minutes_after_end,
        allow_walk_ins=policy.allow_walk_ins,
        geofence_active=bool(policy.radius_m and activity.latitude is not None and activity.longitude is not None))


async def get_policy(session: AsyncSession, *, activity_id: int, principal: Principal) -> PolicyOut:
    """An activity's check-in rules (defaults when never set)."""
    activity = await staff_activity(session, activity_id=activity_id, principal=principal)
    return policy_out(activity, await repo.get_policy(session, activity_id))


async def set_policy(session: AsyncSession, *, activity_id: int, data: PolicyIn, principal: Principal,
                     now: dt.datetime) -> PolicyOut:
    """Replace an activity's check-in rules (organisers only); audited."""
    activity = await managed_activity(session, activity_id=activity_id, principal=principal)
    if data.radius_m and (activity.latitude is None or activity.longitude is None):
        raise InvalidInput("A geofence needs the activity's position; set its latitude and longitude first.",
                           code="activity_has_no_position")
    policy = await repo.get_policy(session, activity_id)
    before = policy_out(activity, policy)
    if policy is None:
        policy = CheckinPolicy(activity_id=activity_id)
        session.add(policy)
    policy.radius_m = data.radius_m
    policy.geofence_mode = data.geofence_mode
    policy.opens_minutes_before = data.opens_minutes_before
    policy.grace_minutes_after_end = data.grace_minutes_after_end
    policy.allow_walk_ins = data.allow_walk_ins
    policy.updated_by_user_id = principal.user_id
    policy.updated_at = now
    await session.flush()
    after = policy_out(activity, policy)
    await record_audit(session, actor=principal, action="checkin_policy.update", entity_type="checkin_policy",
                       entity_id=activity_id, community_id=activity.community_id,
                       before=_as_dict(before), after=_as_dict(after))
    return after


def _as_dict(policy: PolicyOut) -> dict[str, object]:
    return {f: getattr(policy, f) for f in policy.__struct_fields__}


def card_out(settings: Settings, volunteer: Volunteer) -> CardOut:
    token = tokens.issue_card_token(secret_key=settings.secret_key, volunteer_id=volunteer.id,
                                    card_version=volunteer.card_version)
    return CardOut(volunteer_id=volunteer.id, volunteer_number=volunteer.number, volunteer_name=volunteer.real_name,
                   card_version=volunteer.card_version, token=token)


async def get_card(session: AsyncSession, *, settings: Settings, volunteer_id: int, principal: Principal) -> CardOut:
    """A volunteer's current card: for the volunteer themself, the leaders of their teams and the organisers of
    their community. The card spends points with a PIN only, but it still signs them in (代签)."""
    volunteer = await repo.get_volunteer(session, volunteer_id)
    if volunteer is None:
        raise NotFound("No such volunteer.", code="volunteer_not_found")
    if principal.volunteer_id != volunteer.id:
        team_ids = (await team_ids_of(session, [volunteer.id])).get(volunteer.id, [])
        if not principal.speaks_for(community_id=volunteer.community_id, team_ids=team_ids):
            if principal.belongs_to(volunteer.community_id):
                raise Forbidden("Only the volunteer, the leaders of their teams and the community's organisers can "
                                "see this card.", code="not_your_volunteer")
            raise NotFound("No such volunteer.", code="volunteer_not_found")
    return card_out(settings, volunteer)


async def reissue_card(session: AsyncSession, *, settings: Settings, volunteer_id: int, principal: Principal,
                       reason: str) -> CardOut:
    """Revoke every printed card of the volunteer and return the new one (organisers only); audited."""
    volunteer = await card_volunteer(session, volunteer_id=volunteer_id, principal=principal)
    before = volunteer.card_version
    # Volunteer.card_version exists for exactly this: the card token carries the version it was issued with.
    volunteer.card_version = before + 1
    await session.flush()
    await record_audit(session, actor=principal, action="volunteer.card_reissue", entity_type="volunteer",
                       entity_id=volunteer.id, community_id=volunteer.community_id,
                       before={"card_version": before}, after={"card_version": volunteer.card_version}, reason=reason)
    return card_out(settings, volunteer)
