"""Dashboard users and the session secret: scrypt password hashes (stdlib), operator-made accounts.

Accounts are created by the operator (``monitor users add NAME``); the dashboard
never lets anyone sign up. The session cookie is signed with ``MONITOR_WEB_SECRET``
or, when unset, a random secret generated once and kept in the data directory.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine, delete, insert, select

from monitor.web.models import WebUser

SCRYPT = {"n": 2**14, "r": 8, "p": 1}
SECRET_FILE = "web-secret"
MIN_PASSWORD = 8


class UserError(ValueError):
    """A user that cannot be created or found; the message names the user and the reason."""


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
            name=name, password_hash=hash_password(password), created=datetime.now(timezone.utc)))
            .inserted_primary_key[0])


def remove_user(engine: Engine, name: str) -> None:
    """Delete user ``name`` (and their read state); UserError when there is none."""
    with engine.begin() as connection:
        if not connection.execute(delete(WebUser).where(WebUser.name == name)).rowcount:
            raise UserError(f"no user named {name!r}")


def list_users(engine: Engine) -> list[dict[str, object]]:
    """Every user's name and creation time (never the hash)."""
    with engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(
            select(WebUser.id, WebUser.name, WebUser.created).order_by(WebUser.name))]


def authenticate(engine: Engine, name: str, password: str) -> int | None:
    """The user's id when ``name``/``password`` are right, else None (same work either way)."""
    with engine.connect() as connection:
        row = connection.execute(select(WebUser.id, WebUser.password_hash).where(WebUser.name == name)).first()
    stored = row.password_hash if row else hash_password("x" * MIN_PASSWORD, salt=b"\0" * 16)
    ok = check_password(password, stored)
    return int(row.id) if row and ok else None


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
