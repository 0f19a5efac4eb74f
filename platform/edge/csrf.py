"""The CSRF token of the pages and of cookie-authenticated API writes, tied to the login session.

Logged in, the token is a keyed hash of the session token: it changes at every login, dies with the session,
and a token seen in one session is worthless in another. Before login (the login form, public objections)
it is the random `sb_csrf` cookie itself (double submit): there is no session to tie it to yet.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

SESSION_COOKIE = "sb_session"
CSRF_COOKIE = "sb_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MIN_ANONYMOUS_TOKEN = 20


def token_for_session(secret_key: str, session_token: str) -> str:
    """The CSRF token of one login session."""
    return hmac.new(secret_key.encode(), b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def expected_token(connection: Any) -> str | None:
    """The token this browser's forms must carry, or None when it has none yet."""
    session_token = connection.cookies.get(SESSION_COOKIE)
    if session_token:
        # Kept for the request: a form's POST checks it and its answer page writes it again (one keyed hash).
        state = connection.scope.setdefault("state", {})
        kept = state.get("csrf_expected")
        if kept is None or kept[0] != session_token:
            kept = state["csrf_expected"] = (session_token,
                                             token_for_session(connection.app.state.settings.secret_key, session_token))
        return str(kept[1])
    anonymous = connection.cookies.get(CSRF_COOKIE) or ""
    return anonymous if len(anonymous) >= MIN_ANONYMOUS_TOKEN else None


def current_token(connection: Any) -> str:
    """The token to put in the page (a new anonymous one when the browser has none)."""
    return expected_token(connection) or secrets.token_urlsafe(32)


def token_matches(connection: Any, sent: object) -> bool:
    """Whether `sent` (a form field or header) is this browser's token."""
    expected = expected_token(connection)
    return expected is not None and isinstance(sent, str) and hmac.compare_digest(expected.encode(), sent.encode())
