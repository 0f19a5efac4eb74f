"""Family links: who may give points to whom (时间银行).

A volunteer asks for a link by the other volunteer's number and phone's last 4 digits; the other volunteer
confirms (both consent), or an organiser of the asked volunteer's community confirms for them (for elderly people
without phones; audited). An organiser may also record a link between two volunteers of communities they manage.
Either volunteer or such an organiser may revoke. Rows are never deleted. Services flush, never commit.

Nothing here tells an asker whether a number and phone matched: every well-formed request gets the same answer,
and the asker sees the link (and the other person's name) only once the other side has confirmed it.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.audit.service import record_audit, snapshot
from servicebank.config import Settings
from servicebank.family import repository as repo
from servicebank.family.models import FamilyLink, FamilyLinkStatus, FamilyRelation
from servicebank.family.schemas import FamilyLinkAskOut, FamilyLinkOut, FamilyLinkRecordIn, FamilyLinkRequestIn
from servicebank.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from servicebank.kernel.events import record_event
from servicebank.ratelimit import limiter_for

ASK_TO_CONFIRM = "Ask your family member to confirm the link on their page, or ask your community organiser."
# Link requests per volunteer and hour: enough for a few typing mistakes, far too few to try numbers.
LOOKUPS_PER_HOUR = 10
# Requests naming one volunteer number per day, whoever asks: the 10,000 possible phone endings of one volunteer
# cannot be tried by many throwaway accounts either.
ASKS_PER_NUMBER_PER_DAY = 5
# Requests from one client address per hour (a community centre's shared connection still fits).
ASKS_PER_ADDRESS_PER_HOUR = 30
ASKED = ("Your request is sent. If the volunteer number and the phone digits are right, your family member sees "
         "it on their page; once they (or their community organiser) confirm, the link appears in your list.")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def relation_of_other(link: FamilyLink, viewer_id: int) -> str:
    """What the other volunteer of the link is to `viewer_id`."""
    return link.relation if viewer_id == link.volunteer_id else FamilyRelation.INVERSE[link.relation]


async def relation_for_transfer(session: AsyncSession, *, sender_id: int, receiver_id: int,
                                stated: str | None) -> str:
    """The receiver's relation to the sender from their confirmed link; refuses without one or on a mismatch."""
    link = await repo.confirmed_link_between(session, sender_id, receiver_id)
    if link is None:
        # Also for ids that do not exist: a gift form is no way to learn who is registered.
        raise Forbidden("You can give points only to a family member whose link is confirmed. " + ASK_TO_CONFIRM,
                        code="family_link_required")
    relation = relation_of_other(link, sender_id)
    if stated and stated != relation:
        raise InvalidInput(f"Your confirmed family link says this volunteer is your {relation}, not {stated}. "
                           "Leave relation out or send the link's.", code="relation_mismatch", expected=relation)
    return relation


async def limit_lookups(settings: Settings, principal: Principal, *, volunteer_number: str,
                        client_address: str | None) -> None:
    """Refuse (429) link requests past the limits per asker, per client address and per volunteer number asked for.

    Counted before the lookup, so a refusal says nothing about whether the number exists.
    """
    limiter, what = limiter_for(settings), "family link requests"
    await limiter.hit(f"family_lookup:{principal.require_active_volunteer()}", limit=LOOKUPS_PER_HOUR,
                      window_seconds=3600, what=what)
    await limiter.hit(f"family_lookup_ip:{client_address or 'unknown'}", limit=ASKS_PER_ADDRESS_PER_HOUR,
                      window_seconds=3600, what=what)
    await limiter.hit(f"family_lookup_number:{_number(volunteer_number)}", limit=ASKS_PER_NUMBER_PER_DAY,
                      window_seconds=86400, what=what)


def _check_relation(relation: str) -> str:
    if relation not in FamilyRelation.ALL:
        raise InvalidInput("Choose how you are related: " + ", ".join(FamilyRelation.ALL) + ".",
                           code="invalid_relation")
    return relation


def _number(raw: str) -> str:
    return raw.strip().upper()


async def _refuse_duplicate(session: AsyncSession, volunteer_a: int, volunteer_b: int) -> None:
    existing = await repo.open_link_between(session, volunteer_a, volunteer_b)
    if existing is None:
        return
    if existing.status == FamilyLinkStatus.CONFIRMED:
        raise Conflict("You are already linked as family.", code="family_link_exists", link_id=existing.id)
    raise Conflict("A link between you is already waiting to be confirmed; confirm it on the page of the one who "
                   "was asked, or ask your community organiser.", code="family_link_exists", link_id=existing.id)


async def _insert(session: AsyncSession, link: FamilyLink) -> FamilyLink:
    link.open_pair = repo.pair_key(link.volunteer_id, link.relative_id)
    try:
        # A savepoint: two requests for the same pair at once meet at the unique open_pair.
        async with session.begin_nested():
            session.add(link)
            await session.flush()
    except IntegrityError:
        raise Conflict("A link between you already exists.", code="family_link_exists") from None
    return link


async def request_link(session: AsyncSession, *, principal: Principal,
                       data: FamilyLinkRequestIn) -> FamilyLinkAskOut:
    """Ask another volunteer (any community) to confirm that they are family; they confirm on their page.

    The answer is the same whether or not the number and phone matched, and whether or not a link between the
    two is already open: only the asked volunteer (and their organiser) ever see the request.
    """
    volunteer_id = principal.require_active_volunteer()
    relation = _check_relation(data.relation)
    last4 = data.phone_last4.strip()
    if not re.fullmatch(r"\d{4}", last4):
        raise InvalidInput("Give the last 4 digits of your family member's phone.", code="invalid_phone_last4")
    # Pending (throwaway) sign-ups were refused above by the account-state rule (require_active_volunteer).
    me = await repo.volunteer(session, volunteer_id)
    if me is not None and _number(data.volunteer_number) == me.number:
        raise InvalidInput("This is your own volunteer number.", code="family_link_self")
    relative = await repo.linkable_volunteer(session, number=_number(data.volunteer_number), phone_last4=last4)
    if relative is not None and await repo.open_link_between(session, volunteer_id, relative.id) is None:
        link = FamilyLink(volunteer_id=volunteer_id, relative_id=relative.id, relation=relation,
                          status=FamilyLinkStatus.REQUESTED, requested_by_user_id=principal.user_id,
                          requested_at=_now())
        try:
            await _insert(session, link)
        except Conflict:
            pass  # the same pair asked at the same moment: one request is enough, and the answer stays the same
        else:
            # Only the asked volunteer hears of it (notifications/family_notices.py): the asker's answer is the
            # same whether or not the number and phone matched.
            await record_event(session, "family_link.requested", {"link_id": link.id})
    return FamilyLinkAskOut(status="sent", message=ASKED)


def _seen_by_asker(link: FamilyLink) -> bool:
    """The asker sees a link only once it was confirmed: before that it would tell them the phone matched."""
    return link.confirmed_at is not None


async def _link_for(session: AsyncSession, principal: Principal, link_id: int) -> tuple[FamilyLink, int | None]:
    """The link and, when the caller acts as an organiser, the community they act for (None for a party).

    A party to the link always acts as a party, never as an organiser: nobody confirms their own request. The
    asked volunteer's organisers reach the link from the start (they confirm for people without phones); the
    asker and the asker's organisers only once it is confirmed. Anyone else learns nothing about the link (404).
    """
    link = await repo.get_link(session, link_id, for_update=True)
    if link is not None:
        if principal.volunteer_id == link.relative_id or (
                principal.volunteer_id == link.volunteer_id and _seen_by_asker(link)):
            return link, None
        if principal.volunteer_id != link.volunteer_id:
            people = await repo.people(session, [link.volunteer_id, link.relative_id])
            sides = [link.relative_id, link.volunteer_id] if _seen_by_asker(link) else [link.relative_id]
            for volunteer_id in sides:
                if volunteer_id in people and principal.manages(people[volunteer_id][2]):
                    return link, people[volunteer_id][2]
    raise NotFound("No such family link.", code="family_link_not_found")


async def _audit(session: AsyncSession, principal: Principal, *, action: str, link: FamilyLink, community_id: int,
                 before: dict | None, reason: str | None = None) -> None:
    await record_audit(session, actor=principal, action=action, entity_type="family_link", entity_id=link.id,
                       community_id=community_id, before=before, after=snapshot(link), reason=reason)


async def confirm_link(session: AsyncSession, *, principal: Principal, link_id: int) -> FamilyLinkOut:
    """The asked volunteer, or an organiser of the asked volunteer's community (audited), confirms a request."""
    link, organiser_of = await _link_for(session, principal, link_id)
    if organiser_of is None and principal.volunteer_id == link.volunteer_id:
        raise Forbidden("Your family member confirms the link, not you. " + ASK_TO_CONFIRM,
                        code="not_your_family_link")
    if link.status != FamilyLinkStatus.REQUESTED:
        raise Conflict("This link is not waiting to be confirmed.", code="family_link_not_waiting")
    before = snapshot(link)
    link.status, link.confirmed_by_user_id, link.confirmed_at = FamilyLinkStatus.CONFIRMED, principal.user_id, _now()
    link.confirmed_by_organiser = organiser_of is not None
    await session.flush()
    await record_event(session, "family_link.confirmed", {"link_id": link.id})
    if organiser_of is not None:
        await _audit(session, principal, action="family_link.confirm", link=link, community_id=organiser_of,
                     before=before)
    return (await links_out(session, [link], viewer_id=principal.volunteer_id))[0]


async def decline_link(session: AsyncSession, *, principal: Principal, link_id: int) -> FamilyLinkOut:
    """The asked volunteer says no to a request (the row stays, with who and when)."""
    link, organiser_of = await _link_for(session, principal, link_id)
    if organiser_of is not None or principal.volunteer_id != link.relative_id:
        raise Forbidden("Only the volunteer who was asked can decline; the one who asked can withdraw (revoke) it.",
                        code="not_your_family_link")
    if link.status != FamilyLinkStatus.REQUESTED:
        raise Conflict("This link is not waiting to be confirmed.", code="family_link_not_waiting")
    _end(link, FamilyLinkStatus.DECLINED, principal)
    await session.flush()
    return (await links_out(session, [link], viewer_id=principal.volunteer_id))[0]


async def revoke_link(session: AsyncSession, *, principal: Principal, link_id: int,
                      reason: str | None = None) -> FamilyLinkOut:
    """Either volunteer, or an organiser of either one's community (audited), ends a confirmed link; the asked one
    (or their organiser) may also end a request still waiting."""
    link, organiser_of = await _link_for(session, principal, link_id)
    if link.status not in FamilyLinkStatus.OPEN:
        raise Conflict("This link has already ended.", code="family_link_ended")
    before = snapshot(link)
    _end(link, FamilyLinkStatus.REVOKED, principal)
    await session.flush()
    if organiser_of is not None:
        await _audit(session, principal, action="family_link.revoke", link=link, community_id=organiser_of,
                     before=before, reason=(reason or "").strip()[:500] or None)
    return (await links_out(session, [link], viewer_id=principal.volunteer_id))[0]


def _end(link: FamilyLink, status: str, principal: Principal) -> None:
    # Clearing open_pair frees the pair for a new request; the ended row stays as the history.
    link.status, link.open_pair, link.ended_by_user_id, link.ended_at = status, None, principal.user_id, _now()


async def record_link(session: AsyncSession, *, principal: Principal, community_id: int,
                      data: FamilyLinkRecordIn) -> FamilyLinkOut:
    """An organiser records a confirmed link between two volunteers of communities they manage (audited)."""
    principal.require_manager(community_id)
    relation = _check_relation(data.relation)
    people = await repo.people(session, [data.volunteer_id])
    if data.volunteer_id not in people or people[data.volunteer_id][2] != community_id:
        raise NotFound("No such volunteer in this community.", code="volunteer_not_found")
    relative = await repo.linkable_volunteer(session, number=_number(data.relative_number), phone_last4=None)
    if relative is None or not principal.manages(relative.community_id):
        # Outside the organiser's communities the answer is the same as for a number nobody has: a link recorded
        # there would bind (and name) a volunteer the organiser never met. Their family asks and confirms instead.
        raise NotFound("No active volunteer of a community you manage has this number. Check the number on their "
                       "card; a relative in another community asks for the link on their own page.",
                       code="family_member_not_found")
    if relative.id == data.volunteer_id:
        raise InvalidInput("A volunteer cannot be linked to themselves.", code="family_link_self")
    if principal.volunteer_id in (data.volunteer_id, relative.id):
        # An organiser's own family goes through the other volunteer's consent like everyone's.
        raise Forbidden("Link your own family on your volunteer page; your family member confirms there.",
                        code="not_your_family_link")
    await _refuse_duplicate(session, data.volunteer_id, relative.id)
    now = _now()
    link = await _insert(session, FamilyLink(
        volunteer_id=data.volunteer_id, relative_id=relative.id, relation=relation, status=FamilyLinkStatus.CONFIRMED,
        confirmed_by_organiser=True, requested_by_user_id=principal.user_id, requested_at=now,
        confirmed_by_user_id=principal.user_id, confirmed_at=now))
    await _audit(session, principal, action="family_link.record", link=link, community_id=community_id, before=None,
                 reason=(data.note or "").strip()[:500] or None)
    await record_event(session, "family_link.confirmed", {"link_id": link.id})  # both of them hear of it
    return (await links_out(session, [link], viewer_id=None))[0]


async def my_links(session: AsyncSession, *, principal: Principal) -> list[FamilyLinkOut]:
    """The caller's links, newest first, ended ones included; their own requests only once confirmed."""
    volunteer_id = principal.require_volunteer()
    links = [link for link in await repo.links_of_volunteer(session, volunteer_id)
             if link.relative_id == volunteer_id or _seen_by_asker(link)]
    return await links_out(session, links, viewer_id=volunteer_id)


async def community_links(session: AsyncSession, *, principal: Principal, community_id: int, status: str | None,
                          limit: int = 200, offset: int = 0) -> list[FamilyLinkOut]:
    """Links of the community's volunteers (organisers), newest first; requests its volunteers made only once
    confirmed (the requests its volunteers were asked show at once, for the organiser to confirm for them)."""
    principal.require_manager(community_id)
    if status and status not in (*FamilyLinkStatus.OPEN, FamilyLinkStatus.DECLINED, FamilyLinkStatus.REVOKED):
        raise InvalidInput("status is requested, confirmed, declined or revoked.", code="invalid_input")
    if not 1 <= limit <= 500 or offset < 0:
        raise InvalidInput("limit is 1 to 500, offset 0 or more.", code="invalid_input")
    rows = await repo.links_of_community(session, community_id, status=status, limit=limit, offset=offset)
    return await links_out(session, rows, viewer_id=None)


async def links_out(session: AsyncSession, links: list[FamilyLink], *, viewer_id: int | None) -> list[FamilyLinkOut]:
    """Links with names and numbers; seen by one of its volunteers, also the other person and what they are."""
    people = await repo.people(session, [i for link in links for i in (link.volunteer_id, link.relative_id)])

    def out(link: FamilyLink) -> FamilyLinkOut:
        first, second = people[link.volunteer_id], people[link.relative_id]
        row = FamilyLinkOut(
            id=link.id, status=link.status, volunteer_id=link.volunteer_id, volunteer_name=first[0],
            volunteer_number=first[1], relative_id=link.relative_id, relative_name=second[0],
            relative_number=second[1], relation=link.relation, confirmed_by_organiser=link.confirmed_by_organiser,
            requested_at=link.requested_at, confirmed_at=link.confirmed_at, ended_at=link.ended_at)
        if viewer_id in (link.volunteer_id, link.relative_id):
            other = link.relative_id if viewer_id == link.volunteer_id else link.volunteer_id
            row.other_volunteer_id, row.other_name = other, people[other][0]
            row.relation_to_me = relation_of_other(link, viewer_id)
            row.waiting_for_me = link.status == FamilyLinkStatus.REQUESTED and viewer_id == link.relative_id
        return row

    return [out(link) for link in links]
