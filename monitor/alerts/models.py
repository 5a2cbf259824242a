"""Alert tables: alerts, their versioned edits, matches (one per alert and story) and deliveries.

Crash safety lives in the constraints: ``alert_matches`` is unique per
(alert, story) so matching twice never makes a second entry, and
``alert_deliveries`` is unique per (match, channel) so a delivery recorded once
is never sent again by ``monitor alerts deliver``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from monitor.db.base import Base
from monitor.db.types import UTCDateTime


class Alert(Base):
    """A saved query with filters and delivery settings; ``version`` grows with each edit."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    owner: Mapped[str] = mapped_column(String(200), default="")
    query: Mapped[str] = mapped_column(Text)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    delivery: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    updated: Mapped[datetime] = mapped_column(UTCDateTime)


class AlertVersion(Base):
    """One state of an alert's query and filters; matches point at the version that made them."""

    __tablename__ = "alert_versions"
    __table_args__ = (UniqueConstraint("alert_id", "version", name="uq_alert_versions_alert_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    query: Mapped[str] = mapped_column(Text)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    delivery: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created: Mapped[datetime] = mapped_column(UTCDateTime)


class AlertMatch(Base):
    """A story an alert matched: exactly one row per (alert, story key = coalesce(story_id, id))."""

    __tablename__ = "alert_matches"
    __table_args__ = (
        UniqueConstraint("alert_id", "story_key", name="uq_alert_matches_alert_story"),
        Index("ix_alert_matches_alert_matched", "alert_id", "matched_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    story_key: Mapped[int] = mapped_column(Integer)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AlertDelivery(Base):
    """A match delivered on one channel (email, webhook); the row is written in the
    transaction that sends, so its presence means "sent and recorded"."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (UniqueConstraint("match_id", "channel", name="uq_alert_deliveries_match_channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("alert_matches.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(200))
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime)
