"""Domain errors and their problem+json responses: a stable `code` and a message a person can act on."""

from __future__ import annotations

import contextlib
import functools
import logging
from typing import TYPE_CHECKING, Any

from servicebank.error_codes import HTTP_CODES, chinese

if TYPE_CHECKING:  # Litestar and SQLAlchemy load when a response is built, not for the command line
    from litestar import Request, Response
    from litestar.exceptions import HTTPException, ValidationException
    from sqlalchemy.exc import DBAPIError, IntegrityError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """A refusal the user can understand; subclasses fix status and code."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status_code: int | None = None, **extra: Any):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code
        self.extra = extra


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class Unauthenticated(DomainError):
    status_code = 401
    code = "not_authenticated"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class InvalidInput(DomainError):
    status_code = 422
    code = "invalid_input"


class UploadTooLarge(DomainError):
    status_code = 413
    code = "upload_too_large"


class UnsupportedFile(DomainError):
    status_code = 415
    code = "unsupported_file"


class TooManyRequests(DomainError):
    status_code = 429
    code = "rate_limited"


class ServiceUnavailable(DomainError):
    status_code = 503
    code = "service_unavailable"


def problem(status: int, code: str, message: str, **extra: Any) -> Response[dict[str, Any]]:
    """A problem+json response (RFC 9457) with our stable `code`."""
    from litestar import Response

    body: dict[str, Any] = {"type": f"https://servicebank.invalid/problems/{code}", "title": message,
                            "status": status, "code": code, "detail": message}
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = {"Retry-After": "5"} if status == 503 else None
    if status == 429 and extra.get("retry_after"):
        headers = {"Retry-After": str(extra["retry_after"])}
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _domain_error(_: Request, exc: DomainError) -> Response[Any]:
    return problem(exc.status_code, exc.code, exc.message, **exc.extra)


def _validation_error(_: Request, exc: ValidationException) -> Response[Any]:
    errors = exc.extra if isinstance(exc.extra, list) else None
    detail = exc.detail or "The request is not valid."
    if errors:
        parts = [f"{e.get('key') or 'body'}: {e.get('message')}" for e in errors if isinstance(e, dict)]
        if parts:
            detail = "Please correct: " + "; ".join(parts)
    return problem(400, "invalid_input", detail, errors=errors)


def _http_error(_: Request, exc: HTTPException) -> Response[Any]:
    from litestar.exceptions import NotAuthorizedException

    status = exc.status_code
    code = HTTP_CODES.get(status, "http_error")
    message = exc.detail or code.replace("_", " ")
    if isinstance(exc, NotAuthorizedException):
        message = exc.detail or "Please log in first."
    if status == 413:
        message = "The request body is too large."
    return problem(status, code, message)


def _integrity_error(_: Request, exc: IntegrityError) -> Response[Any]:
    log.info("integrity error turned into 409: %s", exc.orig)
    return problem(409, "conflict", "This conflicts with data already stored (a duplicate or a missing reference). "
                   "Reload and try again.")


_CONNECTION_HINTS = ("connect", "connection", "server closed", "terminating", "shutting down", "the database system",
                     "recovery",
                     "timeout", "timed out", "database is locked", "too many clients")


@functools.cache
def _connection_failure_types() -> tuple[type[BaseException], ...]:
    """Driver exceptions that say the connection failed (not the statement), whatever their message; built on
    first use so the command line does not import SQLAlchemy."""
    from sqlalchemy.exc import DisconnectionError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    kinds: list[type[BaseException]] = [ConnectionError, TimeoutError, DisconnectionError, PoolTimeout]
    with contextlib.suppress(ImportError):
        import asyncpg

        # InternalClientError: the protocol is in a state no statement can follow (e.g. "cannot switch to
        # state 12; another operation is in progress" when the server's goodbye arrived mid-request).
        kinds += [asyncpg.PostgresConnectionError, asyncpg.exceptions.InternalClientError, asyncpg.AdminShutdownError,
                  asyncpg.CrashShutdownError, asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError,
                  # The server ended the session (idle_in_transaction_session_timeout, idle_session_timeout).
                  asyncpg.IdleInTransactionSessionTimeoutError, asyncpg.exceptions.IdleSessionTimeoutError]
    with contextlib.suppress(ImportError):
        import redis.exceptions

        # On a Redis Cluster a master that is down leaves its slots unserved: the same outage, for those keys.
        kinds += [redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, redis.exceptions.ClusterDownError,
                  redis.exceptions.SlotNotCoveredError]
    return tuple(kinds)


def _causes(exc: BaseException) -> list[BaseException]:
    """The error, the driver error SQLAlchemy wrapped, and what that one was raised from."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 5:
        chain.append(current)
        current = getattr(current, "orig", None) or current.__cause__
    return chain


def is_connection_failure(exc: BaseException) -> bool:
    """True when the error's type (or a wrapped driver error's) means the connection is unusable."""
    from sqlalchemy.exc import DBAPIError

    for cause in _causes(exc):
        if isinstance(cause, DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(cause, _connection_failure_types()):
            return True
        # asyncpg's "connection is closed" and "another operation is in progress"; its DataError is a
        # ValueError too, and means bad input.
        if type(cause).__name__ == "InterfaceError" and type(cause).__module__.startswith("asyncpg") \
                and not isinstance(cause, ValueError):
            return True
    return False


def is_connection_error(exc: BaseException) -> bool:
    """True for errors that mean the database is unreachable, not that our query is wrong."""
    if is_connection_failure(exc):
        return True
    text = str(getattr(exc, "orig", None) or exc).lower()
    return any(hint in text for hint in _CONNECTION_HINTS)


def _database_down(request: Request, exc: DBAPIError) -> Response[Any]:
    if not is_connection_error(exc):
        return _unexpected(request, exc, checked=True)
    if any(type(cause).__module__.startswith("redis") for cause in _causes(exc)):
        log.warning("redis unavailable: %s", exc)
        return problem(503, "service_unavailable", "The queue and leaderboard service (Redis) is not reachable right "
                       "now. Please try again in a few seconds.")
    log.warning("database unavailable: %s", exc)
    return problem(503, "database_unavailable", "The database is not reachable right now. Please try again in a "
                   "few seconds; nothing was changed.")


def _out_of_range(_: Request, exc: Exception) -> Response[Any]:
    # A number no column can hold (e.g. an id of 30 digits) or a value the database rejects as data.
    log.info("value out of range: %s", exc)
    return problem(400, "invalid_input", "A number or value in the request is out of range. Please check it.")


def _unexpected(request: Request, exc: Exception, checked: bool = False) -> Response[Any]:
    from_driver = isinstance(exc, OSError) or type(exc).__module__.startswith(("asyncpg", "aiosqlite", "sqlite3"))
    if not checked and (is_connection_failure(exc) or (from_driver and is_connection_error(exc))):
        return _database_down(request, exc)  # type: ignore[arg-type]
    # The route template, not the path: a path may hold a check-in token or a calendar-feed key.
    log.exception("unhandled error on %s %s", request.method, request.scope.get("path_template") or "unmatched")
    return problem(500, "internal_error",
                   "Something went wrong on our side. It has been logged; please try again.")


def prefers_chinese(accept_language: str | None) -> bool:
    """True when the Accept-Language header's most wanted language is Chinese (zh, zh-CN, zh-Hans...)."""
    best, best_q = "", -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if tag and q > best_q:
            best, best_q = tag, q
    return best.lower().split("-")[0] == "zh"


def localise(request: Request, response: Response[Any]) -> Response[Any]:
    """Add `message_zh` (the registry's words for the code) when the caller prefers Chinese; `detail` stays."""
    body = response.content
    if isinstance(body, dict) and prefers_chinese(request.headers.get("accept-language")):
        words = chinese(str(body.get("code")))
        if words:
            body["message_zh"] = words
    return response


def _in_callers_language(handler: Any) -> Any:
    @functools.wraps(handler)
    def handle(request: Request, exc: Exception) -> Response[Any]:
        return localise(request, handler(request, exc))

    return handle


def exception_handlers() -> dict[Any, Any]:
    handlers = _handlers()
    return {kind: _in_callers_language(handler) for kind, handler in handlers.items()}


def _handlers() -> dict[Any, Any]:
    from litestar.exceptions import HTTPException, ValidationException
    from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError

    return {
        DomainError: _domain_error,
        ValidationException: _validation_error,
        HTTPException: _http_error,
        IntegrityError: _integrity_error,
        DataError: _out_of_range,
        OverflowError: _out_of_range,
        OperationalError: _database_down,
        InterfaceError: _database_down,
        # asyncpg reports a connection dropped mid-query as a plain DBAPIError.
        DBAPIError: _database_down,
        Exception: _unexpected,
    }


__all__ = [
    "Conflict", "DomainError", "Forbidden", "InvalidInput", "NotFound", "PROBLEM_JSON", "ServiceUnavailable",
    "TooManyRequests", "Unauthenticated", "exception_handlers", "localise", "prefers_chinese", "problem",
]
