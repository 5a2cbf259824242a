"""The scheduler's own view of each source: when it is due, what is running, what broke.

``crawl_runs`` (written by every crawl) says what a crawl did; this table says
what the scheduler decided: the current adaptive interval, the next due time,
the job it launched and how many times in a row the source failed. ``monitor
status`` reads both.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from monitor.db.base import Base
from monitor.db.types import UTCDateTime


class ScheduleState(Base):
    """One row per scheduled source (and one per periodic task such as alert delivery)."""

    __tablename__ = "schedule_state"

    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    interval_seconds: Mapped[float] = mapped_column(Float)
    next_due: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(String(20), default="idle")  # idle | running | failed
    job: Mapped[str | None] = mapped_column(String(100), nullable=True)  # pid or Scrapyd job id while running
    last_started: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_finished: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_status: Mapped[str | None] = mapped_column(String(40), nullable=True)
    last_stored: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # consecutive failed runs
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated: Mapped[datetime] = mapped_column(UTCDateTime)
