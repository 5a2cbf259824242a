"""Source health: is an outlet still delivering? A pure function over run rows and article dates.

A source is **broken** when, over its last ``WINDOW`` runs, it found no
article links at all (and its listing was not simply unchanged), when its runs
keep failing, when its empty-extraction or error rate jumped against its own
earlier runs (a markup change, a blocked crawler), or when no new article has
appeared for well past its usual cadence. One failed or empty run is only a
**warning**: outlets have bad minutes. ``assess`` takes plain data so tests,
``monitor sources`` and the dashboard share the same judgement;
``source_health`` loads that data from the database.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, select

from monitor.crawl.verdict import ERRORS_PREFIX, RUN_ERRORS
from monitor.distributed.settings import LISTINGS_TAKEN, WORKER_STAT

# The deliberate drops of monitor.crawl.seen and .conditional (already stored, 304): Scrapy counts them as
# downloader exceptions, but they are the crawl working, not an outlet failing.
SKIPS = "downloader/exception_type_count/monitor.crawl.failures.SkipRequest"
WINDOW = 3  # runs that must agree before a source is called broken
RATE_JUMP = 0.3  # an empty-extraction or error rate this much above the source's own baseline is a jump
RATE_FLOOR = 0.5  # ... and at least this high
SILENCE_FACTOR = 5  # silent for this many usual gaps between articles
MIN_SILENCE = timedelta(days=2)
# Failures only a start URL or listing can have (an unparseable feed, sitemap, API answer or listing page)
LISTING_REASONS = frozenset({"feed_invalid", "sitemap_invalid", "api_invalid", "listing_not_html"})
# What a source's start URLs are called, by catalogue kind ("the feed failed: 1 http_404")
START_NAMES = {"feed": "the feed", "sitemap": "the sitemap", "listing": "the listing page",
               "wordpress": "the API listing", "module": "the start page"}
PRUNED = "no recorded runs (pruned?), but it has stored articles"


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One crawl run as health needs it (a ``crawl_runs`` row)."""

    started: datetime
    status: str
    stats: dict[str, Any] = field(default_factory=dict)

    def count(self, key: str) -> int:
        return int(self.stats.get(key, 0) or 0)

    @property
    def failed(self) -> bool:
        """Not ``finished`` cleanly (``monitor.crawl.verdict.run_status``); rows recorded before
        ``monitor/run_errors`` existed failed when they logged an error."""
        legacy = RUN_ERRORS not in self.stats and self.count("log_count/ERROR") > 0
        return self.status != "finished" or legacy

    @property
    def articles_only(self) -> bool:
        """A distributed worker's run that took no feed, sitemap or listing request from Redis: another
        worker read the start URL, this one only fetched articles, so it could not have listed any.
        (Rows from before ``LISTINGS_TAKEN`` was counted: any worker run that listed nothing.)"""
        worker = WORKER_STAT in self.stats or "scheduler/dequeued/redis" in self.stats
        return worker and self.count(LISTINGS_TAKEN) == 0

    @property
    def idle(self) -> bool:
        """A recorded run that sent no request: a distributed worker that found the queue empty (or was
        stopped before it took anything). It says nothing about the source, so health ignores it."""
        worker = WORKER_STAT in self.stats or self.status == "failed: shutdown"
        return ("finish_reason" in self.stats and self.count("downloader/request_count") == 0
                and (self.status == "finished" or worker))

    @property
    def found_nothing(self) -> bool:
        """No article link found, and not because the listing answered 304 Not Modified.

        A 304 on one start URL does not excuse another that was read and showed no
        links (``monitor/listing_empty``). A worker run that fetched only articles
        (``articles_only``) did not look for links.
        """
        return not self.articles_only and self.count("monitor/listed") == 0 and (
            self.count("monitor/not_modified") == 0 or self.count("monitor/listing_empty") > 0)

    @property
    def problems(self) -> dict[str, int]:
        """Failed requests and unusable pages by reason (``monitor/errors/<reason>`` stats)."""
        return {key.removeprefix(ERRORS_PREFIX): int(value or 0) for key, value in self.stats.items()
                if key.startswith(ERRORS_PREFIX) and key != ERRORS_PREFIX + "count" and value}

    @property
    def extraction_attempts(self) -> int:
        return self.count("monitor/extracted") + self.count("monitor/dropped/empty_extraction")

    def causes(self, kind: str | None = None) -> tuple[str | None, str | None]:
        """What failed in this run, in words: ``(start, pages)``, e.g. ``("the feed failed: 1 http_404",
        None)`` or ``(None, "2 timeout, 1 dns")``; None where nothing failed.

        Why: "lost pages" misleads when the feed itself failed and no article was even
        listed. A run that listed no article can only have failed at its start URLs or
        listings; in a run that did, only the listing reasons (``LISTING_REASONS``) are
        known to be the listing's (a second feed that failed after the first listed
        articles counts as pages: the stats do not say which request failed).
        """
        problems = self.problems
        listed = self.count("monitor/listed") > 0 or self.articles_only  # a worker's: only article pages failed
        start = {r: n for r, n in problems.items() if not listed or r in LISTING_REASONS}
        pages = {r: n for r, n in problems.items() if r not in start}
        start_text = f"{START_NAMES.get(kind or '', 'the start URL')} failed: {_counts(start)}" if start else None
        return start_text, _counts(pages) if pages else None


@dataclass(frozen=True, slots=True)
class Health:
    """A source's status (``ok``, ``warning``, ``broken`` or ``unknown``) and why."""

    status: str
    reasons: list[str]
    last_success: datetime | None
    last_article: datetime | None
    articles_per_day: float
    runs: int
    problems: dict[str, int] = field(default_factory=dict)  # failures by reason over the last WINDOW runs

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "reasons": self.reasons, "last_success": self.last_success,
                "last_article": self.last_article, "articles_per_day": self.articles_per_day, "runs": self.runs,
                "problems": self.problems}


def assess(runs: Iterable[RunRecord], article_dates: Iterable[datetime | None], *,
           now: datetime | None = None, kind: str | None = None) -> Health:
    """Judge one source from its crawl runs (any order) and its articles' publication dates (None for an
    article without one); ``kind`` (the catalogue's) names what failed: "the feed failed: 1 http_404".

    The reasons say the last run's specific failure first (what to fix), then the
    verdicts: a table that cuts them short still shows the cause.
    """
    now = now or datetime.now(timezone.utc)
    ordered = sorted((r for r in runs if r.status != "running" and not r.idle), key=lambda r: r.started)
    articles = list(article_dates)
    dates = sorted(d for d in articles if d is not None)
    last_success = next((r.started for r in reversed(ordered) if not r.failed), None)
    month = [d for d in dates if now - timedelta(days=30) <= d <= now]
    per_day = round(len(month) / 30, 2)
    last_article = dates[-1] if dates else None
    if not ordered:  # runs are pruned (monitor db prune), articles never are
        return Health("unknown", [PRUNED if articles else "never crawled"], None, last_article, per_day, 0)
    recent, earlier = ordered[-WINDOW:], ordered[:-WINDOW]
    start, pages = recent[-1].causes(kind)
    causes = ([start] if start else []) + ([f"the last run lost pages: {pages}"] if pages else [])
    silence = _silence(dates, now, watched_since=ordered[0].started)
    broken = _verdicts(recent, earlier) + ([silence] if silence else [])
    warnings = _warnings(recent, explained=bool(causes), start_failed=start is not None)
    problems: Counter[str] = Counter()
    for run in recent:
        problems.update(run.problems)
    status = "broken" if broken else "warning" if warnings or causes else "ok"
    return Health(status, causes + broken + warnings, last_success, last_article, per_day, len(ordered),
                  dict(problems))


def _verdicts(recent: Sequence[RunRecord], earlier: Sequence[RunRecord]) -> list[str]:
    """Why the source is broken, from its last ``WINDOW`` runs against its ``earlier`` ones.

    A jump needs a baseline: with no earlier run to compare with (a new source), a
    first failing run is a warning, not an error rate that "jumped" from 0 %.
    """
    broken: list[str] = []
    full_window = len(recent) == WINDOW
    if full_window and all(r.found_nothing for r in recent):
        broken.append(f"found no article links in the last {WINDOW} runs")
    if full_window and all(r.failed for r in recent):
        broken.append(f"the last {WINDOW} runs failed or logged errors")
    empty_now, empty_before = _rate(recent, _empty), _rate(earlier, _empty)
    if _jumped(empty_now, empty_before):
        broken.append(f"empty extractions jumped to {empty_now:.0%} of article pages "
                      f"(before: {empty_before:.0%}): has the markup changed?")
    errors_now, errors_before = _rate(recent, _errors), _rate(earlier, _errors)
    if _jumped(errors_now, errors_before):
        broken.append(f"error responses jumped to {errors_now:.0%} of requests (before: {errors_before:.0%})")
    return broken


def _warnings(recent: Sequence[RunRecord], *, explained: bool, start_failed: bool) -> list[str]:
    """The last run's own trouble when the window does not (yet) make it a verdict, and its causes
    (``explained``: what failed is said; ``start_failed``: a start URL failed) do not already say it:
    a feed that failed found no links, and a run with failures finished with errors."""
    warnings: list[str] = []
    last, full_window = recent[-1], len(recent) == WINDOW
    if last.found_nothing and not start_failed and not (full_window and all(r.found_nothing for r in recent)):
        warnings.append("the last run found no article links")
    if last.failed and not (explained and last.status == "finished_with_errors") and not (
            full_window and all(r.failed for r in recent)):
        warnings.append(f"the last run {last.status}")
    return warnings


def _jumped(now: float | None, before: float | None) -> bool:
    """True when a rate is high and well above the source's own earlier rate; never without one."""
    return now is not None and before is not None and now >= RATE_FLOOR and now - before >= RATE_JUMP


def _counts(problems: dict[str, int]) -> str:
    """``{"timeout": 2, "dns": 1}`` as "2 timeout, 1 dns", the most frequent first."""
    return ", ".join(f"{count} {reason}" for reason, count in sorted(problems.items(), key=lambda p: (-p[1], p[0])))


def _empty(run: RunRecord) -> tuple[int, int]:
    return run.count("monitor/dropped/empty_extraction"), run.extraction_attempts


def _errors(run: RunRecord) -> tuple[int, int]:
    bad = sum(int(v or 0) for k, v in run.stats.items()
              if k.startswith("downloader/response_status_count/") and k.rsplit("/", 1)[1][:1] in "45"
              and not k.endswith("/404"))
    exceptions = max(0, run.count("downloader/exception_count") - run.count(SKIPS))
    # Scrapy's counts and the monitor's own (which also has unusable pages) overlap: take the larger.
    bad = max(bad + exceptions, run.count(ERRORS_PREFIX + "count"))
    return bad, run.count("downloader/request_count")


def _rate(runs: Sequence[RunRecord], part: Any) -> float | None:
    pairs = [part(r) for r in runs]
    total = sum(t for _, t in pairs)
    return sum(n for n, _ in pairs) / total if total else None


def _silence(dates: list[datetime], now: datetime, *, watched_since: datetime) -> str | None:
    """Why the source counts as silent: no article for ``SILENCE_FACTOR`` of its usual gaps, counted from
    its newest article or, when it was first crawled later, from then (``watched_since``, its oldest run).

    An outlet added with months-old articles (an archive, the demo's replica) has not been silent while
    it was watched: it becomes so only after that many gaps without a new article since it was added.
    """
    recent = dates[-21:]
    if len(recent) < 4:
        return None
    gaps = [(b - a).total_seconds() for a, b in zip(recent, recent[1:])]
    usual = timedelta(seconds=statistics.median(gaps))
    quiet = now - max(recent[-1], watched_since)
    if quiet > max(SILENCE_FACTOR * usual, MIN_SILENCE):
        return (f"silent for {quiet.days} days {quiet.seconds // 3600} h; it usually publishes every "
                f"{_human(usual)}")
    return None


def _human(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} days"


def source_health(engine: Engine, names: Iterable[str], *, now: datetime | None = None,
                  max_runs: int = 30, kinds: Mapping[str, str] | None = None) -> dict[str, Health]:
    """``assess`` for each source name, from ``crawl_runs`` and the stored articles' dates; ``kinds``
    (name to catalogue kind) words what failed ("the feed failed"), "the start URL" without it."""
    from monitor.db.models import Article, CrawlRun, Source

    result: dict[str, Health] = {}
    with engine.connect() as connection:
        for name in names:
            rows = connection.execute(
                select(CrawlRun.started, CrawlRun.status, CrawlRun.stats).where(CrawlRun.source == name)
                .order_by(CrawlRun.started.desc()).limit(max_runs)
            ).all()
            dates = connection.execute(
                select(Article.published).join(Source, Source.id == Article.source_id).where(Source.name == name)
                .order_by(Article.published.desc()).limit(200)
            ).scalars().all()
            runs = [RunRecord(r.started, r.status, r.stats or {}) for r in rows]
            result[name] = assess(runs, dates, now=now, kind=(kinds or {}).get(name))
    return result


def stored_sources(engine: Engine) -> dict[str, dict[str, Any]]:
    """Every source the database knows, by name: its ``sources`` row (outlet, kind, languages; set when an
    article was stored) or only its ``crawl_runs`` rows (``{}``).

    Why: a database crawled from another catalogue (``monitor demo`` crawls the replica's) must not look
    "never crawled"; ``monitor sources`` lists these beside the catalogue's entries.
    """
    from monitor.db.models import CrawlRun, Source

    with engine.connect() as connection:
        known = {row.name: {"outlet": row.outlet, "kind": row.kind, "languages": list(row.languages or [])}
                 for row in connection.execute(select(Source.name, Source.outlet, Source.kind, Source.languages))}
        for name in connection.execute(select(CrawlRun.source).distinct()).scalars():
            known.setdefault(name, {})
    return dict(sorted(known.items()))
