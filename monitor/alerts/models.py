"""Alert tables: alerts, their versioned edits, matches (one per alert and story), deliveries and
per-channel delivery marks, and trend firings (one per trend alert and day) with their deliveries.

Crash safety lives in the constraints: ``alert_matches`` is unique per
(alert, story) so matching twice never makes a second entry, and
``alert_deliveries`` is unique per (match, channel) so a delivery recorded once
is never sent again by ``monitor alerts deliver``.  Trend alerts follow the same
pattern: ``alert_trend_firings`` is unique per (alert, day), ``alert_trend_deliveries``
per (firing, channel).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from monitor.db.base import Base
from monitor.db.types import UTCDateTime


class Alert(Base):
    """A saved query with filters and delivery settings; ``version`` grows with each edit.

    ``trend`` is NULL for a story alert; for a trend alert it holds the volume rule
    (``monitor.alerts.trend_alerts.TrendRule``) and ``query`` shows its selection.
    """

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    owner: Mapped[str] = mapped_column(String(200), default="")
    query: Mapped[str] = mapped_column(Text)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    delivery: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    trend: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
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
    trend: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime)


class AlertMatch(Base):
    """A story an alert matched: exactly one row per (alert, story key = coalesce(story_id, id))."""

    __tablename__ = "alert_matches"
    __table_args__ = (
        UniqueConstraint("alert_id", "story_key", name="uq_alert_matches_alert_story"),
        Index("ix_alert_matches_alert_matched", "alert_id", "matched_at"),
        # ``deliver`` reads an alert's matches above its mark: an id range within one alert
        Index("ix_alert_matches_alert_id", "alert_id", "id"),
        # revised articles' evidence (matching) and cascading deletes of articles look matches up by article
        Index("ix_alert_matches_article", "article_id"),
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


class AlertDeliveryMark(Base):
    """How far ``deliver`` need not look back: every match of the alert with id <= ``through_match_id``
    has a delivery row on ``channel`` or a ``backfill-`` row, and no match with such an id can still appear.

    No row means "look at every match" (a channel just added, a database from before a004).  The
    mark is not a foreign key: the match it names may be deleted, and ``deliver`` then drops the mark
    (SQLite may give a later match the deleted id).
    """

    __tablename__ = "alert_delivery_marks"

    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    through_match_id: Mapped[int] = mapped_column(Integer)


class TrendFiring(Base):
    """A trend alert's spike on one UTC day, with the numbers it was measured by: one row per (alert, day).

    ``count`` is the day's volume when the spike was detected (a day in progress may grow
    afterwards); the baseline is the ``baseline_days`` days ``baseline_start..baseline_end``.
    """

    __tablename__ = "alert_trend_firings"
    __table_args__ = (UniqueConstraint("alert_id", "day", name="uq_alert_trend_firings_alert_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    count: Mapped[int] = mapped_column(Integer)
    baseline_mean: Mapped[float] = mapped_column(Float)
    baseline_std: Mapped[float] = mapped_column(Float)
    z: Mapped[float] = mapped_column(Float)
    baseline_days: Mapped[int] = mapped_column(Integer)
    baseline_start: Mapped[date] = mapped_column(Date)
    baseline_end: Mapped[date] = mapped_column(Date)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TrendDelivery(Base):
    """A trend firing delivered on one channel; written in the transaction that sends (as AlertDelivery)."""

    __tablename__ = "alert_trend_deliveries"
    __table_args__ = (UniqueConstraint("firing_id", "channel", name="uq_alert_trend_deliveries_firing_channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    firing_id: Mapped[int] = mapped_column(ForeignKey("alert_trend_firings.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(200))
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RemovedAlert(Base):
    """An alert removed by ``monitor alerts remove``: what it was, when it went, and its id, kept for good.

    SQLite hands the largest id out again once its row is deleted, and an alert's id is in its
    webhook idempotency keys, e-mail Message-IDs and Atom entry ids: a receiver that saw the
    removed alert's deliveries would drop a new alert's as duplicates.  ``add_alert`` therefore
    numbers new alerts above every id here too (PostgreSQL's sequence never reuses one anyway).
    """

    __tablename__ = "alerts_removed"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(200), default="")
    query: Mapped[str] = mapped_column(Text)
    matches: Mapped[int] = mapped_column(Integer)
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    removed: Mapped[datetime] = mapped_column(UTCDateTime)
