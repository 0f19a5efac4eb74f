"""HTTP API of the counter (scan, redeem, refund, receipts), volunteers' codes and history, settlements."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.openapi.spec import Example
from litestar.params import Body, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.one_time_codes import VALID_MINUTES, WrongCode
from servicebank.accounts.principal import Principal
from servicebank.clientip import client_ip
from servicebank.config import Settings
from servicebank.kernel.clock import utcnow
from servicebank.kernel.errors import Forbidden
from servicebank.kernel.qr import qr_png, qr_svg
from servicebank.ratelimit import rate_limit_guard
from servicebank.spreadsheets import XLSX_MEDIA_TYPE
from servicebank.stores import service
from servicebank.stores.catalogue_routes import StoreController
from servicebank.stores.schemas import (
    CardCodeIn,
    CardCodeOut,
    CodeOut,
    RedeemIn,
    RedemptionOut,
    RefundIn,
    ScanIn,
    ScanOut,
    ShortCodeOut,
)
from servicebank.volunteers import card_pin

_MEDIA = {"svg": "image/svg+xml", "png": "image/png"}
_NO_STORE = {"Cache-Control": "no-store"}
# Per clerk login: a busy till serves a few people a minute; a runaway script is stopped.
REDEEM_LIMIT = rate_limit_guard("till", limit=60, window_seconds=60, what="till operations")


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _image(data: str, fmt: str, headers: dict[str, str] | None = None) -> Response[bytes]:
    body = qr_svg(data) if fmt == "svg" else qr_png(data)
    return Response(body, media_type=_MEDIA[fmt], headers={**_NO_STORE, **(headers or {})})


class TillController(Controller):
    path = "/api/stores/{store_id:int}"
    tags = ["stores"]

    @post("/scan", status_code=200, guards=[REDEEM_LIMIT])
    async def scan(self, request: Request, db_session: AsyncSession, principal: Principal, store_id: int,
                   data: Annotated[ScanIn, Body(examples=[Example(value={"code": "r.42.1790000000.xxxx.yyyy"})])]
                   ) -> ScanOut:
        """Resolve a phone code (the 6-digit short code, spaces allowed, or a long `r.` code) or personal card at
        the counter: masked name, balance, hours, and which items the
        volunteer may redeem now (with the reason when not). A printed card says how its spend is confirmed
        (`confirm_with`: `pin`, `sms_code`); one with neither is `eligible: false`, `reason: card_pin_not_set`.
        Spends nothing. Store clerks and organisers. Errors:
        400 `redemption_code_invalid` / `redemption_code_expired` / `card_invalid` / `card_revoked`, 403
        `not_store_clerk` / `volunteer_not_in_community` / `volunteer_not_active`, 409 `store_closed` /
        `redemption_code_used` (a spent long code is refused here, before any item is picked), 429
        `rate_limited` after too many wrong short codes (per clerk and per address). A wrong, expired, spent or
        other community's short code is always 400 `redemption_code_invalid`."""
        return await service.scan(db_session, actor=principal, settings=_settings(request), store_id=store_id,
                               code=data.code, client_address=client_ip(request))

    @post("/redemptions", status_code=201, guards=[REDEEM_LIMIT])
    async def redeem(self, request: Request, db_session: AsyncSession, principal: Principal, store_id: int,
                     data: Annotated[RedeemIn, Body(examples=[Example(value={
                         "code": "r.42.1790000000.xxxx.yyyy", "lines": [{"item_id": 1, "quantity": 2}]}),
                         Example(summary="printed card with PIN", value={
                             "code": "v.42.1.zzzz", "pin": "270419", "lines": [{"item_id": 1, "quantity": 1}]})])]
                     ) -> RedemptionOut:
        """Confirm a cart: points move from the volunteer to the store in one ledger transaction, stock goes down,
        the code is spent; all or nothing. Returns the receipt; the volunteer gets an inbox notification. A printed
        card needs the volunteer's `pin` too: 403 `card_pin_required` / `card_pin_wrong` (5 in a row lock the
        card: `card_pin_locked`) / `card_pin_not_set`; or, instead of the PIN, the `sms_code` texted by
        POST card-codes: 400 `otp_wrong` / `otp_expired` / `otp_used`, 429 `otp_too_many_attempts`. Errors: 409 `insufficient_balance` /
        `out_of_stock` / `monthly_limit_exceeded` / `redemption_code_used` / `item_unavailable` / `store_closed`,
        403 `service_hours_too_few` / `not_store_clerk` / `volunteer_not_in_community`, 400
        `redemption_code_expired` / `redemption_code_invalid`, 422 `empty_cart` / `invalid_quantity` /
        `item_not_found`."""
        try:
            receipt = await service.redeem(db_session, actor=principal, settings=_settings(request), store_id=store_id,
                                           code=data.code, lines=data.lines, pin=data.pin, sms_code=data.sms_code,
                                        client_address=client_ip(request))
        except (card_pin.WrongCardPin, WrongCode):
            await db_session.commit()  # the failed attempt must outlive the error, or the limit never trips
            raise
        return (await service.receipts_out(db_session, [receipt]))[0]

    @post("/card-codes", status_code=202, guards=[REDEEM_LIMIT])
    async def card_code(self, request: Request, db_session: AsyncSession, principal: Principal, store_id: int,
                        data: Annotated[CardCodeIn, Body(examples=[Example(value={"code": "v.42.1.zzzz"})])]
                        ) -> CardCodeOut:
        """Text a 6-digit code to the printed card's volunteer, to confirm the spend instead of the card PIN (then
        redeem with `sms_code`). Answers the phone masked. Errors: 422 `spend_code_card_only` (a phone code needs
        none), `otp_needs_mobile`; 429 `otp_rate_limited`; and the scan's errors."""
        phone = await service.text_spend_code(db_session, actor=principal, settings=_settings(request),
                                                 store_id=store_id, code=data.code, client_address=client_ip(request))
        return CardCodeOut(sent=True, phone=phone, expires_in_seconds=VALID_MINUTES * 60)

    @get("/redemptions")
    async def store_redemptions(self, request: Request, db_session: AsyncSession, principal: Principal,
                                store_id: int, day: dt.date | None = None) -> list[RedemptionOut]:
        """Receipts made or refunded on a local day (`day=2026-11-14`; today by default), newest first."""
        rows = await service.store_receipts(db_session, actor=principal, settings=_settings(request),
                                             store_id=store_id, day=day)
        return await service.receipts_out(db_session, rows)

    @get("/settlements/{month:str}")
    async def settlement(self, request: Request, read_session: AsyncSession, principal: Principal, store_id: int,
                         month: str,
                         format_: Annotated[Literal["json", "csv", "xlsx"], QueryParameter(name="format")] = "json",
                         ) -> Response[Any]:
        """Monthly settlement (YYYY-MM, local time): receipts, volunteers, points received and refunded, per-item
        quantities and points. `format=csv` (per item, with a total row) or `xlsx` (汇总 and 明细 sheets).
        Store clerks and organisers; 422 `invalid_month`."""
        result = await service.settlement_for(read_session, actor=principal, settings=_settings(request),
                                                 store_id=store_id, month=month)
        if format_ == "json":
            return Response(result.summary)
        if format_ == "csv":
            body, media = service.settlement_csv(result), "text/csv"
        else:
            body, media = service.settlement_xlsx(result), XLSX_MEDIA_TYPE
        name = service.settlement_filename(result, format_)
        return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


class RedemptionController(Controller):
    path = "/api/redemptions"
    tags = ["stores"]

    @get("/{redemption_id:int}")
    async def get_receipt(self, db_session: AsyncSession, principal: Principal, redemption_id: int) -> RedemptionOut:
        """A receipt: for the volunteer who redeemed and the store's staff; 404 `redemption_not_found` else."""
        receipt = await service.receipt_for(db_session, actor=principal, redemption_id=redemption_id)
        return (await service.receipts_out(db_session, [receipt]))[0]

    @post("/{redemption_id:int}/refund", status_code=200)
    async def refund(self, db_session: AsyncSession, principal: Principal, redemption_id: int,
                     data: Annotated[RefundIn, Body(examples=[Example(value={"reason": "米袋破损"})])]
                     ) -> RedemptionOut:
        """Refund a whole receipt once, within the store's refund period: a reversing ledger transaction, stock
        back up, the monthly allowance given back. Store clerks and organisers. Errors: 409 `already_refunded` /
        `refund_period_over`, 403 `not_store_clerk`."""
        receipt = await service.refund(db_session, actor=principal, redemption_id=redemption_id, reason=data.reason)
        return (await service.receipts_out(db_session, [receipt]))[0]


class MyRedemptionController(Controller):
    path = "/api/me"
    tags = ["stores"]

    @get("/redemption-code")
    async def redemption_code(self, request: Request, principal: Principal,
                              format_: Annotated[Literal["json", "png", "svg"], QueryParameter(name="format")] = "json"
                              ) -> Response[Any]:
        """A fresh redemption code for the counter (valid 2 minutes, spent by one redemption). JSON with the
        code and QR image URLs, or the QR image itself with `format=png|svg`. Volunteers only."""
        volunteer_id = principal.require_active_volunteer()
        issued = service.issue_code(secret_key=_settings(request).secret_key, volunteer_id=volunteer_id, now=utcnow())
        if format_ != "json":
            return _image(issued.code, format_, {"X-Code-Expires-At": issued.expires_at.isoformat()})
        base = "/api/me/redemption-code/qr?code=" + quote(issued.code, safe="")
        return Response(CodeOut(code=issued.code, expires_at=issued.expires_at, qr_png_url=f"{base}&format=png",
                                qr_svg_url=f"{base}&format=svg"), headers=_NO_STORE)

    @post("/redemption-codes", status_code=201)
    async def short_redemption_code(self, request: Request, db_session: AsyncSession,
                                    principal: Principal) -> Response[ShortCodeOut]:
        """A short code for the counter: 6 digits (`display` grouped for reading aloud, "123 456"), valid
        `SERVICEBANK_REDEMPTION_CODE_SECONDS` (10 minutes), spent by one redemption. Issuing one cancels your
        previous unused code. The QR carries the same digits. Volunteers only."""
        settings = _settings(request)
        issued = await service.issue_short_code(db_session, settings=settings,
                                         volunteer_id=principal.require_active_volunteer(), now=utcnow())
        base = f"/api/me/redemption-code/qr?code={issued.code}"
        return Response(ShortCodeOut(code=issued.code, display=issued.display, expires_at=issued.expires_at,
                                     qr_png_url=f"{base}&format=png", qr_svg_url=f"{base}&format=svg"),
                        headers=_NO_STORE, status_code=201)

    @get("/redemption-code/qr")
    async def redemption_code_qr(self, request: Request, db_session: AsyncSession, principal: Principal, code: str,
                                 format_: Annotated[Literal["png", "svg"], QueryParameter(name="format")] = "svg"
                                 ) -> Response[bytes]:
        """The QR image of one of your own unexpired codes, long or short (the URLs the JSON answers give)."""
        volunteer_id = principal.require_volunteer()
        now = utcnow()
        digits = service.as_short_code(code)
        if digits is not None:
            if not await service.is_live_code_of(db_session, digits, settings=_settings(request),
                                                     volunteer_id=volunteer_id, now=now):
                raise service.wrong_code()
            return _image(digits, format_)
        scanned = service.verify_code(code, secret_key=_settings(request).signing_keys(), now=now)
        if scanned.volunteer_id != volunteer_id:
            raise Forbidden("This code belongs to someone else.", code="not_your_code")
        return _image(code, format_)

    @get("/redemptions")
    async def my_redemptions(self, db_session: AsyncSession, principal: Principal, limit: int = 50,
                             before_id: int | None = None) -> list[RedemptionOut]:
        """Your redemption history, newest first; page with `before_id` (the last id you got)."""
        rows = await service.my_receipts(db_session, actor=principal, limit=limit, before_id=before_id)
        return await service.receipts_out(db_session, rows)


ROUTES = [StoreController, TillController, RedemptionController, MyRedemptionController]
