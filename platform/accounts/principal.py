"""Who is asking, and what they may reach: roles with their scopes, resolved once per request."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from servicebank.accounts.models import Role
from servicebank.kernel.errors import Forbidden, NotFound
from servicebank.volunteers.models import VolunteerStatus


@dataclasses.dataclass(frozen=True)
class AccountState:
    """What a volunteer login in one state may do; the one table every API route and page obeys."""

    reads_own: bool  # their own record, history, points, inbox, certificates already issued
    member: bool  # counts as a member of their community: reads its teams, activities, honour list, stores
    acts: bool  # signs up, checks in, gives or donates points, asks for certificates, spends at the till
    leads: bool  # a team-leader grant works (team leaders are volunteers: a suspended one leads no team)


ACCOUNT_STATES: dict[str, AccountState] = {
    VolunteerStatus.ACTIVE: AccountState(reads_own=True, member=True, acts=True, leads=True),
    # Self-registered, not yet approved: may log in and see that they wait, nothing of other people.
    VolunteerStatus.PENDING: AccountState(reads_own=True, member=False, acts=False, leads=False),
    VolunteerStatus.SUSPENDED: AccountState(reads_own=True, member=False, acts=False, leads=False),
    # Left the community: keeps their own history (and may ask an organiser for a certificate of it).
    VolunteerStatus.LEFT: AccountState(reads_own=True, member=False, acts=False, leads=False),
}
# A status written by a newer version, or a typo in the database: treated as the most restricted.
UNKNOWN_STATE = AccountState(reads_own=True, member=False, acts=False, leads=False)
# The volunteer statuses that act (require_active_volunteer), for a statement that decides it in SQL.
ACTING_STATUSES = tuple(status for status, state in ACCOUNT_STATES.items() if state.acts)


def account_state(volunteer_status: str | None) -> AccountState:
    """The rights of a volunteer login in this state; a staff-only login (no volunteer) counts as active."""
    if volunteer_status is None:
        return ACCOUNT_STATES[VolunteerStatus.ACTIVE]
    return ACCOUNT_STATES.get(volunteer_status, UNKNOWN_STATE)


@dataclasses.dataclass(frozen=True)
class Grant:
    role: str
    street_id: int | None = None
    community_id: int | None = None
    team_id: int | None = None
    store_id: int | None = None


@dataclasses.dataclass(frozen=True)
class Principal:
    """The logged-in user with their grants; `managed_community_ids` is None for platform admins (all).

    Built by accounts.sessions.load_principal, which applies ACCOUNT_STATES: `volunteer_community_id` is set
    only while the volunteer counts as a member, and team-leader grants only while their state `leads`.
    """

    user_id: int
    display_name: str
    grants: tuple[Grant, ...]
    volunteer_id: int | None = None
    # The community the volunteer is a member of; None while pending, suspended or left (see ACCOUNT_STATES).
    volunteer_community_id: int | None = None
    volunteer_status: str | None = None
    # The volunteer's real name (their own rank shows it unmasked to them), read with the login.
    volunteer_name: str | None = None
    managed_community_ids: frozenset[int] | None = frozenset()
    street_ids: frozenset[int] = frozenset()
    led_team_ids: frozenset[int] = frozenset()
    led_team_community_ids: frozenset[int] = frozenset()
    clerk_store_ids: frozenset[int] = frozenset()

    def has_role(self, role: str) -> bool:
        return any(g.role == role for g in self.grants)

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(g.role for g in self.grants)

    @property
    def is_platform_admin(self) -> bool:
        return self.has_role(Role.PLATFORM_ADMIN)

    def manages(self, community_id: int) -> bool:
        """Organiser of the community, admin of its street, or platform admin."""
        return self.managed_community_ids is None or community_id in self.managed_community_ids

    def leads(self, team_id: int) -> bool:
        return team_id in self.led_team_ids

    def speaks_for(self, *, community_id: int, team_ids: Iterable[int]) -> bool:
        """May hold a volunteer's printed card (print it, sign them in: 代签): organisers of the volunteer's
        community and admins above, and leaders of a team the volunteer belongs to. Not any team leader."""
        return self.manages(community_id) or not self.led_team_ids.isdisjoint(team_ids)

    def works_in(self, community_id: int) -> bool:
        """Manages the community or leads a team in it (may record attendance there)."""
        return self.manages(community_id) or community_id in self.led_team_community_ids

    def belongs_to(self, community_id: int) -> bool:
        """Any link to the community: staff there or a volunteer of it."""
        return self.works_in(community_id) or self.volunteer_community_id == community_id

    def require_manager(self, community_id: int) -> None:
        """Organisers and admins only; outsiders learn nothing about the community (404)."""
        if self.manages(community_id):
            return
        if self.belongs_to(community_id):
            raise Forbidden("Only the community's organisers can do this.", code="organiser_required")
        raise NotFound("No such community.", code="community_not_found")

    def require_staff(self, community_id: int) -> None:
        """Organisers, admins and team leaders of the community."""
        if self.works_in(community_id):
            return
        if self.belongs_to(community_id):
            raise Forbidden("Only organisers and team leaders can do this.", code="staff_required")
        raise NotFound("No such community.", code="community_not_found")

    def require_member(self, community_id: int) -> None:
        """Anyone linked to the community."""
        if not self.belongs_to(community_id):
            raise NotFound("No such community.", code="community_not_found")

    def require_platform_admin(self) -> None:
        if not self.is_platform_admin:
            raise Forbidden("Only a platform administrator can do this.", code="admin_required")

    def require_volunteer(self) -> int:
        """The caller's volunteer id for reading their own records (any state), or a refusal for staff-only
        accounts."""
        if self.volunteer_id is None:
            raise Forbidden("This account is not linked to a volunteer.", code="volunteer_required")
        return self.volunteer_id

    @property
    def state(self) -> AccountState:
        return account_state(self.volunteer_status)

    def require_active_volunteer(self) -> int:
        """The caller's volunteer id for acting as a volunteer (give, donate, spend, ask for a certificate):
        refused with 403 `volunteer_not_active` while pending, suspended or left."""
        volunteer_id = self.require_volunteer()
        if not self.state.acts:
            raise Forbidden(_NOT_ACTIVE.get(self.volunteer_status or "", _NOT_ACTIVE[""]), code="volunteer_not_active",
                            volunteer_status=self.volunteer_status)
        return volunteer_id


_NOT_ACTIVE = {
    VolunteerStatus.PENDING: "Your registration is waiting for an organiser's approval; you can do this once "
                             "you are approved.",
    VolunteerStatus.SUSPENDED: "Your volunteer account is suspended; please ask your community organiser.",
    VolunteerStatus.LEFT: "You have left the community; please ask its organiser if you want to come back.",
    "": "This volunteer account is not active; please ask the community organiser.",
}
