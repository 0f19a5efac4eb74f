"""Calendar feeds (fetched by phone calendar apps without a login) and the caller's feed link."""

from __future__ import annotations

from urllib.parse import urlparse

from litestar import Controller, Response, get
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities.calendar import community_feed, volunteer_feed, volunteer_feed_token, volunteer_from_token
from servicebank.activities.schemas import CalendarLinkOut
from servicebank.config import Settings, get_settings
from servicebank.kernel.errors import NotFound

# Litestar adds "; charset=utf-8" to every text/* type: naming it here sent it twice.
ICS = "text/calendar"


def _settings(state: State) -> Settings:
    return getattr(state, "settings", None) or get_settings()


def _ics(body: bytes) -> Response[bytes]:
    return Response(body, media_type=ICS, headers={"Cache-Control": "private, max-age=300"})


def _strip_ics(name: str) -> str:
    if not name.endswith(".ics"):
        raise NotFound("No such calendar.", code="calendar_not_found")
    return name[:-4]


class CalendarController(Controller):
    path = "/api"
    tags = ["calendar"]

    @get("/calendar/volunteer/{feed:str}", exclude_from_auth=True, media_type=ICS)
    async def volunteer(self, feed: str, read_session: AsyncSession, state: State) -> Response[bytes]:
        """A volunteer's activities as iCalendar; the signed token in the URL is the only key."""
        settings = _settings(state)
        volunteer_id = volunteer_from_token(settings.signing_keys(), _strip_ics(feed))
        host = urlparse(settings.public_url).hostname or "servicebank"
        return _ics(await volunteer_feed(read_session, volunteer_id=volunteer_id, host=host))

    @get("/calendar/community/{feed:str}", exclude_from_auth=True, media_type=ICS)
    async def community(self, feed: str, read_session: AsyncSession, state: State) -> Response[bytes]:
        """A community's public activity calendar (published, running, past and cancelled activities)."""
        raw = _strip_ics(feed)
        if not raw.isdigit():
            raise NotFound("No such calendar.", code="calendar_not_found")
        settings = _settings(state)
        host = urlparse(settings.public_url).hostname or "servicebank"
        return _ics(await community_feed(read_session, community_id=int(raw), host=host))

    @get("/me/calendar")
    async def my_link(self, principal: Principal, state: State) -> CalendarLinkOut:
        """The caller's personal feed URL to add to a phone calendar (keep it private: it needs no login)."""
        volunteer_id = principal.require_volunteer()
        settings = _settings(state)
        base = settings.public_url.rstrip("/")
        token = volunteer_feed_token(settings.secret_key, volunteer_id)
        community = principal.volunteer_community_id
        return CalendarLinkOut(url=f"{base}/api/calendar/volunteer/{token}.ics",
                               community_url=f"{base}/api/calendar/community/{community}.ics" if community else None)
