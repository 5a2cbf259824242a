"""Tables of the sources domain: per-source, per-URL HTTP validators for conditional GETs.

A feed, sitemap or listing page answered with ``ETag`` / ``Last-Modified`` is
asked next time with ``If-None-Match`` / ``If-Modified-Since``; an unchanged page
costs the outlet a 304 and us nothing. Source health needs no table of its own:
it is computed from ``crawl_runs`` and article dates (``monitor.catalogue.health``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from monitor.db.base import Base
from monitor.db.types import UTCDateTime


class HttpValidator(Base):
    """The validators a listing URL (feed, sitemap, listing page, API page) was last served with.

    ``url`` holds ``monitor.catalogue.state.validator_key``: ``"<source>@<entry hash> <URL>"``, so
    two sources, or two versions of one entry, never share validators.
    """

    __tablename__ = "http_validators"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    etag: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_modified: Mapped[str | None] = mapped_column(String(64), nullable=True)
    updated: Mapped[datetime] = mapped_column(UTCDateTime)
