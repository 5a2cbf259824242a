"""Trend alerts: fire when a day's volume of a topic, language or source is far above its baseline.

A trend alert's rule (``alerts.trend``) names a selection (``topic:nato-iraq-mission``,
``lang:fr`` or ``source:b2``, narrowed by the alert's language/source/topic filters)
and its thresholds.  ``evaluate_trends`` counts the selection's articles per UTC day
and scores yesterday and today against the ``baseline_days`` days before each, by
the rule of ``monitor.alerts.trends.score`` (z = (count - mean) / max(1, std)).  A
spike is recorded as a row unique per (alert, day) *before* anything is sent, so a
crash between evaluation and delivery loses nothing and re-evaluating adds nothing;
``monitor.alerts.deliver`` then sends each firing once per channel.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, and_, exists, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from monitor.alerts.models import Alert, AlertVersion, TrendDelivery, TrendFiring
from monitor.alerts.trends import score
from monitor.db.models import Article, ArticleTopic, Source
from monitor.db.upsert import insert_ignoring_conflicts
from monitor.search.fulltext import Filters, language_code

PREFIXES = {"topic": "topic", "lang": "language", "language": "language", "source": "source"}
SHOWN = {"topic": "topic", "language": "lang", "source": "source"}


class TrendRuleError(ValueError):
    """A trend rule that cannot be used; the message names the value and the reason."""


@dataclass(frozen=True)
class TrendRule:
    """Which volume to watch (``dimension``:``key``) and when a day counts as a spike."""

    dimension: str
    key: str
    z: float = 3.0
    baseline_days: int = 28
    min_count: int = 3

    def __post_init__(self) -> None:
        if self.dimension not in SHOWN:
            raise TrendRuleError(f"trend dimension {self.dimension!r}: expected topic, lang or source")
        if not self.key or any(c.isspace() for c in self.key):
            raise TrendRuleError(f"trend key {self.key!r}: expected one topic id, language code or source name")
        if not self.z > 0:
            raise TrendRuleError(f"trend z {self.z!r}: must be a positive number")
        if not 7 <= self.baseline_days <= 366:
            raise TrendRuleError(f"trend baseline_days {self.baseline_days!r}: must be between 7 and 366")
        if self.min_count < 1:
            raise TrendRuleError(f"trend min_count {self.min_count!r}: must be at least 1")

    @classmethod
    def parse(cls, selection: str, **thresholds: Any) -> TrendRule:
        """``topic:ID``, ``lang:CODE`` or ``source:NAME`` plus thresholds (z, baseline_days, min_count)."""
        prefix, sep, key = selection.strip().partition(":")
        if not sep or prefix.lower() not in PREFIXES:
            raise TrendRuleError(f"trend {selection!r}: expected topic:ID, lang:CODE or source:NAME")
        given = {k: v for k, v in thresholds.items() if v is not None}
        dimension, key = PREFIXES[prefix.lower()], key.strip()
        if dimension == "language":  # stored articles carry ISO 639-1: lang:FR would never count one
            try:
                key = language_code(key)
            except ValueError as exc:
                raise TrendRuleError(f"trend {selection!r}: {exc}") from None
        return cls(dimension, key, **given)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrendRule:
        unknown = set(data) - {"dimension", "key", "z", "baseline_days", "min_count"}
        if unknown:
            raise TrendRuleError(f"trend: unknown key(s) {sorted(unknown)}")
        return cls(str(data.get("dimension", "")), str(data.get("key", "")), float(data.get("z", 3.0)),
                   int(data.get("baseline_days", 28)), int(data.get("min_count", 3)))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def selection(self) -> str:
        """The selection in query syntax, stored as the alert's ``query`` for display."""
        return f"{SHOWN[self.dimension]}:{self.key}"


def describe(rule: TrendRule, filters: Filters) -> str:
    """``topic:x lang:fr source:b2``: the rule's selection and the alert's filters, for people."""
    parts = [rule.selection]
    for prefix, values in (("lang", filters.languages), ("source", filters.sources), ("topic", filters.topics)):
        if values:
            parts.append(f"{prefix}:{'|'.join(values)}")
    return " ".join(parts)


def daily_counts(connection: Connection, rule: TrendRule, filters: Filters, start: date,
                 end: date) -> dict[date, int]:
    """Articles of the selection per UTC day, ``start <= day <= end``.

    A topic is counted on ``article_topics (topic_id, published)`` (the article's own
    ``published``, copied by triggers): one index range unless filters need the article.
    """
    lo = datetime.combine(start, time(), timezone.utc)
    hi = datetime.combine(end + timedelta(days=1), time(), timezone.utc)
    if rule.dimension == "topic":
        published = ArticleTopic.published
        query = select(func.date(published).label("day"), func.count().label("n")).where(
            ArticleTopic.topic_id == rule.key)
        if filters.languages or filters.sources or filters.topics:
            query = query.join(Article, Article.id == ArticleTopic.article_id)
    else:
        published = Article.published
        query = select(func.date(published).label("day"), func.count().label("n")).select_from(Article)
        if rule.dimension == "language":
            query = query.where(Article.language == rule.key)
    if rule.dimension == "source" or filters.sources:
        query = query.join(Source, Source.id == Article.source_id)
        if rule.dimension == "source":
            query = query.where(Source.name == rule.key)
        if filters.sources:
            query = query.where(Source.name.in_(list(filters.sources)))
    if filters.languages:
        query = query.where(Article.language.in_(list(filters.languages)))
    if filters.topics:
        tag = aliased(ArticleTopic)
        query = query.where(exists().where(and_(tag.article_id == Article.id, tag.topic_id.in_(list(filters.topics)))))
    query = query.where(published >= lo, published < hi).group_by(func.date(published))
    out: dict[date, int] = {}
    for row in connection.execute(query):
        out[row.day if isinstance(row.day, date) else date.fromisoformat(str(row.day))] = int(row.n)
    return out


def measure(rule: TrendRule, counts: dict[date, int], day: date) -> dict[str, Any] | None:
    """The firing values for ``day`` when it spikes (count >= min_count and z >= rule.z), else None."""
    count = counts.get(day, 0)
    if count < rule.min_count:
        return None
    baseline = [counts.get(day - timedelta(days=i), 0) for i in range(1, rule.baseline_days + 1)]
    mean, std, z = score(count, baseline)
    if z < rule.z:
        return None
    return {"day": day, "count": count, "baseline_mean": round(mean, 3), "baseline_std": round(std, 3),
            "z": round(z, 2), "baseline_days": rule.baseline_days,
            "baseline_start": day - timedelta(days=rule.baseline_days), "baseline_end": day - timedelta(days=1)}


def evaluate_trends(engine: Engine, now: datetime | None = None) -> int:
    """Record a firing for every trend alert (muted ones too: their inbox still fills) whose selection
    spikes yesterday or today (UTC); returns how many firings are new.  Safe to run any number of times."""
    now = now or datetime.now(timezone.utc)
    today = now.astimezone(timezone.utc).date()
    days = [today - timedelta(days=1), today]
    rows: list[dict[str, Any]] = []
    with engine.begin() as connection:
        alerts = connection.execute(select(Alert.id, Alert.version, Alert.trend, Alert.filters)
                                    .where(Alert.trend.is_not(None)).order_by(Alert.id)
                                    .with_for_update(read=True, key_share=True)).all()  # as match_articles
        for alert in alerts:
            rule = TrendRule.from_dict(alert.trend)
            counts = daily_counts(connection, rule, Filters.from_dict(alert.filters),
                                  days[0] - timedelta(days=rule.baseline_days), today)
            for day in days:
                found = measure(rule, counts, day)
                if found:
                    rows.append({"alert_id": alert.id, "version": alert.version, "fired_at": now, **found})
        if not rows:
            return 0
        statement = insert_ignoring_conflicts(connection, TrendFiring.__table__, ["alert_id", "day"])
        return len(connection.execute(statement.returning(TrendFiring.id), rows).all())


def backtest_trend(engine: Engine, rule: TrendRule, filters: Filters, days: int = 30,
                   today: date | None = None) -> list[dict[str, Any]]:
    """The days of the last ``days`` (today included) on which ``rule`` would have fired."""
    today = today or datetime.now(timezone.utc).date()
    first = today - timedelta(days=days - 1)
    with engine.connect() as connection:
        counts = daily_counts(connection, rule, filters, first - timedelta(days=rule.baseline_days), today)
    found = (measure(rule, counts, first + timedelta(days=i)) for i in range(days))
    return [_jsonable(f) for f in found if f]


def trend_key(alert_id: int, day: date) -> str:
    """The idempotency key of one firing (also the e-mail Message-ID's local part)."""
    return f"alert-{alert_id}-trend-{day.isoformat()}"


def pending_firings(connection: Connection, alert_id: int, channel: str) -> list[Any]:
    """Firings of the alert not yet delivered on ``channel``, oldest day first."""
    done = exists().where(and_(TrendDelivery.firing_id == TrendFiring.id, TrendDelivery.channel == channel))
    return connection.execute(select(TrendFiring.__table__).where(TrendFiring.alert_id == alert_id, ~done)
                              .order_by(TrendFiring.day)).all()


def claim_firing(connection: Connection, firing: Any, channel: str, key: str, now: datetime) -> None:
    """Insert the delivery row in the sending transaction (unique per firing and channel)."""
    connection.execute(TrendDelivery.__table__.insert().values(firing_id=firing.id, channel=channel, key=key,
                                                               delivered_at=now))


def firing_entries(connection: Connection, alert_name: str, firings: list[Any]) -> list[dict[str, Any]]:
    """Firings as entries: the day's count, the baseline it was measured against, and the selection
    as it was in the alert version that fired."""
    versions = {}
    if firings:
        alert_id = firings[0].alert_id
        versions = {v.version: v for v in connection.execute(
            select(AlertVersion.version, AlertVersion.trend, AlertVersion.filters)
            .where(AlertVersion.alert_id == alert_id))}
    out = []
    for f in firings:
        version = versions.get(f.version)
        rule = TrendRule.from_dict(version.trend) if version is not None and version.trend else None
        filters = Filters.from_dict(version.filters) if version is not None else Filters()
        out.append(_jsonable({
            "firing_id": f.id, "alert_id": f.alert_id, "alert": alert_name, "key": trend_key(f.alert_id, f.day),
            "selection": describe(rule, filters) if rule else "", "threshold_z": rule.z if rule else None,
            "day": f.day, "count": f.count, "baseline_mean": f.baseline_mean, "baseline_std": f.baseline_std,
            "z": f.z, "baseline_days": f.baseline_days, "baseline_start": f.baseline_start,
            "baseline_end": f.baseline_end, "fired_at": f.fired_at, "version": f.version}))
    return out


def trend_inbox(connection: Connection, alert: Any, *, limit: int = 50,
                since: datetime | None = None) -> list[dict[str, Any]]:
    """A trend alert's firings, newest day first, with delivery state per channel."""
    query = select(TrendFiring.__table__).where(TrendFiring.alert_id == alert.id)
    if since:
        query = query.where(TrendFiring.fired_at >= since)
    firings = connection.execute(query.order_by(TrendFiring.day.desc()).limit(limit)).all()
    delivered: dict[int, list[str]] = {}
    if firings:
        for row in connection.execute(select(TrendDelivery.firing_id, TrendDelivery.channel)
                                      .where(TrendDelivery.firing_id.in_([f.id for f in firings]))):
            delivered.setdefault(row.firing_id, []).append(row.channel)
    return [{**e, "delivered": sorted(delivered.get(e["firing_id"], []))}
            for e in firing_entries(connection, alert.name, firings)]


def _jsonable(entry: dict[str, Any]) -> dict[str, Any]:
    """Dates as ISO strings (entries go to JSON, e-mail and Atom alike); datetimes stay for the inbox."""
    return {k: v.isoformat() if isinstance(v, date) and not isinstance(v, datetime) else v
            for k, v in entry.items()}
