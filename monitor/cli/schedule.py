"""``monitor schedule | status | worker``: scheduled crawls, what is due or broken, distributed workers."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import click

from monitor.catalogue import find_source, load_catalogue
from monitor.cli.output import echo_error, echo_json, echo_jsonl, echo_table
from monitor.cli.crawl import exit_if_runs_failed
from monitor.cli.services import check_services
from monitor.cli.options import DB_OPTION
from monitor.cli.set_option import parse_set_options
from monitor.schedule.launchers import LOG_KEEP, LOG_MAX_BYTES

MB = 1024 * 1024

CATALOGUE_OPTION = click.option("--catalogue", type=click.Path(dir_okay=False, path_type=Path),
                                envvar="MONITOR_CATALOGUE",
                                help="Catalogue file (default: MONITOR_CATALOGUE or the bundled catalogue).")


@click.command("schedule")
@click.argument("sources", nargs=-1)
@CATALOGUE_OPTION
@click.option("--base-url", help="Replace {{REPLICA}} in catalogue URLs with this base URL (offline replicas).")
@DB_OPTION
@click.option("--concurrency", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Crawls running at the same time (each crawl's 'auto' extract pool takes its share of the CPUs).")
@click.option("--interval-scale", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="Multiply every catalogue interval (e.g. 0.001 turns an hour into 3.6 s; for tests).")
@click.option("--jitter", type=click.FloatRange(0, 1, max_open=True), default=0.1, show_default=True,
              help="Spread each next run by up to +/- this share of the interval.")
@click.option("--seed", type=int, help="Seed of the jitter RNG (reproducible schedules).")
@click.option("--once", is_flag=True, help="Run the sources due now, wait for them, and exit (cron).")
@click.option("--rounds", type=click.IntRange(min=1), help="Run N rounds (each waits until sources are due), then exit.")
@click.option("--deliver-every", type=click.FloatRange(min=0), default=5.0, show_default=True,
              help="Minutes between alert deliveries (each alert's digest period still applies); 0: never.")
@click.option("--scrapyd", "scrapyd_url", metavar="URL", help="Send crawls to this Scrapyd node's schedule.json.")
@click.option("--project", default="monitor", show_default=True, help="Scrapyd project name.")
@click.option("--deploy", is_flag=True, help="With --scrapyd: build and upload the project egg first.")
@click.option("--log-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Keep each local crawl's output in DIR/SOURCE.log, rotated by --log-max-mb and --log-keep.")
@click.option("--log-max-mb", type=click.FloatRange(min=0), default=LOG_MAX_BYTES / MB, show_default=True,
              help="With --log-dir: when a crawl starts and its source's log is larger than this, it becomes "
                   "SOURCE.log.1 (.1 becomes .2, ...); 0: never rotate.")
@click.option("--log-keep", type=click.IntRange(min=0), default=LOG_KEEP, show_default=True,
              help="With --log-dir: rotated logs kept per source (SOURCE.log.1 the newest); 0: none.")
@click.option("--set", "settings", multiple=True, metavar="NAME=VALUE", help="A Scrapy setting for every crawl.")
@click.pass_context
def schedule_command(ctx: click.Context, sources: tuple[str, ...], catalogue: Path | None, base_url: str | None,
                     db_url: str | None, concurrency: int, interval_scale: float, jitter: float, seed: int | None,
                     once: bool, rounds: int | None, deliver_every: float, scrapyd_url: str | None, project: str,
                     deploy: bool, log_dir: Path | None, log_max_mb: float, log_keep: int,
                     settings: tuple[str, ...]) -> None:
    """Run scheduled crawls of SOURCES (default: the whole catalogue) until SIGTERM.

    Each source is polled at its catalogue interval, shortened while it publishes
    and lengthened while it is quiet (within min/max_interval_minutes), with
    jitter. Crawls run as separate `monitor crawl NAME` processes (or Scrapyd
    jobs); a failed crawl is retried with back-off; alert digests are delivered.
    SIGTERM lets running crawls finish, records them, and exits. With --once or
    --rounds, prints one JSON object per finished crawl.

    \b
    Exit status with --once or --rounds (as `monitor crawl`):
      0  every crawl finished without errors (or none was due)
      1  nothing was run: unknown source, invalid catalogue
      2  nothing was run: bad option (usage error)
      3  some crawl had errors, failed or could not be launched: its JSON says "status"
         (finished_with_errors, failed: REASON, crashed or launch_failed) and "error";
         the last stderr line names each
    Running until stopped, it exits 0 after SIGTERM whatever the crawls did.
    """
    from monitor.config import load_config
    from monitor.db import connect
    from monitor.schedule.daemon import Scheduler, SchedulerOptions, catalogue_problem
    from monitor.schedule.launchers import Launcher, LocalLauncher, ScrapydLauncher
    from monitor.schedule.policy import cadence_for

    if once and rounds:
        raise click.UsageError("--once and --rounds N are alternatives (--once is --rounds 1)")
    if deploy and not scrapyd_url:
        raise click.UsageError("--deploy needs --scrapyd URL")
    entries = load_catalogue(catalogue, base_url=base_url)
    chosen = [find_source(entries, name) for name in sources] if sources else entries
    cadences = {source.name: cadence_for(source, interval_scale) for source in chosen}
    extra = {"MONITOR_PARALLEL_CRAWLS": str(concurrency), **parse_set_options(settings)}  # "auto" pools share the CPUs
    launcher: Launcher
    if scrapyd_url:
        if deploy:
            from monitor.schedule.scrapyd import deploy as deploy_egg

            echo_json({"deployed": deploy_egg(scrapyd_url, project=project)})
        crawl_settings = dict(extra)
        if db_url:
            crawl_settings["MONITOR_DB_URL"] = db_url
        if catalogue:
            crawl_settings["MONITOR_CATALOGUE"] = str(catalogue)
        launcher = ScrapydLauncher(scrapyd_url, project=project, settings=crawl_settings)
    else:
        env = {"MONITOR_LOG_JSON": "1"} if ctx.find_root().params.get("log_json") else None
        launcher = LocalLauncher(catalogue=catalogue, base_url=base_url, db_url=db_url, settings=extra,
                                 log_dir=log_dir, log_max_bytes=round(log_max_mb * MB), log_keep=log_keep, env=env)
    options = SchedulerOptions(concurrency=concurrency, jitter=jitter, seed=seed,
                               deliver_every=deliver_every * 60 if deliver_every else None,
                               rounds=1 if once else rounds, smtp_url=load_config().smtp_url,
                               catalogue_check=None if scrapyd_url else catalogue_problem(catalogue),
                               kinds={source.name: source.kind for source in chosen})
    logging.root.setLevel(ctx.obj["log_level"])  # the scheduler logs at INFO with -v; handlers filter
    scheduler = Scheduler(connect(db_url), cadences, launcher, options)
    scheduler.install_signal_handlers()
    reports = scheduler.run()
    if options.rounds is not None:
        runs = [{"round": report.number, **run} for report in reports for run in report.runs]
        echo_jsonl(runs)
        _exit_if_crawls_failed(ctx, runs)


def _exit_if_crawls_failed(ctx: click.Context, runs: list[dict[str, Any]]) -> None:
    """With --once/--rounds: one stderr line naming each crawl that did not finish cleanly, then exit 3.

    Why: cron and scripts read the exit status, as they do `monitor crawl`'s; a round whose
    every crawl failed (a feed answering 404) must not exit 0 as if all went well.
    """
    from monitor.crawl.verdict import ERRORS_EXIT_CODE

    failed = [run for run in runs if run["status"] != "finished"]
    if failed:
        echo_error("; ".join(_what_failed(run) for run in failed))
        ctx.exit(ERRORS_EXIT_CODE)


def _what_failed(run: dict[str, Any]) -> str:
    """One crawl that did not finish cleanly: ``name: status (why)``, e.g. ``t: finished_with_errors (the feed
    failed: 1 http_404)``; the status alone when the error says nothing more."""
    why = run["error"] if run["error"] not in (None, run["status"]) else None
    return f"{run['source']}: {run['status']}" + (f" ({why})" if why else "")


@click.command("status")
@CATALOGUE_OPTION
@DB_OPTION
@click.option("--all", "show_all", is_flag=True,
              help="Also list schedule rows of sources no longer in the catalogue (state 'removed').")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source instead of a table.")
def status_command(catalogue: Path | None, db_url: str | None, show_all: bool, as_json: bool) -> None:
    """Show each catalogue source: due, running, broken (failing) or scheduled, with its
    next due time, current interval and last run; a source the scheduler has not run yet
    is due. Sources scheduled before but no longer in the catalogue are counted below the
    table (--all lists them as removed). With MONITOR_REDIS_URL set, also the distributed
    workers that polled the frontier in the last 10 seconds."""
    from monitor.db import connect
    from monitor.schedule.state import not_in_catalogue, now_utc, status_rows

    intervals = {s.name: float(s.poll_interval_minutes) for s in load_catalogue(catalogue)}
    engine = connect(db_url)
    rows = status_rows(engine, now_utc(), intervals, removed=show_all)
    if as_json:
        echo_jsonl(rows)
        return
    if rows:
        echo_table(["source", "state", "next due", "interval (min)", "last status", "stored", "failures", "error"],
                   [_status_cells(r) for r in rows])
    else:
        click.echo("No scheduled sources yet (start `monitor schedule`).")
    gone = [] if show_all else not_in_catalogue(engine, intervals)
    if gone:
        click.echo(f"\n{len(gone)} scheduled source(s) no longer in the catalogue, not shown (--all lists them): "
                   + ", ".join(gone))
    _echo_live_workers()


def _status_cells(row: dict[str, Any]) -> list[Any]:
    """A ``status_rows`` row as table cells: "now" for a source never scheduled, "-" for a removed one."""
    next_due = row["next_due"] or ("now" if row["state"] == "due" else "-")
    last_status = row["last_status"] or ("never scheduled" if not row["scheduled"] else "-")
    return [row["source"], row["state"], next_due, row["interval_minutes"], last_status, row["last_stored"],
            row["failures"], row["last_error"]]


def _echo_live_workers() -> None:
    """With MONITOR_REDIS_URL set: the distributed workers that polled the frontier in the last seconds."""
    from monitor.config import load_config

    url = load_config().redis_url
    if not url:
        return
    from monitor.distributed.keys import client, redis_prefix
    from monitor.distributed.presence import STALE_SECONDS, live_workers

    workers = live_workers(client(url), redis_prefix())
    click.echo(f"\nLive workers ({len(workers)}, heartbeat within {STALE_SECONDS:g} s): "
               + (", ".join(workers) if workers else "none"))


@click.command("worker")
@click.argument("sources", nargs=-1)
@CATALOGUE_OPTION
@click.option("--base-url", help="Replace {{REPLICA}} in catalogue URLs with this base URL (offline replicas).")
@DB_OPTION
@click.option("--redis", "redis_url", envvar="MONITOR_REDIS_URL", required=True,
              help="Redis URL of the shared crawl frontier (MONITOR_REDIS_URL).")
@click.option("--idle", type=click.FloatRange(min=0), default=10.0, show_default=True,
              help="Exit after the shared queues stay empty this many seconds (0: run until stopped).")
@click.option("--set", "settings", multiple=True, metavar="NAME=VALUE", help="Override a Scrapy setting.")
@click.pass_context
def worker_command(ctx: click.Context, sources: tuple[str, ...], catalogue: Path | None, base_url: str | None,
                   db_url: str | None, redis_url: str, idle: float, settings: tuple[str, ...]) -> None:
    """Crawl requests from the shared Redis frontier (seeded by `monitor crawl --distributed`).

    Run N workers on one or more machines: each pops requests from Redis, and all
    share the request dupefilter, the "seen" checks and the near-duplicate index,
    so every article is stored once. Prints one JSON object per source; exits 3 when a
    run had errors, as `monitor crawl` does, and 1 when the database or Redis is unreachable.
    SIGTERM/SIGINT: take no new requests, finish the in-flight ones, exit 0 (3 when a run had
    errors); a second signal stops at once.
    """
    from monitor.crawl.runner import run_sources
    from monitor.distributed.settings import worker_settings

    entries = load_catalogue(catalogue, base_url=base_url)
    chosen = [find_source(entries, name) for name in sources] if sources else entries
    check_services(ctx, db_url, redis_url)  # one line, not a traceback inside Scrapy, when one is down
    overrides: dict[str, object] = {"LOG_LEVEL": ctx.obj["log_level"], **parse_set_options(settings)}
    overrides.update(worker_settings(redis_url, idle_seconds=idle))
    if catalogue:
        overrides["MONITOR_CATALOGUE"] = str(catalogue)
    if db_url:
        overrides["MONITOR_DB_URL"] = db_url
    os.environ["MONITOR_REDIS_URL"] = redis_url  # the story index and store factories read it
    runs = list(run_sources(chosen, overrides))
    for run in runs:
        echo_json(run.as_dict())
    exit_if_runs_failed(ctx, runs)


COMMANDS = [schedule_command, status_command, worker_command]
