"""The few queries the dashboard needs that no other module has: one topic's daily volume, an
article's full record, facet values and the sources overview (read state: ``monitor.web.read_state``).

Everything else the pages show comes from monitor.alerts, monitor.search,
monitor.stories and monitor.catalogue.health.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import date, datetime, time as dtime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, and_, func, select

from monitor.alerts.models import Alert, AlertMatch
from monitor.crawl.verdict import RUN_ERRORS, run_errors
from monitor.db.models import STORY_KEY, Article, ArticleTopic, CrawlRun, Source
from monitor.search.meta import distinct_values
from monitor.dedupe.models import ArticleVersion


def alert_names(engine: Engine) -> dict[int, str]:
    """Alert id -> name."""
    with engine.connect() as connection:
        return dict(connection.execute(select(Alert.id, Alert.name)).all())


def topic_daily_counts(engine: Engine, topic: str, start: date, end: date) -> dict[date, int]:
    """Articles tagged ``topic`` per UTC day, ``start <= day <= end`` (monitor.alerts.trends' counting, one key).

    Reads only the index ``(topic_id, published)`` of article_topics: ``published`` there is the
    article's own, copied by triggers (migration q001), so no article row is looked up.
    """
    day = func.date(ArticleTopic.published)
    lo = datetime.combine(start, dtime(), timezone.utc)
    hi = datetime.combine(end + timedelta(days=1), dtime(), timezone.utc)
    query = (select(day.label("day"), func.count().label("n"))
             .where(ArticleTopic.topic_id == topic, ArticleTopic.published >= lo, ArticleTopic.published < hi)
             .group_by(day))
    out: dict[date, int] = {}
    with engine.connect() as connection:
        for row in connection.execute(query):
            d = row.day if isinstance(row.day, date) else date.fromisoformat(str(row.day))
            out[d] = row.n
    return out


@dataclass(frozen=True)
class TrendPoint:
    """One day of a trend: its count, the baseline of the previous weeks and whether it spikes."""

    day: date
    count: int
    mean: float
    std: float
    z: float
    spike: bool

    def to_dict(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "count": self.count, "baseline_mean": self.mean,
                "baseline_std": self.std, "z": self.z, "spike": self.spike}


def trend_series(counts: dict[date, int], start: date, end: date, *, weeks: int = 4, min_z: float = 3.0,
                 min_count: int = 3) -> list[TrendPoint]:
    """Days ``start..end`` with baseline and spike flag, by the rule of ``monitor.alerts.trends.spikes``.

    ``counts`` must cover ``weeks * 7`` days before ``start`` for the first days' baselines.
    """
    n_days = weeks * 7
    out = []
    day = start
    while day <= end:
        count = counts.get(day, 0)
        baseline = [counts.get(day - timedelta(days=i), 0) for i in range(1, n_days + 1)]
        mean = statistics.fmean(baseline)
        std = max(1.0, statistics.pstdev(baseline))
        z = (count - mean) / std
        out.append(TrendPoint(day, count, round(mean, 3), round(std, 3), round(z, 2),
                              count >= min_count and z >= min_z))
        day += timedelta(days=1)
    return out


def topic_trend(engine: Engine, topic: str, *, days: int = 60, weeks: int = 4,
                end: date | None = None) -> list[TrendPoint]:
    """The last ``days`` days of ``topic`` with baselines and spikes."""
    if not 1 <= days <= 730:
        raise ValueError(f"days must be between 1 and 730, got {days}")
    end = end or datetime.now(timezone.utc).date()
    start = end - timedelta(days=days - 1)
    counts = topic_daily_counts(engine, topic, start - timedelta(days=weeks * 7), end)
    return trend_series(counts, start, end, weeks=weeks)


def article_record(engine: Engine, article_id: int) -> dict[str, Any] | None:
    """One article with its source, topics (score and evidence) and earlier versions; None when missing."""
    with engine.connect() as connection:
        row = connection.execute(
            select(Article.id, Article.url, Article.title, Article.text, Article.authors, Article.published,
                   Article.fetched, Article.language, Article.duplicate_of, STORY_KEY.label("story_id"),
                   Source.name.label("source"), Source.outlet)
            .join(Source, Source.id == Article.source_id).where(Article.id == article_id)).first()
        if row is None:
            return None
        topics = [dict(t._mapping) for t in connection.execute(
            select(ArticleTopic.topic_id, ArticleTopic.score, ArticleTopic.evidence)
            .where(ArticleTopic.article_id == article_id).order_by(ArticleTopic.score.desc()))]
        versions = [dict(v._mapping) for v in connection.execute(
            select(ArticleVersion.version, ArticleVersion.title, ArticleVersion.text, ArticleVersion.valid_from,
                   ArticleVersion.replaced_at)
            .where(ArticleVersion.article_id == article_id).order_by(ArticleVersion.version.desc()))]
    return {**dict(row._mapping), "title": row.title or "", "topics": topics, "versions": versions}


def match_evidence(engine: Engine, match_id: int, article_id: int) -> list[dict[str, Any]]:
    """The evidence alert match ``match_id`` recorded on article ``article_id`` (empty when the match is
    unknown or is another article's: its offsets would mark random letters of this one)."""
    with engine.connect() as connection:
        return connection.execute(select(AlertMatch.evidence).where(
            AlertMatch.id == match_id, AlertMatch.article_id == article_id)).scalar() or []


def match_texts(engine: Engine, match_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per alert match id: the matched article's title and text with the match's evidence, which the alert
    page highlights (the entries of ``monitor.alerts.inbox`` carry bracketed plain-text snippets only)."""
    if not match_ids:
        return {}
    with engine.connect() as connection:
        rows = connection.execute(
            select(AlertMatch.id, AlertMatch.evidence, Article.title, Article.text)
            .join(Article, Article.id == AlertMatch.article_id).where(AlertMatch.id.in_(match_ids))).all()
    return {r.id: {"title": r.title or "", "text": r.text or "", "evidence": r.evidence or []} for r in rows}


class FacetCache:
    """Facet values (sources, languages), re-read when older than ``ttl`` seconds (default 0: on every call).

    Languages come from a loose index scan of ``ix_articles_language_published`` (one index seek per
    distinct language, under a millisecond at 1M articles), so nothing needs caching and a new
    language or source shows at once; a positive ``ttl`` remains possible for very slow databases.
    """

    def __init__(self, engine: Engine, ttl: float = 0.0) -> None:
        self.engine, self.ttl = engine, ttl
        self._at: float | None = None
        self._values: dict[str, list[Any]] = {}

    def get(self) -> dict[str, list[Any]]:
        if self._at is None or time.monotonic() - self._at >= self.ttl:
            with self.engine.connect() as connection:
                sources = [dict(r._mapping) for r in connection.execute(
                    select(Source.name, Source.outlet).order_by(Source.name))]
                languages = sorted(distinct_values(connection, "articles", "language"))
            self._values = {"sources": sources, "languages": languages}
            self._at = time.monotonic()
        return self._values


def sources_overview(engine: Engine, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every known source (stored or crawled) with its health, last run and that run's error counts."""
    from monitor.catalogue.health import source_health

    with engine.connect() as connection:
        outlets = dict(connection.execute(select(Source.name, Source.outlet)).all())
        names = sorted(set(outlets) | set(connection.execute(select(CrawlRun.source).distinct()).scalars()))
        last_runs: dict[str, Any] = {}
        latest = select(CrawlRun.source, func.max(CrawlRun.started).label("started")).group_by(CrawlRun.source)
        latest_sq = latest.subquery()
        for run in connection.execute(select(CrawlRun.source, CrawlRun.started, CrawlRun.status, CrawlRun.stats,
                                             CrawlRun.items_stored)
                                      .join(latest_sq, and_(latest_sq.c.source == CrawlRun.source,
                                                            latest_sq.c.started == CrawlRun.started))):
            last_runs[run.source] = run
    health = source_health(engine, names, now=now)
    out = []
    for name in names:
        h = health[name].as_dict()
        run = last_runs.get(name)
        stats = (run.stats or {}) if run else {}
        errors = (run_errors(stats) if RUN_ERRORS in stats  # rows written before run_errors existed: the old count
                  else int(stats.get("log_count/ERROR", 0) or 0) + int(stats.get("downloader/exception_count", 0) or 0))
        out.append({"name": name, "outlet": outlets.get(name, name), **h,
                    "last_run": run.started if run else None, "last_status": run.status if run else None,
                    "last_stored": run.items_stored if run else None, "errors": errors})
    order = {"broken": 0, "warning": 1, "unknown": 2, "ok": 3}
    return sorted(out, key=lambda s: (order.get(s["status"], 9), s["name"]))


__all__ = ["FacetCache", "TrendPoint", "alert_names", "article_record", "match_evidence", "match_texts",
           "sources_overview", "topic_daily_counts", "topic_trend", "trend_series"]
