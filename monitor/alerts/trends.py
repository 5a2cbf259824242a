"""Trend alerts: daily volume per topic, language or source against a baseline of previous weeks.

For a day D the baseline is the daily counts of the ``weeks * 7`` days before D
(days without articles count as 0); a key spikes when its count on D is at least
``min_count`` and its z-score ``(count - mean) / std`` reaches ``min_z``
(std is floored at 1 so a flat-zero baseline does not divide by zero).
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, func, select

from monitor.db.models import Article, ArticleTopic, Source

DIMENSIONS = ("topic", "language", "source")


@dataclass(frozen=True)
class Spike:
    """A key whose volume on ``day`` is far above its baseline; the baseline is shown with it."""

    dimension: str
    key: str
    day: str
    count: int
    baseline_mean: float
    baseline_std: float
    baseline_days: int
    z: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def daily_counts(engine: Engine, dimension: str, start: date, end: date) -> dict[str, dict[date, int]]:
    """Articles per key and UTC day for ``start <= day <= end``."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"trend dimension {dimension!r}: expected one of {', '.join(DIMENSIONS)}")
    key = {"topic": ArticleTopic.topic_id, "language": Article.language, "source": Source.name}[dimension]
    published = Article.published
    day = func.date(published)
    query = select(key.label("key"), day.label("day"), func.count().label("n")).select_from(Article)
    if dimension == "source":
        query = query.join(Source, Source.id == Article.source_id)
    elif dimension == "topic":
        # every topic at once: the window's articles (ix_articles_published), then their tags by primary
        # key. The (topic_id, published) index would be read whole, as no topic leads the condition.
        query = query.join(ArticleTopic, ArticleTopic.article_id == Article.id)
    lo = datetime.combine(start, time(), timezone.utc)
    hi = datetime.combine(end + timedelta(days=1), time(), timezone.utc)
    query = query.where(published >= lo, published < hi).group_by(key, day)
    out: dict[str, dict[date, int]] = {}
    with engine.connect() as connection:
        for row in connection.execute(query):
            d = row.day if isinstance(row.day, date) else date.fromisoformat(str(row.day))
            out.setdefault(row.key, {})[d] = row.n
    return out


def score(count: int, baseline: list[int]) -> tuple[float, float, float]:
    """(mean, std, z) of ``count`` against ``baseline`` (daily counts, zeros included); std floored at 1."""
    mean = statistics.fmean(baseline)
    std = max(1.0, statistics.pstdev(baseline))
    return mean, std, (count - mean) / std


def spikes(engine: Engine, *, dimension: str = "topic", day: date | None = None, weeks: int = 4,
           min_z: float = 3.0, min_count: int = 3) -> list[Spike]:
    """Keys spiking on ``day`` (default: today, UTC), highest z first."""
    if weeks < 1:
        raise ValueError(f"weeks must be >= 1, got {weeks}")
    day = day or datetime.now(timezone.utc).date()
    n_days = weeks * 7
    counts = daily_counts(engine, dimension, day - timedelta(days=n_days), day)
    out = []
    for key, per_day in counts.items():
        count = per_day.get(day, 0)
        if count < min_count:
            continue
        baseline = [per_day.get(day - timedelta(days=i), 0) for i in range(1, n_days + 1)]
        mean, std, z = score(count, baseline)
        if z >= min_z:
            out.append(Spike(dimension, key, day.isoformat(), count, round(mean, 3), round(std, 3), n_days, round(z, 2)))
    return sorted(out, key=lambda s: (-s.z, s.key))
