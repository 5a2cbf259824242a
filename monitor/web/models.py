"""Dashboard tables: operator-made users (scrypt password hashes) and per-user read state of alert entries.

Each user has a random session key that every session cookie of theirs carries:
a session counts only while the user row with that id and that key exists, so
replacing the key (sign-out) or deleting the row ends every session of the user,
and a later user who is given the same id never matches an old cookie.

Read state is one row per (user, alert match): an entry is unread until its row
exists, so "mark read" is an idempotent insert and unread counts are a
``NOT EXISTS`` over the alert's matches.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from monitor.db.base import Base
from monitor.db.types import UTCDateTime


def new_session_key() -> str:
    """A fresh random session key (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


class WebUser(Base):
    """A dashboard user, created with ``monitor users add NAME``; only the password's scrypt hash is kept."""

    __tablename__ = "web_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    # Carried by the user's session cookies; replaced on sign-out (migration w002).
    session_key: Mapped[str] = mapped_column(String(64), default=new_session_key)


class ReadState(Base):
    """An alert entry (match) a user has read."""

    __tablename__ = "web_read_state"

    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id", ondelete="CASCADE"), primary_key=True)
    # No foreign key to alert_matches: this branch of migrations is independent of the alerts branch.
    match_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)
