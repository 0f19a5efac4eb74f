"""Self-registration: anyone signs up without a login, and learns nothing about who else is registered.

Every well-formed sign-up gets the same answer. What really happens depends on the phone, and only the phone's
owner (or the community's organisers) hear about it:
- a phone the platform does not know: a pending volunteer and a login, usable at once (the welcome message says so);
- a phone that already has a login: nothing changes; that login's inbox is told someone tried;
- a phone (or ID number) of a volunteer record of the community, e.g. one an organiser registered without a login:
  a login claim on that record, which an organiser of the community approves after checking with the person;
- a phone known only in other communities: a pending volunteer here, its login again a claim for an organiser.
A phone never gets a login without proof beyond knowing it: the code texted to it is such proof. Where texts reach
people (the `gateway` SMS provider) every sign-up needs the code sent to its phone (`POST /api/auth/codes`, purpose
`register`); then a record of the community with that very phone and no login gets its login at once, without an
organiser. With the `log` provider a code is checked when given. Flush, never commit; on
one_time_codes.WrongCode the caller commits the counted try (it is the only write by then).
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts import one_time_codes
from servicebank.accounts.code_login import REGISTER
from servicebank.accounts.models import User
from servicebank.accounts.passwords import hash_password
from servicebank.accounts.service import check_password_strength
from servicebank.audit.service import record_audit, snapshot
from servicebank.config import Settings
from servicebank.kernel.errors import Conflict
from servicebank.kernel.events import record_event
from servicebank.org.models import Community
from servicebank.sms_settings import GATEWAY
from servicebank.volunteers import fields, repository, service
from servicebank.volunteers.identity import IdentityVault
from servicebank.volunteers.models import LoginClaim, Volunteer, VolunteerStatus
from servicebank.volunteers.schemas import SelfRegistration

SUBMITTED = ("Your application is submitted. If this phone number is new here, you can log in with it now; "
             "otherwise an organiser of the community checks the application with you first.")


def code_required(settings: Settings) -> bool:
    """Whether sign-ups must prove the phone: only where a text can reach it."""
    return settings.sms.provider == GATEWAY


async def register_self(session: AsyncSession, *, settings: Settings, vault: IdentityVault,
                        data: SelfRegistration) -> None:
    """Take a sign-up; the caller answers SUBMITTED whatever became of it (see the module docstring)."""
    community = await service.get_community(session, data.community_id)
    # Every check of the form comes first, so a refusal never depends on who is registered.
    check_password_strength(data.password)
    phone, name = fields.clean_phone(data.phone), fields.clean_name(data.real_name)
    fields.clean_skill_tags(data.skill_tags)
    await service.check_grid(session, community_id=community.id, grid_id=data.grid_id)
    id_digest = vault.digest(service.checked_id_number(data.id_type, data.id_number)[1]) if data.id_number else None
    verified = bool(data.sms_code) or code_required(settings)
    if verified:
        await one_time_codes.use_code(session, settings=settings, purpose=REGISTER, phone=phone, code=data.sms_code)
    # Hashed on every path: a sign-up for a known phone takes as long as one for a new phone.
    password_hash = hash_password(data.password)
    for _attempt in range(3):
        try:
            async with session.begin_nested():
                await _take(session, vault=vault, community=community, data=data, phone=phone, name=name,
                            id_digest=id_digest, password_hash=password_hash, verified=verified)
            return
        except (IntegrityError, Conflict):
            # A sign-up with the same phone or ID number landed at the same moment: look again, it is known now.
            continue
    raise Conflict("Too many sign-ups with this phone at the same moment; please try again.", code="try_again")


async def _take(session: AsyncSession, *, vault: IdentityVault, community: Community, data: SelfRegistration,
                phone: str, name: str, id_digest: str | None, password_hash: str, verified: bool) -> None:
    if await _login_exists(session, phone=phone, community=community):
        return
    known = await repository.volunteer_by_phone_or_id(session, community_id=community.id, phone=phone,
                                                      id_digest=id_digest)
    if known is not None:
        if verified and known.phone == phone and await repository.user_id_of_volunteer(session, known.id) is None:
            await _verified_claim(session, volunteer=known, phone=phone, password_hash=password_hash)
            return
        # Each statement sees what was committed when it started: a sign-up of the same phone that committed
        # between the login check and this lookup made the record and its login together, so look again.
        if not await _login_exists(session, phone=phone, community=community):
            await _claim(session, volunteer=known, phone=phone, name=name, password_hash=password_hash)
        return
    elsewhere = await repository.phone_known(session, phone)
    volunteer = await service.new_volunteer(session, vault=vault, community=community, data=data,
                                            status=VolunteerStatus.PENDING, number=None)
    if elsewhere:
        await _claim(session, volunteer=volunteer, phone=phone, name=name, password_hash=password_hash)
    else:
        session.add(User(phone=phone, display_name=volunteer.real_name, password_hash=password_hash,
                         volunteer_id=volunteer.id))
        await session.flush()
    await record_audit(session, actor=None, action="volunteer.register", entity_type="volunteer",
                       entity_id=volunteer.id, community_id=community.id, after=snapshot(volunteer))
    await record_event(session, "volunteer.registered", {"volunteer_id": volunteer.id, "community_id": community.id})


async def _login_exists(session: AsyncSession, *, phone: str, community: Community) -> bool:
    """Whether the phone already logs in; if so only that login's inbox hears of this sign-up."""
    owner_id = await repository.user_id_by_phone(session, phone)
    if owner_id is not None:
        await record_event(session, "volunteer.registration_attempted",
                           {"user_id": owner_id, "community_id": community.id})
    return owner_id is not None


async def _verified_claim(session: AsyncSession, *, volunteer: Volunteer, phone: str, password_hash: str) -> None:
    """The code proved the phone of the record: its login, at once (audited; the welcome message says so)."""
    session.add(User(phone=phone, display_name=volunteer.real_name, password_hash=password_hash,
                     volunteer_id=volunteer.id))
    await session.flush()
    await record_audit(session, actor=None, action="volunteer.login_claim_verified", entity_type="volunteer",
                       entity_id=volunteer.id, community_id=volunteer.community_id, after={"phone_verified": True})
    await record_event(session, "volunteer.registered", {"volunteer_id": volunteer.id,
                                                         "community_id": volunteer.community_id})


async def _claim(session: AsyncSession, *, volunteer: Volunteer, phone: str, name: str, password_hash: str) -> None:
    claim = LoginClaim(community_id=volunteer.community_id, volunteer_id=volunteer.id, phone=phone,
                       claimed_name=name, password_hash=password_hash)
    session.add(claim)
    await session.flush()
    await record_audit(session, actor=None, action="volunteer.login_claim", entity_type="login_claim",
                       entity_id=claim.id, community_id=volunteer.community_id, after=snapshot(claim))
    await record_event(session, "volunteer.login_claimed", {"claim_id": claim.id, "volunteer_id": volunteer.id,
                                                            "community_id": volunteer.community_id})
