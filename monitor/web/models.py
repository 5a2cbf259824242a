"""Dashboard tables: operator-made users (scrypt password hashes) and per-user read state of alert entries.

Each user has a random session key that every session cookie of theirs carries:
a session counts only while the user row with that id and that key exists, so
replacing the key (sign-out) or deleting the row ends every session of the user,
and a later user who is given the same id never matches an old cookie.

Read state is a per-(user, alert) watermark plus one row per (user, alert match)
above it: an entry is read when its id is at or below the user's mark for its
alert, or when its row exists.  "Mark all read" raises the mark and deletes the
rows it now implies, so the rows stay few however long the history grows, and
unread counts are index range counts above the mark (migration w003); marking
single entries read is still an idempotent insert of rows.
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
    """An alert entry (match) a user has read, above the user's ``ReadMark`` for its alert (if any)."""

    __tablename__ = "web_read_state"

    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id", ondelete="CASCADE"), primary_key=True)
    # No foreign key to alert_matches: this branch of migrations is independent of the alerts branch.
    match_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReadMark(Base):
    """A user's read watermark on one alert: every match of the alert with id <= ``through_match_id`` is read.

    Set by "mark all read" (only ever raised), which deletes the user's ``ReadState`` rows it
    implies.  No row means nothing is implied (databases from before w003 keep their rows).
    """

    __tablename__ = "web_read_marks"

    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id", ondelete="CASCADE"), primary_key=True)
    # No foreign key to alerts either (as ReadState.match_id): ``monitor.alerts.manage.remove_alert``
    # deletes an alert's marks and read rows itself, and "mark all read" drops any left over.
    alert_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    through_match_id: Mapped[int] = mapped_column(Integer)
