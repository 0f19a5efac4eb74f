"""Who is asking, and what they may reach: roles with their scopes, resolved once per request."""

from __future__ import annotations

import dataclasses

from servicebank.accounts.models import Role
from servicebank.errors import Forbidden, NotFound


@dataclasses.dataclass(frozen=True)
class Grant:
    role: str
    street_id: int | None = None
    community_id: int | None = None
    team_id: int | None = None
    store_id: int | None = None


@dataclasses.dataclass(frozen=True)
class Principal:
    """The logged-in user with their grants; `managed_community_ids` is None for platform admins (all)."""

    user_id: int
    display_name: str
    grants: tuple[Grant, ...]
    volunteer_id: int | None = None
    volunteer_community_id: int | None = None
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
        """The caller's volunteer id, or a clear refusal for staff-only accounts."""
        if self.volunteer_id is None:
            raise Forbidden("This account is not linked to a volunteer.", code="volunteer_required")
        return self.volunteer_id
