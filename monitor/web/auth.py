"""Dashboard users and their sessions: scrypt password hashes (stdlib), operator-made accounts.

Accounts are created by the operator (``monitor users add NAME``); the dashboard
never lets anyone sign up. The session cookie is signed with ``MONITOR_WEB_SECRET``
or, when unset, a random secret generated once and kept in the data directory.

A signed cookie alone cannot be revoked, so it also carries the user's random
session key (``web_users.session_key``), and a request is signed in only while
the user row with that id and that key exists (``signed_in_user``, checked by
``SessionCheckMiddleware`` on every request). Sign-out replaces the key, which
ends every session of the user; removing the user ends them with the row; a
later user given the same id has a different key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Engine, delete, insert, select, update
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from monitor.web.models import WebUser, new_session_key

SCRYPT = {"n": 2**14, "r": 8, "p": 1}
SECRET_FILE = "web-secret"
MIN_PASSWORD = 8
SIGN_IN_FIELDS = ("user_id", "user", "session_key")  # what a session holds for its user (besides the CSRF token)
_CHECKED = "monitor_signed_in_user"  # request.state attribute caching signed_in_user's answer


class UserError(ValueError):
    """A user that cannot be created or found; the message names the user and the reason."""


class SignedIn(NamedTuple):
    """What a new session stores for its user: the id and the user's current session key."""

    id: int
    session_key: str


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$salt$hash`` (hex), for storing in ``web_users``."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """True when ``password`` hashes to ``stored`` (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


def add_user(engine: Engine, name: str, password: str) -> int:
    """Create user ``name``; UserError when the name is taken or the password is too short."""
    name = name.strip()
    if not name or len(name) > 100:
        raise UserError(f"user name {name!r}: must be 1-100 characters")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password for {name!r}: must be at least {MIN_PASSWORD} characters")
    with engine.begin() as connection:
        if connection.execute(select(WebUser.id).where(WebUser.name == name)).first():
            raise UserError(f"a user named {name!r} already exists")
        return int(connection.execute(insert(WebUser).values(
            name=name, password_hash=hash_password(password), created=datetime.now(timezone.utc),
            session_key=new_session_key()))
            .inserted_primary_key[0])


def remove_user(engine: Engine, name: str) -> None:
    """Delete user ``name`` (and their read state); UserError when there is none.

    Their sessions end with the row: no session's id and key match any more.
    """
    with engine.begin() as connection:
        if not connection.execute(delete(WebUser).where(WebUser.name == name)).rowcount:
            raise UserError(f"no user named {name!r}")


def list_users(engine: Engine) -> list[dict[str, object]]:
    """Every user's name and creation time (never the hash)."""
    with engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(
            select(WebUser.id, WebUser.name, WebUser.created).order_by(WebUser.name))]


def authenticate(engine: Engine, name: str, password: str) -> SignedIn | None:
    """The user's id and session key when ``name``/``password`` are right, else None (same work either way)."""
    with engine.connect() as connection:
        row = connection.execute(select(WebUser.id, WebUser.password_hash, WebUser.session_key)
                                 .where(WebUser.name == name)).first()
    stored = row.password_hash if row else hash_password("x" * MIN_PASSWORD, salt=b"\0" * 16)
    ok = check_password(password, stored)
    return SignedIn(int(row.id), row.session_key) if row and ok else None


def rotate_session_key(engine: Engine, user_id: int) -> None:
    """Give the user a new session key: every session of theirs, on every device, is signed out."""
    with engine.begin() as connection:
        connection.execute(update(WebUser).where(WebUser.id == user_id).values(session_key=new_session_key()))


def signed_in_user(request: Request, engine: Engine) -> int | None:
    """The session's user id while a user with that id and that session key exists, else None.

    A session that fails the check (signed out elsewhere, user removed, cookie from
    before session keys) loses its sign-in fields, so the page, its header and the
    cookie sent back all treat the request as signed out; its CSRF token stays, as
    for any signed-out visitor, so a stale form post is answered by the sign-in
    redirect rather than a CSRF error. The answer is cached for the request.
    """
    if hasattr(request.state, _CHECKED):
        return getattr(request.state, _CHECKED)
    session = request.session
    uid, key = session.get("user_id"), session.get("session_key")
    found = None
    if isinstance(uid, int) and isinstance(key, str) and key:
        with engine.connect() as connection:
            stored = connection.execute(select(WebUser.session_key).where(WebUser.id == uid)).scalar()
        if stored and hmac.compare_digest(stored.encode(), key.encode()):
            found = uid
    if found is None:
        for field in SIGN_IN_FIELDS:
            session.pop(field, None)
    setattr(request.state, _CHECKED, found)
    return found


class SessionCheckMiddleware:
    """Checks a signed-in session against ``web_users`` before the app sees the request (inside SessionMiddleware).

    Every page, error pages included, then shows a stale session as signed out,
    not only the pages that require a user. Requests without a sign-in cost nothing.
    """

    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and any(f in scope["session"] for f in SIGN_IN_FIELDS):
            await run_in_threadpool(signed_in_user, Request(scope), self.engine)
        await self.app(scope, receive, send)


def session_secret(data_dir: Path, environ: dict[str, str] | None = None) -> str:
    """``MONITOR_WEB_SECRET``, else the secret in ``data_dir/web-secret`` (created, mode 0600, when missing)."""
    env = os.environ if environ is None else environ
    if env.get("MONITOR_WEB_SECRET"):
        return env["MONITOR_WEB_SECRET"]
    path = data_dir / SECRET_FILE
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secret)
    return secret
