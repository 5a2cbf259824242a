"""The few queries the dashboard needs that no other module has: read state, one topic's daily
volume, an article's full record, facet values and the sources overview.

Everything else the pages show comes from monitor.alerts, monitor.search,
monitor.stories and monitor.catalogue.health.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time as dtime, timedelta, timezone
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Integer, and_, delete, func, literal, select, update

from monitor.alerts.models import Alert, AlertMatch
from monitor.crawl.verdict import RUN_ERRORS, run_errors
from monitor.db.models import STORY_KEY, Article, ArticleTopic, CrawlRun, Source
from monitor.db.types import UTCDateTime
from monitor.db.upsert import insert_ignoring_conflicts
from monitor.search.meta import distinct_values
from monitor.dedupe.models import ArticleVersion
from monitor.web.models import ReadMark, ReadState


def unread_counts(engine: Engine, user_id: int | None, *, alert_id: int | None = None,
                  totals: dict[int, int] | None = None) -> dict[int, int]:
    """Unread entries per alert id for this user (every entry is unread for nobody signed in).

    Per alert: all its matches, minus those at or below the user's mark, minus the user's read rows
    above the mark.  For an alert with a mark that is the matches above the mark (an index range
    count on ``(alert_id, id)``) minus the rows above it, so the cost follows what arrived since the
    last "mark all read", not the history.  ``alert_id`` limits it to one alert; ``totals`` (match
    counts per alert, e.g. from ``list_alerts``) saves counting them again for alerts with no mark.
    """
    with engine.connect() as connection:
        marks = _marks(connection, user_id, alert_id)
        if totals is None:
            totals = _match_totals(connection, alert_id, marks)
        above = _matches_above_marks(connection, user_id, alert_id) if marks else {}
        read = _read_rows_above_marks(connection, user_id, alert_id) if user_id is not None else {}
    return {a: max(0, (above.get(a, 0) if a in marks else n) - read.get(a, 0))
            for a, n in totals.items() if alert_id is None or a == alert_id}


def _only_alert(column: Any, alert_id: int | None) -> list[ColumnElement[bool]]:
    """``[column == alert_id]``, or no condition for every alert."""
    return [] if alert_id is None else [column == alert_id]


def _marks(connection: Connection, user_id: int | None, alert_id: int | None) -> dict[int, int]:
    """The user's read marks: alert id -> through_match_id (none for nobody signed in)."""
    if user_id is None:
        return {}
    return dict(connection.execute(select(ReadMark.alert_id, ReadMark.through_match_id).where(
        ReadMark.user_id == user_id, *_only_alert(ReadMark.alert_id, alert_id))).all())


def _match_totals(connection: Connection, alert_id: int | None, marks: dict[int, int]) -> dict[int, int]:
    """Matches per alert; one marked alert is not counted (its unread entries are counted above its mark)."""
    if alert_id is not None and alert_id in marks:
        return {alert_id: 0}
    return dict(connection.execute(select(AlertMatch.alert_id, func.count())
                                   .where(*_only_alert(AlertMatch.alert_id, alert_id))
                                   .group_by(AlertMatch.alert_id)).all())


def _matches_above_marks(connection: Connection, user_id: int | None, alert_id: int | None) -> dict[int, int]:
    """Per alert the user has a mark on: its matches above the mark (one index range per mark)."""
    return dict(connection.execute(
        select(ReadMark.alert_id, func.count())
        .join(AlertMatch, and_(AlertMatch.alert_id == ReadMark.alert_id, AlertMatch.id > ReadMark.through_match_id))
        .where(ReadMark.user_id == user_id, *_only_alert(ReadMark.alert_id, alert_id))
        .group_by(ReadMark.alert_id)).all())


def _read_rows_above_marks(connection: Connection, user_id: int, alert_id: int | None) -> dict[int, int]:
    """Per alert: the user's read rows of its matches above the user's mark on it (all of them without a mark).

    Rows at or below a mark (a single entry marked read while "mark all read" committed) are
    already counted as read by the mark.
    """
    mark = and_(ReadMark.user_id == ReadState.user_id, ReadMark.alert_id == AlertMatch.alert_id)
    return dict(connection.execute(
        select(AlertMatch.alert_id, func.count()).select_from(ReadState)
        .join(AlertMatch, AlertMatch.id == ReadState.match_id)
        .outerjoin(ReadMark, mark)
        .where(ReadState.user_id == user_id, AlertMatch.id > func.coalesce(ReadMark.through_match_id, 0),
               *_only_alert(AlertMatch.alert_id, alert_id))
        .group_by(AlertMatch.alert_id)).all())


def _mark_of(user_id: int, alert_id: int | ColumnElement[int]) -> ColumnElement[int]:
    """SQL: the user's mark on the alert, 0 when there is none (every match id is above it)."""
    return func.coalesce(select(ReadMark.through_match_id).where(
        ReadMark.user_id == user_id, ReadMark.alert_id == alert_id).scalar_subquery(), 0)


def unread_by(user_id: int, alert_id: int | None = None) -> ColumnElement[bool]:
    """SQL condition on ``AlertMatch``: the match is above the user's mark on its alert and has no read row.

    With ``alert_id`` (a listing of that one alert's matches) the mark is a constant subquery, so
    the database can start the range of ``(alert_id, id)`` at it; without, it follows each match's alert.
    """
    mark = _mark_of(user_id, AlertMatch.alert_id if alert_id is None else alert_id)
    has_row = select(ReadState.match_id).where(ReadState.user_id == user_id,
                                               ReadState.match_id == AlertMatch.id).exists()
    return and_(AlertMatch.id > mark, ~has_row)


def read_matches(engine: Engine, user_id: int | None, match_ids: Sequence[int]) -> set[int]:
    """Which of these matches the user has read: at or below the mark on their alert, or with a read row."""
    if user_id is None or not match_ids:
        return set()
    ids = [int(m) for m in match_ids]
    with engine.connect() as connection:
        rows = set(connection.execute(select(ReadState.match_id).where(
            ReadState.user_id == user_id, ReadState.match_id.in_(ids))).scalars())
        marked = set(connection.execute(
            select(AlertMatch.id).join(ReadMark, and_(ReadMark.alert_id == AlertMatch.alert_id,
                                                      ReadMark.user_id == user_id))
            .where(AlertMatch.id.in_(ids), AlertMatch.id <= ReadMark.through_match_id)).scalars())
    return rows | marked


def mark_read(engine: Engine, user_id: int, alert_id: int, match_ids: Sequence[int] | None = None,
              up_to: int | None = None) -> int:
    """Mark these matches of the alert read, or all of them when ``match_ids`` is None (all up to match id
    ``up_to``: the newest the page showed, so a match that arrived since stays unread); returns how many
    entries became read.

    "All" raises the user's mark on the alert (``mark_all_read``); single matches get read rows.
    """
    if match_ids is None:
        return mark_all_read(engine, user_id, alert_id, up_to)
    if not match_ids:
        return 0
    rows = select(literal(user_id, Integer), AlertMatch.id, literal(datetime.now(timezone.utc), UTCDateTime())).where(
        AlertMatch.alert_id == alert_id, AlertMatch.id.in_([int(m) for m in match_ids]),
        AlertMatch.id > _mark_of(user_id, alert_id))  # at or below it: read already
    if up_to is not None:
        rows = rows.where(AlertMatch.id <= up_to)
    with engine.begin() as connection:
        statement = insert_ignoring_conflicts(connection, ReadState.__table__, ["user_id", "match_id"])
        # psycopg's cursor forgets an INSERT's rowcount when SQLAlchemy closes it, unless asked to keep it
        return connection.execute(statement.from_select(["user_id", "match_id", "read_at"], rows),
                                  execution_options={"preserve_rowcount": True}).rowcount


def mark_all_read(engine: Engine, user_id: int, alert_id: int, up_to: int | None = None) -> int:
    """Mark every match of the alert up to ``up_to`` (the newest the page showed; None: all) read for the
    user; returns how many entries became read.

    The mark rises to the newest match at or below both ``up_to`` and the newest *settled* id
    (``monitor.alerts.deliver.settled_match_id``: on PostgreSQL a crawl's flush can commit a lower
    id after the page showed a higher one, and a mark past it would call that unseen match read);
    visible matches above the mark get read rows, as single entries do. The mark names an existing
    match, never a bare ``up_to``, never moves back (a stale page), and the rows it now covers are
    deleted in the same transaction. The user's marks of alerts that no longer exist go on the way.
    """
    from monitor.alerts.deliver import settled_match_id

    settled = settled_match_id(engine)  # before reading: every id up to it is visible below
    in_alert = [AlertMatch.alert_id == alert_id] + ([] if up_to is None else [AlertMatch.id <= up_to])
    key = and_(ReadMark.user_id == user_id, ReadMark.alert_id == alert_id)
    with engine.begin() as connection:
        _drop_marks_of_deleted_alerts(connection, user_id)
        old = connection.execute(select(ReadMark.through_match_id).where(key)).scalar() or 0
        through = None if settled is None else connection.execute(
            select(func.max(AlertMatch.id)).where(*in_alert, AlertMatch.id <= settled)).scalar()
        newly = 0
        if through is not None and through > old:
            covered = (AlertMatch.alert_id == alert_id, AlertMatch.id > old, AlertMatch.id <= through)
            newly = connection.execute(select(func.count()).where(*covered)).scalar() or 0
            # rows at or below ``old`` went when ``old`` was set
            newly -= connection.execute(delete(ReadState).where(
                ReadState.user_id == user_id, ReadState.match_id.in_(select(AlertMatch.id).where(*covered)))).rowcount
            connection.execute(insert_ignoring_conflicts(connection, ReadMark.__table__, ["user_id", "alert_id"])
                               .values(user_id=user_id, alert_id=alert_id, through_match_id=through))
            connection.execute(update(ReadMark).where(key, ReadMark.through_match_id < through)
                               .values(through_match_id=through))
            old = through
        above = select(literal(user_id, Integer), AlertMatch.id, literal(datetime.now(timezone.utc), UTCDateTime())
                       ).where(*in_alert, AlertMatch.id > old)
        statement = insert_ignoring_conflicts(connection, ReadState.__table__, ["user_id", "match_id"])
        newly += connection.execute(statement.from_select(["user_id", "match_id", "read_at"], above),
                                    execution_options={"preserve_rowcount": True}).rowcount
    return max(0, newly)


def _drop_marks_of_deleted_alerts(connection: Connection, user_id: int) -> None:
    """Delete the user's marks whose alert is gone (no foreign key does it: the web tables stand alone)."""
    connection.execute(delete(ReadMark).where(ReadMark.user_id == user_id,
                                              ReadMark.alert_id.not_in(select(Alert.id))))


def newest_match_id(engine: Engine, alert_id: int) -> int:
    """The id of the alert's newest match (0 when it has none): what "mark all read" covers."""
    with engine.connect() as connection:
        return int(connection.execute(select(func.max(AlertMatch.id)).where(AlertMatch.alert_id == alert_id))
                   .scalar() or 0)


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


__all__ = ["FacetCache", "TrendPoint", "alert_names", "article_record", "mark_all_read", "mark_read",
           "match_evidence", "newest_match_id", "read_matches", "sources_overview", "topic_daily_counts", "topic_trend",
           "trend_series", "unread_by", "unread_counts"]
