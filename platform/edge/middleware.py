"""One ASGI middleware for every route: cookie-authenticated API writes must come from our own pages with the
CSRF token, JSON endpoints take only JSON, and input that no column can hold is refused before any handler."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.types import ASGIApp, Receive, Scope, Send

from servicebank.accounts.dependencies import uses_session_cookie
from servicebank.edge import csrf, inputs
from servicebank.edge.origin import is_same_origin
from servicebank.kernel.errors import DomainError, Forbidden

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON_TYPES = ("application/json",)


class UnsupportedMediaType(DomainError):
    status_code = 415
    code = "unsupported_media_type"


def is_json(content_type: str) -> bool:
    return content_type == "application/json" or (content_type.startswith("application/")
                                                   and content_type.endswith("+json"))


def data_encoding(handler: Any) -> str | None:
    """How the handler's `data` is encoded (JSON unless declared otherwise), None when it takes no body."""
    field = handler.parsed_fn_signature.parameters.get("data") if handler is not None else None
    if field is None:
        return None
    return getattr(field.kwarg_definition, "media_type", None) or RequestEncodingType.JSON


def check_api_write(request: Request) -> None:
    """A write to /api that the session cookie authenticates needs our origin and the session's CSRF token.

    Bearer-token clients send no cookie for us to trust, so a page elsewhere cannot borrow their rights.
    """
    if not request.scope["path"].startswith("/api/") or not uses_session_cookie(request):
        return
    if request.route_handler.opt.get("exclude_from_auth"):
        return  # logging in: the cookie is not what authenticates the request
    if not is_same_origin(request, required=True):
        raise Forbidden("This request did not come from our own pages (its Origin is another site).",
                        code="cross_origin_refused")
    if not csrf.token_matches(request, request.headers.get(csrf.CSRF_HEADER)):
        raise Forbidden("The X-CSRF-Token header is missing or does not match your session; reload the page.",
                        code="csrf_failed")


async def check_body(request: Request) -> None:
    """JSON endpoints take JSON only; no NUL and no 64-bit overflow in JSON or form fields."""
    if not await _has_body(request):
        return
    content_type, _ = request.content_type
    expects = data_encoding(request.route_handler)
    if expects == RequestEncodingType.JSON and not is_json(content_type):
        raise UnsupportedMediaType(f"This endpoint takes JSON: send the body as application/json, "
                                   f"not {content_type or 'without a Content-Type'}.")
    if is_json(content_type):
        body = await request.body()
        if not inputs.json_may_hold_refused(body):
            return
        try:
            decoded = msgspec.json.decode(body)
        except msgspec.DecodeError:
            return  # the handler answers with its own clear validation error
        inputs.check_json(decoded)
    elif content_type == RequestEncodingType.URL_ENCODED:
        if inputs.form_may_hold_refused(await request.body()):
            inputs.check_pairs((await request.form()).multi_items(), numeric=True)
    elif content_type == RequestEncodingType.MULTI_PART:
        inputs.check_pairs((await request.form()).multi_items(), numeric=False)  # files are not str: left alone


async def _has_body(request: Request) -> bool:
    if request.method not in UNSAFE:
        return False
    if request.content_length is not None:
        return request.content_length > 0
    return bool(await request.body())


def edge_checks(app: ASGIApp) -> ASGIApp:
    """Wrap the app with the edge checks (they raise domain errors: problem+json on /api, a page elsewhere)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request: Request = Request(scope, receive)
            inputs.check_url(scope)
            if request.method in UNSAFE:
                check_api_write(request)
                await check_body(request)
        await app(scope, receive, send)

    return middleware
