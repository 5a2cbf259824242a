"""``monitor demo | crawl | fetch``: getting articles in."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor.catalogue import REPLICA_PLACEHOLDER, Source, catalogue_path, find_source, load_catalogue, unfilled
from monitor.cli.articles import parse_since
from monitor.cli.output import MonitorError, echo_error, echo_json, echo_table
from monitor.cli.options import BASE_URL_OPTION, DB_OPTION
from monitor.cli.services import check_services
from monitor.cli.set_option import parse_set_options

if TYPE_CHECKING:
    from monitor.crawl.runner import RunSummary


@click.command("demo")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def demo_command(ctx: click.Context, db_url: str | None, as_json: bool) -> None:
    """Serve the bundled offline replica of the outlets on 127.0.0.1, crawl it over
    HTTP into the database, and print what was stored and the topic hits."""
    from monitor.demo import run_demo

    report = run_demo(db_url, log_level=ctx.obj["log_level"])
    if as_json:
        echo_json(report.as_dict(), pretty=True)
        return
    click.echo("Crawl runs")
    echo_table(["source", "status", "requests", "stored", "skipped (seen)", "duplicates"],
               [[r["source"], r["status"], r["requests"], r["stored"], r["seen_skipped"], r["duplicates"]]
                for r in report.runs])
    click.echo("\nArticles per source and language")
    echo_table(["source", "language", "articles"],
               [[r["source"], r["language"], r["articles"]] for r in report.per_source_language])
    click.echo("\nTopic hits")
    echo_table(["topic", "articles"], [[t["topic"], t["articles"]] for t in report.topics])
    click.echo(f"\n{report.total_articles} articles in the database.")


@click.command("crawl")
@click.argument("sources", nargs=-1)
@click.option("--catalogue", type=click.Path(dir_okay=False, path_type=Path), envvar="MONITOR_CATALOGUE",
              help="Catalogue file (default: MONITOR_CATALOGUE or the bundled catalogue).")
@BASE_URL_OPTION
@DB_OPTION
@click.option("--set", "settings", multiple=True, metavar="NAME=VALUE", help="Override a Scrapy setting.")
@click.option("--backfill", is_flag=True,
              help="Fetch history: ignore stored HTTP validators and page listings back to --since.")
@click.option("--since", metavar="DATE", help="With --backfill: how far back (7d, 24h, 2w or a date, e.g. 2024-01-01).")
@click.option("--progress", is_flag=True,
              help="Print a one-line status (pages, items, rate, queue, ETA) to stderr every 5 s "
                   "(--set MONITOR_PROGRESS=SECONDS for another interval).")
@click.option("--distributed", is_flag=True,
              help="Only seed the start requests into Redis (MONITOR_REDIS_URL); `monitor worker`s crawl them.")
@click.pass_context
def crawl_command(ctx: click.Context, sources: tuple[str, ...], catalogue: Path | None, base_url: str | None,
                  db_url: str | None, settings: tuple[str, ...], backfill: bool, since: str | None,
                  progress: bool, distributed: bool) -> None:
    """Crawl SOURCES now (all catalogue sources when none are named); prints one JSON
    object per source with its counts, status and errors (as in `crawl_runs`).

    \b
    Exit status:
      0  every run finished without errors
      1  nothing was crawled: unknown source, invalid or empty catalogue
      2  nothing was crawled: bad option (usage error), or catalogue URLs that
         still hold {{REPLICA}} without --base-url
      3  the crawl ran, but some source's run had errors (a feed, sitemap or listing
         failed, pages were lost to timeouts or server errors, articles could not be
         stored): its JSON says "status": "finished_with_errors"; the log says why
    """
    from monitor.crawl.runner import run_sources

    entries = load_catalogue(catalogue, base_url=base_url)
    if not entries:
        raise MonitorError(f"{catalogue or catalogue_path()}: no [[source]] entries: nothing to crawl")
    chosen = [find_source(entries, name) for name in sources] if sources else entries
    _refuse_placeholders(catalogue or catalogue_path(), chosen)
    overrides: dict[str, object] = {"LOG_LEVEL": ctx.obj["log_level"]}
    if catalogue:
        overrides["MONITOR_CATALOGUE"] = str(catalogue)
    if db_url:
        overrides["MONITOR_DB_URL"] = db_url
    if backfill or since:
        if not (backfill and since):
            raise click.UsageError("--backfill and --since DATE go together (how far back to crawl)")
        start = parse_since(since, param_hint="--since")  # 7d, 24h, 2w or a date, as every --since
        assert start is not None  # since is not empty here
        overrides.update(MONITOR_BACKFILL=True, MONITOR_SINCE=start.isoformat())
    if progress:
        overrides["MONITOR_PROGRESS"] = 5
    overrides.update(parse_set_options(settings))
    if distributed:  # see monitor/distributed: the seeder pushes start requests and crawls nothing itself
        from monitor.distributed.settings import seed_settings_from_env

        overrides.update(seed_settings_from_env())
    from monitor.config import load_config

    check_services(ctx, db_url, load_config().redis_url)
    runs = run_sources(chosen, overrides)
    for run in runs:
        echo_json(run.as_dict())
    unstored = sum(run.count("monitor/errors/store_failed") for run in runs)
    if unstored:
        echo_error(f"{unstored} articles could not be stored (see the log); "
                   "they were not marked seen, so the next crawl fetches them again")
    exit_if_runs_failed(ctx, runs)


def _refuse_placeholders(catalogue: Path, chosen: list[Source]) -> None:
    """A usage error before anything is crawled when a chosen source's URL still holds ``{{REPLICA}}``
    (a replica catalogue without --base-url): otherwise each fails inside Scrapy with a traceback."""
    left = unfilled(chosen)
    if not left:
        return
    what = {"feed": "feed URL", "sitemap": "sitemap URL"}.get(left[0].kind, "start URL")
    others = f" (so do {', '.join(s.name for s in left[1:])})" if left[1:] else ""
    raise click.UsageError(f"{catalogue}: {left[0].name}'s {what} still holds {REPLICA_PLACEHOLDER}{others}: "
                           "give --base-url http://HOST:PORT")


def exit_if_runs_failed(ctx: click.Context, runs: list[RunSummary]) -> None:
    """One stderr line naming each run that had errors, then exit status 3 (see ``crawl --help``)."""
    from monitor.crawl.verdict import ERRORS_EXIT_CODE

    failed = [run for run in runs if not run.ok]
    if failed:
        echo_error("; ".join(_what_failed(run) for run in failed))
        ctx.exit(ERRORS_EXIT_CODE)


def _what_failed(run: RunSummary) -> str:
    """One source's failed run in a few words: ``name: status (2 http_404, 1 timeout)``."""
    reasons = sorted(((key.removeprefix("monitor/errors/"), int(value or 0)) for key, value in run.stats.items()
                      if key.startswith("monitor/errors/") and key != "monitor/errors/count" and value),
                     key=lambda pair: (-pair[1], pair[0]))
    detail = ", ".join(f"{count} {reason}" for reason, count in reasons)
    return f"{run.source}: {run.status}" + (f" ({detail})" if detail else "")


@click.command("fetch")
@click.argument("url")
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON (default: readable text).")
@click.option("--no-store", is_flag=True, help="Run the pipeline but write nothing to the database.")
@DB_OPTION
@click.pass_context
def fetch_command(ctx: click.Context, url: str, as_json: bool, no_store: bool, db_url: str | None) -> None:
    """Fetch one URL through the whole pipeline and print the record: url, canonical_url,
    source, title, authors, published, language, topics, story_id, duplicate_of, text."""
    from monitor.crawl.fetch import FetchError, fetch_page

    try:
        record = fetch_page(url, store=not no_store, db_url=db_url, log_level=ctx.obj["log_level"])
    except FetchError as exc:  # a user's URL that failed: one line, without the class name other errors get
        if ctx.obj.get("debug"):
            raise
        raise MonitorError(str(exc)) from exc
    if as_json:
        echo_json(record)
        return
    for key in ("url", "canonical_url", "source", "title", "authors", "published", "language", "story_id",
                "duplicate_of", "dropped"):
        if key in record:
            value = ", ".join(record[key]) if isinstance(record[key], list) else record[key]
            click.echo(f"{key + ':':15} {value}")
    click.echo(f"{'topics:':15} " + ", ".join(f"{t['id']} ({t['score']})" for t in record["topics"]))
    click.echo("\n" + record["text"])


COMMANDS = [demo_command, crawl_command, fetch_command]
