"""点单 and 评单 on the phone: the three-tap order page (who, what, when), the resident's list, the rating page."""

from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.errors import DomainError, InvalidInput
from servicebank.requests import service, serving, views
from servicebank.requests.schemas import RequestIn, WindowIn
from servicebank.web import forms, friendly, i18n
from servicebank.web.guard import require_login
from servicebank.web.pages.requests.common import PAYER, STATUS, URGENCY, community_of, quick_slots, window_text
from servicebank.web.render import lang_of, redirect, render

RATING_TAGS = (i18n.N_("On time"), i18n.N_("Patient"), i18n.N_("Skilful"), i18n.N_("Friendly"), i18n.N_("Late"))
DONE = {"ordered": i18n.N_("Your request is sent. The community will look at it soon."),
        "rated": i18n.N_("Thank you for your rating!")}


def _window(value: str) -> WindowIn:
    try:
        start, end = (dt.datetime.fromisoformat(v) for v in value.split("/", 1))
    except ValueError:
        raise InvalidInput("Please choose a time.", code="request_window_invalid") from None
    return WindowIn(start=start, end=end)


class RequestOrderPages(Controller):
    path = "/requests"
    include_in_schema = False

    @get("/")
    async def mine(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                   done: str | None = None) -> Response:
        """The resident's requests, newest first, with the rating button when it is time."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        rows = await views.mine(db_session, principal=principal)
        return render(request, "requests/mine.html", principal, title=_("My help requests"), rows=rows,
                      status=STATUS, windows=lambda r: window_text(request, r.windows),
                      flash=_(DONE[done]) if done in DONE else None)

    @get("/new")
    async def new(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                  community_id: int | None = None, done: str | None = None, q: str | None = None) -> Response:
        """Tap the household (网格员: any of the community's, found by name or building; a resident: their own),
        tap what, tap when, send."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        return await _order_page(request, db_session, principal, community_of(principal, community_id), None,
                                 flash=_(DONE[done]) if done in DONE else None, search=q)

    @post("/new")
    async def order(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                    community_id: int | None = None, q: str | None = None) -> Response:
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        form = forms.values(await request.form())
        community = community_of(principal, community_id)
        try:
            household = forms.whole(form, "household_id", "Please choose the household.")
            category = forms.whole(form, "category_id", "Please choose the kind of help.")
            if household is None or category is None:
                raise InvalidInput("Please choose the household and the kind of help.", code="invalid_input")
            names = {c.id: c.name for c in await service.categories(db_session, principal=principal,
                                                                      community_id=community)}
            description = forms.text(form, "description") or _("Needs help: %(what)s", what=names.get(category, ""))
            await service.create(db_session, principal=principal, data=RequestIn(
                household_id=household, category_id=category, description=description,
                windows=[_window(forms.text(form, "slot"))], urgency=int(forms.text(form, "urgency") or 0),
                payer=forms.text(form, "payer") or "none"))
        except DomainError as exc:
            await db_session.rollback()
            return await _order_page(request, db_session, principal, community, friendly.explain(exc, _), search=q)
        if principal.manages(community):
            target = f"/manage/requests?community_id={community}&done=ordered"
        elif principal.works_in(community):  # a 网格员 orders the next one from the same page
            target = f"/requests/new?community_id={community}&done=ordered"
        else:
            target = "/requests?done=ordered"
        return redirect(request, target)

    @get("/{request_id:int}/rate")
    async def rate_page(self, request: Request, request_id: int, db_session: AsyncSession,
                        optional_principal: Principal | None) -> Response:
        principal = require_login(optional_principal)
        return await _rate_page(request, db_session, principal, request_id, None)

    @post("/{request_id:int}/rate")
    async def rate(self, request: Request, request_id: int, db_session: AsyncSession,
                   optional_principal: Principal | None) -> Response:
        """Stars, a few tags, a comment; the resident, or a 网格员 for them."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        form = forms.values(await request.form())
        try:
            stars = forms.whole(form, "stars", "Please tap the stars.")
            await serving.rate(db_session, principal=principal, request_id=request_id, stars=stars or 0,
                               tags=[_(t) for t in forms.many(form, "tags") if t in RATING_TAGS],
                               comment=forms.text(form, "comment"))
        except DomainError as exc:
            await db_session.rollback()
            return await _rate_page(request, db_session, principal, request_id, friendly.explain(exc, _))
        return redirect(request, "/manage/requests?done=rated" if form.get("from_desk") else "/requests?done=rated")


async def _order_page(request: Request, db_session: AsyncSession, principal: Principal, community_id: int,
                      error: str | None, flash: str | None = None, search: str | None = None) -> Response:
    _ = i18n.translator(lang_of(request))
    search = (search or "").strip()[:40] or None
    households = await service.households(db_session, principal=principal, community_id=community_id, search=search)
    staff = principal.works_in(community_id)
    categories = await service.categories(db_session, principal=principal, community_id=community_id)
    return render(request, "requests/new.html", principal, status_code=422 if error else 200,
                  title=_("Ask for help"), households=households, categories=categories,
                  slots=quick_slots(request), urgency=URGENCY, payers=PAYER, community_id=community_id,
                  staff=staff, error=error, flash=flash, q=search,
                  buildings=await service.buildings(db_session, principal=principal, community_id=community_id)
                  if staff else [])


async def _rate_page(request: Request, db_session: AsyncSession, principal: Principal, request_id: int,
                     error: str | None) -> Response:
    _ = i18n.translator(lang_of(request))
    row = await views.one(db_session, principal=principal, request_id=request_id)
    return render(request, "requests/rate.html", principal, status_code=422 if error else 200,
                  title=_("Rate the service"), row=row, tags=RATING_TAGS, error=error, status=STATUS, urgency=URGENCY,
                  windows=lambda r: window_text(request, r.windows),
                  from_desk=principal.works_in(row.community_id))
