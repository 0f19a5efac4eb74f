"""Late claims (补录) through the API: claim with photos, list, decide, and read a photo (never public)."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.response import File
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.clock import utcnow
from servicebank.records import claim_views, claims
from servicebank.records.schemas import ClaimOut, DecisionIn

# A photo is private to the claim's readers: no shared cache keeps it, and the browser never guesses another type.
PRIVATE_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


class ClaimController(Controller):
    path = "/api"
    tags = ["records"]

    @post("/me/claims", status_code=201)
    async def submit(self, request: Request, db_session: AsyncSession, principal: Principal, state: State) -> ClaimOut:
        """multipart/form-data: `activity_id` (one of ours) or `organisation_id` + `place` (a service elsewhere),
        `started_at`, `ended_at` (ISO; without a zone the platform's), `content`, up to 3 `photos` (JPEG, PNG or
        WebP). Errors: `claim_too_old`, `claim_duplicate`, `claim_already_credited`, `claim_photo_type`,
        `claim_photo_too_large`, `claim_too_many_photos`, `unknown_organisation`, `claim_invalid_times`."""
        settings = state.settings
        data, photos = await claim_views.read_submission(await request.form(), timezone=settings.timezone)
        claim = await claims.submit(db_session, settings=settings, principal=principal, data=data, photos=photos,
                                    now=utcnow())
        return await claim_views.one(db_session, principal=principal, claim_id=claim.id)

    @get("/me/claims")
    async def mine(self, db_session: AsyncSession, principal: Principal) -> list[ClaimOut]:
        """The caller's claims, newest first, with their decisions and what they count for."""
        return await claim_views.of_volunteer(db_session, principal=principal,
                                              volunteer_id=principal.require_volunteer())

    @get("/communities/{community_id:int}/claims")
    async def of_community(self, community_id: int, db_session: AsyncSession, principal: Principal,
                           status: str | None = None) -> list[ClaimOut]:
        """Organisers: the claims the community confirms (`?status=pending` for those waiting)."""
        return await claim_views.for_community(db_session, principal=principal, community_id=community_id,
                                               status=status)

    @get("/claims/{claim_id:int}")
    async def one(self, claim_id: int, db_session: AsyncSession, principal: Principal) -> ClaimOut:
        """The claim, for its volunteer and the organisers of its community."""
        return await claim_views.one(db_session, principal=principal, claim_id=claim_id)

    @post("/claims/{claim_id:int}/approve", status_code=200)
    async def approve(self, claim_id: int, data: DecisionIn, db_session: AsyncSession,
                      principal: Principal) -> ClaimOut:
        """Organisers: confirm the claim; its hours are posted once under the hours rules (audited)."""
        return await claim_views.decide(db_session, principal=principal, claim_id=claim_id, approve=True,
                                        reason=data.reason, now=utcnow())

    @post("/claims/{claim_id:int}/decline", status_code=200)
    async def decline(self, claim_id: int, data: DecisionIn, db_session: AsyncSession,
                      principal: Principal) -> ClaimOut:
        """Organisers: turn the claim down with a reason (audited); nothing is posted."""
        return await claim_views.decide(db_session, principal=principal, claim_id=claim_id, approve=False,
                                        reason=data.reason, now=utcnow())

    @get("/claims/{claim_id:int}/photos/{position:int}", media_type="application/octet-stream")
    async def photo(self, claim_id: int, position: int, db_session: AsyncSession, principal: Principal,
                    state: State) -> File:
        """An evidence photo, for the claim's volunteer and the organisers of its community only."""
        row, path = await claims.photo_file(db_session, settings=state.settings, principal=principal,
                                            claim_id=claim_id, position=position)
        return File(path, media_type=row.media_type, content_disposition_type="inline",
                    filename=f"claim-{claim_id}-{position}.{row.stored_name.rsplit('.', 1)[-1]}",
                    headers=PRIVATE_HEADERS)
