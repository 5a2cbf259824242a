"""``monitor alerts``: define alerts, read their inbox, backtest, deliver, feeds and trend spikes."""

from __future__ import annotations

import sys
from datetime import date

import click

from monitor.cli.articles import parse_since
from monitor.cli.filters import check_sources, check_topics, normalize_languages
from monitor.cli.output import echo_json, echo_jsonl, echo_table
from monitor.cli.options import DB_OPTION


def _engine(db_url: str | None):
    from monitor.db import connect

    return connect(db_url)


def _filters(languages: tuple[str, ...], sources: tuple[str, ...], topics: tuple[str, ...]) -> dict:
    return {k: list(v) for k, v in (("languages", languages), ("sources", sources), ("topics", topics)) if v}


def _delivery(email: str | None, digest: str | None, webhook: str | None, atom: bool | None) -> dict | None:
    values = {"email": email, "digest": digest, "webhook": webhook, "atom": atom}
    values = {k: v for k, v in values.items() if v is not None}
    return values or None


FILTER_OPTIONS = [
    click.option("--lang", "languages", multiple=True, callback=normalize_languages,
                 help="Only articles in this language (ISO 639-1; FR and fr-FR mean fr; repeatable)."),
    click.option("--source", "sources", multiple=True, help="Only articles from this source (repeatable)."),
    click.option("--topic", "topics", multiple=True, callback=check_topics,
                 help="Only articles tagged with this topic (repeatable)."),
]
DELIVERY_OPTIONS = [
    click.option("--email", help="Send e-mail to this address (SMTP server: MONITOR_SMTP_URL)."),
    click.option("--digest", type=click.Choice(["immediate", "hourly", "daily"]), help="E-mail timing."),
    click.option("--webhook", help="POST each new story as JSON to this URL."),
    click.option("--atom/--no-atom", default=None, help="Publish an Atom feed (default on)."),
]
CLEAR_OPTIONS = [
    click.option("--clear-lang", is_flag=True, help="Remove the language filter."),
    click.option("--clear-source", is_flag=True, help="Remove the source filter."),
    click.option("--clear-topic", is_flag=True, help="Remove the topic filter."),
]


TREND_OPTIONS = [
    click.option("--trend", "trend_selection", metavar="SELECTION",
                 help="A trend alert on this volume: topic:ID, lang:CODE or source:NAME (narrowed by --lang/--source/"
                      "--topic); fires when a day's count is far above the previous days'."),
    click.option("--z", "z", type=click.FloatRange(min=0, min_open=True), help="Trend: z-score that fires [3]."),
    click.option("--baseline-days", type=click.IntRange(7, 366), help="Trend: days before the day measured [28]."),
    click.option("--min-count", type=click.IntRange(min=1), help="Trend: minimum articles on the day [3]."),
]


def _trend(selection: str | None, z: float | None, baseline_days: int | None, min_count: int | None) -> dict | None:
    """The trend options given on the command line and only those (None when none was given): the
    selection as ``dimension``/``key`` (validated), plus each threshold given.

    Why only those: ``edit`` merges this into the stored rule, so ``edit NAME --trend lang:de`` must
    keep the stored z, baseline and minimum; ``add`` fills in the defaults (``TrendRule.from_dict``).
    """
    from monitor.alerts.trend_alerts import TrendRule, TrendRuleError

    given = {k: v for k, v in (("z", z), ("baseline_days", baseline_days), ("min_count", min_count))
             if v is not None}
    if selection is None:
        return given or None
    try:
        rule = TrendRule.parse(selection, **given)
    except TrendRuleError as exc:
        raise click.BadParameter(str(exc), param_hint="--trend") from None
    return {"dimension": rule.dimension, "key": rule.key, **given}


def _check_trend_source(engine, trend: dict | None) -> None:
    """BadParameter when a trend on ``source:NAME`` names an unknown source, as ``--source`` does: it would
    never count an article."""
    if trend and trend.get("dimension") == "source":
        check_sources(engine, [trend["key"]], param_hint="--trend")


def _apply(options):
    def decorator(f):
        for option in reversed(options):
            f = option(f)
        return f
    return decorator


@click.group("alerts")
def alerts_group() -> None:
    """Saved queries matched against every new article and delivered once per story."""


@alerts_group.command("add")
@click.argument("name")
@click.argument("query", required=False)
@click.option("--owner", default="", help="Who owns the alert.")
@_apply(FILTER_OPTIONS)
@_apply(DELIVERY_OPTIONS)
@_apply(TREND_OPTIONS)
@click.option("--backtest-days", type=click.IntRange(min=0), default=30, show_default=True,
              help="Show what the alert would have matched among the articles published in the last N days "
                   "(0: skip); with --backfill, also the window filled into the inbox.")
@click.option("--backfill", is_flag=True,
              help="Also put the stored stories the backtest finds (published in the last --backtest-days days) "
                   "into the inbox, recorded as delivered: `alerts deliver` never sends them. Story alerts only.")
@DB_OPTION
def add_command(name, query, owner, languages, sources, topics, email, digest, webhook, atom, trend_selection, z,
                baseline_days, min_count, backtest_days, backfill, db_url):
    """Create alert NAME for QUERY (query language: docs/query-language.md), or a trend alert (--trend);
    prints a backtest.

    Matching runs as articles are stored, so a new alert's inbox starts empty; --backfill fills it from
    the articles already stored (by publication date, as the backtest), without sending them.
    """
    from monitor.alerts import add_alert, backfill as backfill_inbox, backtest

    trend = _trend(trend_selection, z, baseline_days, min_count)
    if trend_selection is None and trend:
        raise click.UsageError("--z, --baseline-days and --min-count need --trend SELECTION")
    if bool(query) == bool(trend_selection):
        raise click.UsageError("give either a QUERY (a story alert) or --trend SELECTION (a trend alert)")
    if backfill and trend_selection is not None:
        raise click.UsageError("--backfill fills the inbox with matched stories, and a trend alert (--trend) "
                               "matches no stories: leave out --backfill")
    if backfill and not backtest_days:
        raise click.UsageError("--backfill fills the inbox from the last --backtest-days days: give at least 1")
    engine = _engine(db_url)
    check_sources(engine, sources)
    _check_trend_source(engine, trend)
    filters = _filters(languages, sources, topics)
    name = name.strip()
    alert_id = add_alert(engine, name, query, owner=owner, filters=filters,
                         delivery=_delivery(email, digest, webhook, atom), trend=trend)
    if trend:
        _print_trend_added(engine, alert_id, name, trend, filters, backtest_days)
        return
    out = {"id": alert_id, "name": name, "query": query}
    if backtest_days:
        result = backtest(engine, query, filters, days=backtest_days, limit=20)
        out["backtest"] = {"days": backtest_days, "stories": result["stories"],
                           "sample": [{"title": m["title"], "url": m["url"], "published": m["published"]}
                                      for m in result["matches"][:10]]}
    if backfill:
        # a second transaction, after the alert's: a crash in between leaves the alert with an empty inbox
        out["backfill"] = {"days": backtest_days, "stories": backfill_inbox(engine, name, days=backtest_days)}
    echo_json(out)


def _print_trend_added(engine, alert_id: int, name: str, trend: dict, filters: dict, backtest_days: int) -> None:
    """The new trend alert and the days it would have fired on over the last ``backtest_days``."""
    from monitor.alerts.trend_alerts import TrendRule, backtest_trend, describe
    from monitor.search.fulltext import Filters

    rule, flt = TrendRule.from_dict(trend), Filters.from_dict(filters)  # the defaults of thresholds not given
    out = {"id": alert_id, "name": name, "trend": rule.to_dict(), "selection": describe(rule, flt)}
    if backtest_days:
        fired = backtest_trend(engine, rule, flt, days=backtest_days)
        out["backtest"] = {"days": backtest_days, "would_have_fired": len(fired), "firings": fired}
    echo_json(out)


@alerts_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines.")
@DB_OPTION
def list_command(as_json, db_url):
    """List alerts with their match counts."""
    from monitor.alerts import list_alerts

    rows = list_alerts(_engine(db_url))
    if as_json:
        echo_jsonl(rows)
        return
    echo_table(["name", "kind", "version", "muted", "matches", "query", "filters"],
               [[r["name"], r["kind"], r["version"], "yes" if r["muted"] else "", r["matches"], r["query"],
                 _describe_filters(r["filters"])] for r in rows])


def _describe_filters(filters: dict | None) -> str:
    """``lang:fr source:b2|euractiv topic:iraq``: an alert's filters in one cell, so that a filtered alert
    is not taken for an unfiltered one in ``alerts list`` (empty when it has none)."""
    parts = [f"{prefix}:{'|'.join(map(str, (filters or {}).get(kind) or ()))}"
             for prefix, kind in (("lang", "languages"), ("source", "sources"), ("topic", "topics"))
             if (filters or {}).get(kind)]
    return " ".join(parts)


@alerts_group.command("show")
@click.argument("name")
@DB_OPTION
def show_command(name, db_url):
    """One alert with its version history (which query matched how many stories)."""
    from monitor.alerts import show_alert

    echo_json(show_alert(_engine(db_url), name), pretty=True)


@alerts_group.command("edit")
@click.argument("name")
@click.option("--query", help="New query (makes a new version).")
@click.option("--owner", help="New owner.")
@_apply(FILTER_OPTIONS)
@_apply(CLEAR_OPTIONS)
@_apply(DELIVERY_OPTIONS)
@_apply(TREND_OPTIONS)
@DB_OPTION
def edit_command(name, query, owner, languages, sources, topics, clear_lang, clear_source, clear_topic, email,
                 digest, webhook, atom, trend_selection, z, baseline_days, min_count, db_url):
    """Change alert NAME; query, filter, delivery or trend rule changes make a new version.

    Each filter kind is changed on its own: --lang replaces the language filter and keeps the
    source and topic filters; --clear-lang (--clear-source, --clear-topic) removes one. Likewise
    each trend option: --trend lang:de keeps the stored --z, --baseline-days and --min-count.
    """
    from monitor.alerts import edit_alert
    from monitor.alerts.manage import get_alert

    updates: dict[str, list[str] | None] = {}
    for kind, values, clear, option in (("languages", languages, clear_lang, "lang"),
                                        ("sources", sources, clear_source, "source"),
                                        ("topics", topics, clear_topic, "topic")):
        if values and clear:
            raise click.UsageError(f"--{option} and --clear-{option} contradict each other: give one")
        if values or clear:
            updates[kind] = list(values) or None
    trend = _trend(trend_selection, z, baseline_days, min_count)  # only the options given: merged into the rule
    engine = _engine(db_url)
    check_sources(engine, sources)
    _check_trend_source(engine, trend)
    delivery = _delivery(email, digest, webhook, atom)
    if delivery is not None:
        with engine.connect() as connection:
            delivery = {**get_alert(connection, name).delivery, **delivery}
    version = edit_alert(engine, name, query=query, delivery=delivery, owner=owner, trend=trend,
                         filter_updates=updates or None)
    echo_json({"name": name, "version": version})


@alerts_group.command("mute")
@click.argument("name")
@click.option("--unmute", is_flag=True, help="Resume delivery instead.")
@DB_OPTION
def mute_command(name, unmute, db_url):
    """Mute alert NAME: matches still reach the inbox, nothing is sent."""
    from monitor.alerts import set_muted

    set_muted(_engine(db_url), name, not unmute)
    echo_json({"name": name, "muted": not unmute})


@alerts_group.command("remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (scripts).")
@DB_OPTION
def remove_command(name, yes, db_url):
    """Delete alert NAME with its inbox, delivery history and trend firings (`mute` keeps them).

    Prints what went. The alert's id is never given to a later alert, so webhook receivers and
    feed readers that saw its deliveries cannot take a new alert's for them.
    """
    from monitor.alerts import remove_alert
    from monitor.alerts.manage import get_alert

    engine = _engine(db_url)
    if not yes:
        with engine.connect() as connection:
            alert = get_alert(connection, name)  # an unknown name fails before the question
        click.confirm(f"Remove alert {alert.name!r} with its inbox and delivery history?", abort=True, err=True)
    echo_json(remove_alert(engine, name))


@alerts_group.command("inbox")
@click.argument("name")
@click.option("--since", help="Matched since: 7d, 24h, 2w or a date.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="At most this many.")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines.")
@DB_OPTION
def inbox_command(name, since, limit, as_json, db_url):
    """Stories alert NAME matched, newest first, one line per story ("also in N outlets");
    for a trend alert, the days it fired with their baseline."""
    from monitor.alerts import inbox, trend_firings

    engine = _engine(db_url)
    firings = trend_firings(engine, name, limit=limit, since=parse_since(since))
    if firings is not None:
        if as_json:
            echo_jsonl(firings)
            return
        echo_table(["day", "count", "baseline mean", "std", "z", "baseline window", "delivered"],
                   [[f["day"], f["count"], f["baseline_mean"], f["baseline_std"], f["z"],
                     f"{f['baseline_start']}..{f['baseline_end']}", ",".join(f["delivered"])] for f in firings])
        return
    rows = inbox(engine, name, limit=limit, since=parse_since(since))
    if as_json:
        echo_jsonl(rows)
        return
    # the article id: what `monitor story ID` and `monitor articles` go on from
    echo_table(["matched", "article", "outlet", "also in", "title"],
               [[r["matched_at"].isoformat(), r["article_id"], r["outlet"], r["also_in"] or "", r["title"]]
                for r in rows])


@alerts_group.command("backtest")
@click.argument("query")
@click.option("--days", type=click.IntRange(min=1), default=30, show_default=True, help="How far back.")
@_apply(FILTER_OPTIONS)
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True,
              help="Show at most this many stories (the count is of all).")
@click.option("--query-text", "as_query", is_flag=True,
              help="QUERY is query text even when an alert has that name (alert names are found ignoring case).")
@DB_OPTION
def backtest_command(query, days, languages, sources, topics, limit, as_query, db_url):
    """What QUERY would have matched over the last N days ("stories": how many; "matches": the first
    --limit). When QUERY is the name of an alert (and --query-text is not given), that alert is
    backtested: its query and filters (each --lang/--source/--topic given replaces that filter);
    for a trend alert, the days it would have fired on."""
    from monitor.alerts import backtest
    from monitor.alerts.manage import find_alert

    engine = _engine(db_url)
    check_sources(engine, sources)
    filters = _filters(languages, sources, topics)
    alert = None
    if not as_query:
        with engine.connect() as connection:
            alert = find_alert(connection, query)
    if alert is None:
        echo_json(backtest(engine, query, filters, days=days, limit=limit))
        return
    # stderr: stdout stays one JSON object; says how to backtest the text itself
    click.echo(f"{query!r} names alert {alert.name!r}: backtesting the alert (--query-text to backtest "
               f"{query!r} as a query)", err=True)
    filters = {**(alert.filters or {}), **filters}
    if alert.trend is not None:
        from monitor.alerts.trend_alerts import TrendRule, backtest_trend, describe
        from monitor.search.fulltext import Filters

        rule, flt = TrendRule.from_dict(alert.trend), Filters.from_dict(filters)
        fired = backtest_trend(engine, rule, flt, days=days)
        echo_json({"alert": alert.name, "selection": describe(rule, flt), "days": days,
                   "would_have_fired": len(fired), "firings": fired})
        return
    echo_json({"alert": alert.name, **backtest(engine, alert.query, filters, days=days, limit=limit)})


@alerts_group.command("deliver")
@click.option("--smtp", "smtp_url", envvar="MONITOR_SMTP_URL", help="SMTP server, smtp://host:port.")
@click.option("--sender", default="monitor@localhost", show_default=True, help="From address.")
@DB_OPTION
def deliver_command(smtp_url, sender, db_url):
    """Record trend spikes, send every undelivered match and firing (e-mail, webhook); safe to rerun after a crash."""
    from monitor.alerts import deliver

    report = deliver(_engine(db_url), smtp_url=smtp_url, sender=sender)
    echo_json(report.to_dict())
    if report.failed:
        sys.exit(1)


@alerts_group.command("feed")
@click.argument("name", required=False)
@click.option("--topic", callback=check_topics, help="A topic's feed instead of an alert's.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="Entries.")
@DB_OPTION
def feed_command(name, topic, limit, db_url):
    """Print the Atom feed of alert NAME (or of --topic); an error when the alert's feed is off (--no-atom)."""
    from monitor.alerts.feeds import alert_feed, topic_feed

    if bool(name) == bool(topic):
        raise click.UsageError("give either an alert NAME or --topic")
    engine = _engine(db_url)
    if topic:
        topic_feed(engine, topic, sys.stdout, limit)
    else:
        alert_feed(engine, name, sys.stdout, limit)
    sys.stdout.write("\n")


@alerts_group.command("trends")
@click.option("--by", "dimension", type=click.Choice(["topic", "language", "source"]), default="topic",
              show_default=True, help="Count per topic, language or source.")
@click.option("--day", help="Day to check (YYYY-MM-DD, default today UTC).")
@click.option("--weeks", type=click.IntRange(min=1), default=4, show_default=True, help="Baseline length.")
@click.option("--z", "min_z", type=click.FloatRange(min=0, min_open=True), default=3.0, show_default=True,
              help="z-score that fires (above 0, as for alerts add --z).")
@click.option("--min-count", type=click.IntRange(min=1), default=3, show_default=True, help="Minimum volume.")
@DB_OPTION
def trends_command(dimension, day, weeks, min_z, min_count, db_url):
    """Volume spikes: today's count per key against its baseline (mean, std, z)."""
    from monitor.alerts import spikes

    try:
        the_day = date.fromisoformat(day) if day else None
    except ValueError:
        raise click.BadParameter(f"{day!r}: expected YYYY-MM-DD", param_hint="--day") from None
    found = spikes(_engine(db_url), dimension=dimension, day=the_day, weeks=weeks, min_z=min_z, min_count=min_count)
    echo_jsonl(s.to_dict() for s in found)
    if not found:  # stderr: stdout stays valid (empty) JSON Lines for scripts
        click.echo(f"no {dimension} spiked on {the_day or 'today (UTC)'} (z >= {min_z}, at least {min_count} "
                   f"articles, against the {weeks} weeks before)", err=True)


COMMANDS = [alerts_group]
