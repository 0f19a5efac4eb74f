"""The store clerk's back office on the phone: the day's receipts with refunds, and the stock of the store's items."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.kernel.clock import utcnow
from servicebank.kernel.errors import DomainError, InvalidInput
from servicebank.stores import service
from servicebank.stores.service import get_store, require_till
from servicebank.web import friendly, i18n
from servicebank.web.guard import require_login
from servicebank.web.render import lang_of, redirect, render

# How far back the day list goes: the longest refund period a store may set (stores/catalogue.py).
OLDEST_DAY = service.MAX_REFUND_DAYS
DONE = {"refunded": i18n.N_("Refunded: the points are back with the volunteer, who is told."),
        "stock": i18n.N_("Stock saved.")}


def _today(request: Request) -> dt.date:
    return utcnow().astimezone(ZoneInfo(request.app.state.settings.timezone)).date()


def _day(request: Request, day: str | None) -> dt.date:
    """The asked local day, kept between the oldest refundable one and today."""
    today = _today(request)
    try:
        chosen = dt.date.fromisoformat(day) if day else today
    except ValueError:
        chosen = today
    return min(today, max(chosen, today - dt.timedelta(days=OLDEST_DAY)))


def _count(value: object) -> int:
    try:
        count = int(str(value or "").strip())
    except ValueError:
        raise InvalidInput("Stock is a whole number, 0 or more.", code="invalid_stock") from None
    if not 0 <= count <= 1_000_000:
        raise InvalidInput("Stock is a whole number, 0 or more.", code="invalid_stock")
    return count


class StoreDeskPages(Controller):
    path = "/till/{store_id:int}"
    include_in_schema = False

    @get("/redemptions")
    async def redemptions(self, request: Request, store_id: int, db_session: AsyncSession,
                          optional_principal: Principal | None, day: str | None = None,
                          done: str | None = None) -> Response:
        """A day's receipts (today by default), each still refundable one with its refund form."""
        principal = require_login(optional_principal)
        return await _receipts(request, db_session, principal, store_id, _day(request, day), done=done, error=None)

    @post("/redemptions/{redemption_id:int}/refund")
    async def refund(self, request: Request, store_id: int, redemption_id: int, db_session: AsyncSession,
                     optional_principal: Principal | None) -> Response:
        """Refund a whole receipt; the reason is required (it is audited and the volunteer is told)."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        form = await request.form()
        day = _day(request, str(form.get("day", "")))
        reason = str(form.get("reason", "")).strip()
        try:
            if len(reason) < 2:
                raise InvalidInput("Give the reason for the refund.", code="reason_required")
            receipt = await service.refund(db_session, actor=principal, redemption_id=redemption_id, reason=reason)
        except DomainError as exc:
            await db_session.rollback()
            return await _receipts(request, db_session, principal, store_id, day, done=None,
                                   error=friendly.explain(exc, _))
        return redirect(request, f"/till/{receipt.store.id}/redemptions?day={day.isoformat()}&done=refunded"
                                 f"#receipt-{redemption_id}")

    @get("/stock")
    async def stock(self, request: Request, store_id: int, db_session: AsyncSession,
                    optional_principal: Principal | None, done: str | None = None) -> Response:
        """The store's items with their stock, each counted one with its stocktake and goods-in form."""
        principal = require_login(optional_principal)
        return await _stock(request, db_session, principal, store_id, done=done, error=None)

    @post("/stock/{item_id:int}")
    async def adjust(self, request: Request, store_id: int, item_id: int, db_session: AsyncSession,
                     optional_principal: Principal | None) -> Response:
        """Goods in (add the number) or a stocktake (set the number counted on the shelf)."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        form = await request.form()
        try:
            count = _count(form.get("count"))
            change = {"restock": count} if form.get("action") == "add" else {"stock": count}
            await service.adjust_stock(db_session, actor=principal, store_id=store_id, item_id=item_id, **change)
        except DomainError as exc:
            await db_session.rollback()
            return await _stock(request, db_session, principal, store_id, done=None, error=friendly.explain(exc, _))
        return redirect(request, f"/till/{store_id}/stock?done=stock#item-{item_id}")


async def _receipts(request: Request, db_session: AsyncSession, principal: Principal, store_id: int, day: dt.date,
                    *, done: str | None, error: str | None) -> Response:
    _ = i18n.translator(lang_of(request))
    store = await get_store(db_session, store_id)
    require_till(principal, store)
    rows = await service.receipts_out(db_session, await service.store_receipts(
        db_session, actor=principal, settings=request.app.state.settings, store_id=store.id, day=day))
    now = utcnow()
    today = _today(request)
    return render(request, "stores/till_redemptions.html", principal, status_code=422 if error else 200,
                  title=_("Redemptions and refunds"), store=store, rows=rows, day=day,
                  refundable={r.id for r in rows if r.status == "completed" and r.refundable_until > now},
                  earlier=day - dt.timedelta(days=1) if day > today - dt.timedelta(days=OLDEST_DAY) else None,
                  later=day + dt.timedelta(days=1) if day < today else None,
                  flash=_(DONE[done]) if done in DONE else None, error=error)


async def _stock(request: Request, db_session: AsyncSession, principal: Principal, store_id: int, *,
                 done: str | None, error: str | None) -> Response:
    _ = i18n.translator(lang_of(request))
    store = await get_store(db_session, store_id)
    require_till(principal, store)
    items = await service.items_for(db_session, actor=principal, store_id=store.id)
    return render(request, "stores/till_stock.html", principal, status_code=422 if error else 200, title=_("Stock"),
                  store=store, items=items, flash=_(DONE[done]) if done in DONE else None, error=error)
