"""CSRF protection: one random token per session, required on every state-changing request.

The token lives in the signed session cookie; forms carry it in a hidden
``csrf_token`` field and scripts in an ``X-CSRF-Token`` header. ``verify_csrf``
is an application-wide dependency, so it runs for every route: a POST (or any
other unsafe method a route accepts) without the session's token is refused
with 403 before the handler runs. Unsafe methods a route does not accept still
answer 405, from routing.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import HTTPException, Request

FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def csrf_token(request: Request) -> str:
    """The session's token, created on first use."""
    token = request.session.get(FIELD)
    if not token:
        token = request.session[FIELD] = secrets.token_urlsafe(32)
    return token


async def verify_csrf(request: Request) -> None:
    """Dependency: 403 unless an unsafe request carries the session's token."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get(FIELD)
    sent = request.headers.get(HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(str(expected), str(sent)):
        raise HTTPException(403, "CSRF token missing or wrong: reload the page and try again.")
