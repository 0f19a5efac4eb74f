"""Store clerk pages: scan a volunteer's code, pick items, confirm, the receipt; today's redemptions."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.one_time_codes import WrongCode
from servicebank.accounts.principal import Principal
from servicebank.clientip import client_ip
from servicebank.kernel.errors import DomainError, InvalidInput
from servicebank.stores import service
from servicebank.stores.schemas import LineIn
from servicebank.stores.service import get_store, require_till, till_stores
from servicebank.volunteers import card_pin
from servicebank.web import friendly, i18n
from servicebank.web.guard import require_login
from servicebank.web.render import lang_of, redirect, render

MAX_QUANTITY = 99


class TillPages(Controller):
    path = "/till"
    include_in_schema = False

    @get("/")
    async def stores(self, request: Request, db_session: AsyncSession,
                     optional_principal: Principal | None) -> Response:
        """The stores the clerk works at (straight to the till when there is one)."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        stores = await till_stores(db_session, principal)
        if len(stores) == 1:
            return redirect(request, f"/till/{stores[0].id}")
        return render(request, "stores/till_stores.html", principal, title=_("Store till"), stores=stores)

    @get("/{store_id:int}")
    async def till_page(self, request: Request, store_id: int, db_session: AsyncSession,
                        optional_principal: Principal | None) -> Response:
        """The scan field and today's redemptions."""
        principal = require_login(optional_principal)
        return await _till(request, db_session, principal, store_id, error=None)

    @post("/{store_id:int}/scan")
    async def scan(self, request: Request, store_id: int, db_session: AsyncSession,
                   optional_principal: Principal | None) -> Response:
        """Who the code names, their points, and what they may take here."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        code = str((await request.form()).get("code", "")).strip()
        return await _pick(request, db_session, principal, store_id, code, error=None)

    @post("/{store_id:int}/card-code")
    async def card_code(self, request: Request, store_id: int, db_session: AsyncSession,
                        optional_principal: Principal | None) -> Response:
        """No PIN at hand: text a code to the card's volunteer, and show the items again with a field for it."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        code = str((await request.form()).get("code", "")).strip()
        try:
            phone = await service.text_spend_code(db_session, actor=principal, settings=request.app.state.settings,
                                                     store_id=store_id, code=code, client_address=client_ip(request))
        except DomainError as exc:
            await db_session.rollback()
            return await _pick(request, db_session, principal, store_id, code, error=friendly.explain(exc, _))
        await db_session.commit()  # the text goes once the code is kept; the page below only reads
        return await _pick(request, db_session, principal, store_id, code, error=None, texted_to=phone)

    @post("/{store_id:int}/redeem")
    async def redeem(self, request: Request, store_id: int, db_session: AsyncSession,
                     optional_principal: Principal | None) -> Response:
        """Take the points for the picked items and show the receipt."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        form = await request.form()
        code = str(form.get("code", "")).strip()
        try:
            lines = _lines(form)
            receipt = await service.redeem(db_session, actor=principal, settings=request.app.state.settings,
                                        store_id=store_id, code=code, lines=lines, pin=str(form.get("pin", "")),
                                        sms_code=str(form.get("sms_code", "")), client_address=client_ip(request))
            await db_session.flush()
            out = (await service.receipts_out(db_session, [receipt]))[0]
        except DomainError as exc:
            # A wrong card PIN or texted code is counted (and kept); anything else leaves no trace.
            counted = isinstance(exc, (card_pin.WrongCardPin, WrongCode))
            await (db_session.commit() if counted else db_session.rollback())
            # A texted code was typed: ask for it again (the same code, or a new one), not for the PIN.
            texted_to = _("the volunteer's phone") if str(form.get("sms_code", "")).strip() else None
            return await _pick(request, db_session, principal, store_id, code, error=friendly.explain(exc, _),
                               texted_to=texted_to)
        return render(request, "stores/receipt.html", principal, title=_("Receipt"), receipt=out)


def _lines(form) -> list[LineIn]:  # noqa: ANN001
    """The cart from fields named qty-<item id>; at least one item."""
    lines = []
    for name, value in form.items():
        if not name.startswith("qty-") or not str(value).strip():
            continue
        try:
            item_id, quantity = int(name[4:]), int(value)
        except ValueError:
            raise InvalidInput("Quantities are whole numbers.", code="invalid_input") from None
        if not 0 <= quantity <= MAX_QUANTITY:
            raise InvalidInput("Quantities are whole numbers.", code="invalid_input")
        if quantity:
            lines.append(LineIn(item_id=item_id, quantity=quantity))
    if not lines:
        raise InvalidInput("Pick at least one item.", code="empty_cart")
    return lines


async def _pick(request: Request, db_session: AsyncSession, principal: Principal, store_id: int, code: str,
                error: str | None, texted_to: str | None = None) -> Response:
    """The volunteer's items to pick from; a code that cannot pay (spent, expired, wrong) is refused here."""
    _ = i18n.translator(lang_of(request))
    try:
        result = await service.scan(db_session, actor=principal, settings=request.app.state.settings,
                                 store_id=store_id, code=code, client_address=client_ip(request))
    except DomainError as exc:
        await db_session.rollback()
        return await _till(request, db_session, principal, store_id, error=friendly.explain(exc, _))
    store = await get_store(db_session, store_id)
    return render(request, "stores/till_pick.html", principal, status_code=422 if error else 200, title=_("Pick items"),
                  store=store, scan=result, code=code, error=error, max_quantity=MAX_QUANTITY, texted_to=texted_to,
                  item_reason=lambda reason: friendly.item_reason(reason, _))


async def _till(request: Request, db_session: AsyncSession, principal: Principal, store_id: int,
                error: str | None) -> Response:
    _ = i18n.translator(lang_of(request))
    store = await get_store(db_session, store_id)
    require_till(principal, store)
    today = await service.store_receipts(db_session, actor=principal, settings=request.app.state.settings,
                                          store_id=store_id, day=None)
    return render(request, "stores/till.html", principal, status_code=422 if error else 200, title=_("Store till"),
                  store=store, today=await service.receipts_out(db_session, today), error=error)
