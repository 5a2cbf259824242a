"""``monitor sources``: the catalogue and the health of each outlet."""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from monitor.catalogue import (Source, catalogue_path, check_catalogue, find_source, load_catalogue,
                               load_valid_entries, read_entries)
from monitor.cli.output import MonitorError, echo_json, echo_table
from monitor.cli.options import DB_OPTION

CATALOGUE_OPTION = click.option(
    "--catalogue", type=click.Path(dir_okay=False, path_type=Path), envvar="MONITOR_CATALOGUE",
    help="Catalogue file (default: MONITOR_CATALOGUE or the bundled catalogue).")
NOT_IN_CATALOGUE = "not in catalogue"  # stored articles or crawl runs, but no entry in this catalogue


def _health(db_url: str | None, kinds: dict[str, str]) -> dict[str, Any]:
    """``source_health`` of each source in ``kinds`` (name to kind: the reasons say "the feed failed")."""
    from monitor.catalogue.health import source_health
    from monitor.db import connect

    return source_health(connect(db_url, create=False), list(kinds), kinds=kinds)


def _stored(db_url: str | None) -> dict[str, dict[str, Any]]:
    """The sources the database has rows for (``monitor.catalogue.health.stored_sources``)."""
    from monitor.catalogue.health import stored_sources
    from monitor.db import connect

    return stored_sources(connect(db_url, create=False))


def _from_group(ctx: click.Context, name: str, value: Any) -> Any:
    """Option ``name`` of a subcommand, or the group's when it was given there: ``monitor sources
    --catalogue FILE check`` checks FILE, as ``monitor sources check --catalogue FILE`` does.

    Given on both sides with different values, the command is ambiguous: a usage error naming both.
    """
    group = ctx.parent
    if group is None or group.get_parameter_source(name) != ParameterSource.COMMANDLINE:
        return value
    given = group.params[name]
    if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE and value != given:
        flag = next(p.opts[0] for p in ctx.command.params if p.name == name)
        raise click.UsageError(f"{flag} given twice, {given} before `{ctx.info_name}` and {value} after it: "
                               "give it once")
    return given


@click.group("sources", invoke_without_command=True)
@CATALOGUE_OPTION
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source.")
@click.pass_context
def sources_group(ctx: click.Context, catalogue: Path | None, db_url: str | None, as_json: bool) -> None:
    """The source catalogue and each source's health (same as `monitor sources list`).

    --catalogue, --db and --json given here apply to the subcommand too.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_command, catalogue=catalogue, db_url=db_url, as_json=as_json)


@sources_group.command("list")
@CATALOGUE_OPTION
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source.")
@click.pass_context
def list_command(ctx: click.Context, catalogue: Path | None, db_url: str | None, as_json: bool) -> None:
    """List sources with kind, languages, status, last success and articles per day.

    Sources the database has articles or crawl runs for but the catalogue lacks (crawled from
    another catalogue, or removed from this one) are listed too, marked "not in catalogue".
    """
    catalogue, db_url = _from_group(ctx, "catalogue", catalogue), _from_group(ctx, "db_url", db_url)
    as_json = _from_group(ctx, "as_json", as_json)
    sources, problems = load_valid_entries(catalogue)  # one entry being edited must not blank the view
    entries = {s.name: {"outlet": s.outlet, "kind": s.kind, "languages": list(s.languages),
                        "poll_interval_minutes": s.poll_interval_minutes, "in_catalogue": True} for s in sources}
    for name, stored in _stored(db_url).items():
        entries.setdefault(name, {"outlet": stored.get("outlet", name), "kind": stored.get("kind", "-"),
                                  "languages": stored.get("languages", []), "poll_interval_minutes": None,
                                  "in_catalogue": False})
    health = _health(db_url, {name: entry["kind"] for name, entry in entries.items()})
    rows = []
    for name, entry in entries.items():
        h = health[name].as_dict()
        if not entry["in_catalogue"]:
            h["reasons"] = [NOT_IN_CATALOGUE] + h["reasons"]
        rows.append({"name": name, **entry, **h})
    if as_json:
        for row in rows:
            echo_json(row)
    else:
        echo_table(["name", "kind", "languages", "status", "last success", "articles/day", "reasons"],
                   [[r["name"], r["kind"], ",".join(r["languages"]), r["status"],
                     r["last_success"].isoformat(timespec="minutes") if r["last_success"] else "-",
                     r["articles_per_day"], "; ".join(r["reasons"])] for r in rows], max_width=60)
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        raise MonitorError(f"{len(problems)} invalid catalogue entr{'y' if len(problems) == 1 else 'ies'} "
                           "left out above (crawls refuse the file until it is fixed: `monitor sources check`)")


@sources_group.command("show")
@click.argument("name")
@CATALOGUE_OPTION
@DB_OPTION
@click.pass_context
def show_command(ctx: click.Context, name: str, catalogue: Path | None, db_url: str | None) -> None:
    """Print one source's catalogue entry and health as JSON (for a source only the database knows:
    what it stored about it, with "in_catalogue": false)."""
    catalogue, db_url = _from_group(ctx, "catalogue", catalogue), _from_group(ctx, "db_url", db_url)
    sources = load_catalogue(catalogue)
    if any(s.name == name for s in sources):
        entry = {**asdict(find_source(sources, name)), "in_catalogue": True}
    else:
        stored = _stored(db_url)
        if name not in stored:
            find_source(sources, name)  # raises: unknown source, with the catalogue's names
        entry = {"name": name, **stored[name], "in_catalogue": False}
    entry["health"] = _health(db_url, {name: entry.get("kind", "")})[name].as_dict()
    echo_json(entry, pretty=True)


@sources_group.command("check")
@click.argument("name", required=False)
@CATALOGUE_OPTION
@click.option("--fixtures", type=click.Path(file_okay=False, path_type=Path), envvar="MONITOR_FIXTURES",
              help="Also note entries without a replica fixture in this directory (always done, in "
                   "tests/fixtures/outlets, for the bundled catalogue).")
@click.pass_context
def check_command(ctx: click.Context, name: str | None, catalogue: Path | None, fixtures: Path | None) -> None:
    """Validate catalogue entries (all, or NAME): fields, selectors, spider kinds, fixtures."""
    from spiders.kinds import spider_class_for

    path = Path(_from_group(ctx, "catalogue", catalogue) or catalogue_path())
    if not read_entries(path):  # a file that cannot be read is one error naming it, not "1 invalid entry"
        raise MonitorError(f"{path}: no [[source]] entries")
    problems = check_catalogue(path)
    notes: list[str] = []
    if not problems:
        sources = load_catalogue(path)
        chosen = [find_source(sources, name)] if name else sources
        for source in chosen:
            if source.kind != "module":
                try:
                    spider_class_for(source)
                except ValueError as exc:
                    problems.append(str(exc))
        notes = _missing_fixtures(path, chosen, fixtures)
    elif name:
        problems = [p for p in problems if f"({name})" in p] or problems
    for note in notes:
        click.echo(f"note: {note}", err=True)
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        raise MonitorError(f"{len(problems)} invalid catalogue entr{'y' if len(problems) == 1 else 'ies'}")
    click.echo(f"{path}: {'entry ' + name if name else 'all entries'} valid")


def _missing_fixtures(path: Path, sources: list[Source], fixtures: Path | None) -> list[str]:
    """A note per source without a replica fixture: for the bundled catalogue (its tests crawl every
    outlet's fixture) or with --fixtures DIR; a deployment's own catalogue has no fixtures to miss."""
    from monitor.catalogue import BUNDLED_CATALOGUE
    from monitor.catalogue.fixtures import fixture_path

    if fixtures is None and path.resolve() != BUNDLED_CATALOGUE.resolve():
        return []
    return [f"{s.name}: no replica fixture at {fixture_path(s.name, fixtures)} (tests will fail)"
            for s in sources if not fixture_path(s.name, fixtures).is_dir()]


@sources_group.command("test")
@click.argument("name")
@CATALOGUE_OPTION
@click.option("--fixtures", type=click.Path(file_okay=False, path_type=Path), envvar="MONITOR_FIXTURES",
              help="Outlet fixtures directory (default: tests/fixtures/outlets).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def test_command(ctx: click.Context, name: str, catalogue: Path | None, fixtures: Path | None,
                 as_json: bool) -> None:
    """Crawl NAME's replica fixture offline (loopback, temporary database) and report field coverage."""
    from monitor.catalogue.coverage import test_source

    source = find_source(load_catalogue(_from_group(ctx, "catalogue", catalogue)), name)
    with tempfile.TemporaryDirectory() as tmp:
        report = test_source(source, fixtures, db_url=f"sqlite:///{Path(tmp) / 'test.sqlite'}",
                             log_level=ctx.obj["log_level"])
    if as_json:
        echo_json(report, pretty=True)
    else:
        click.echo(f"{name}: {report['articles']} articles from {report['fixture']}")
        echo_table(["field", "coverage"], [[k, f"{v:.0%}"] for k, v in report["coverage"].items()])
    if report["problems"]:
        raise MonitorError("; ".join(report["problems"]))


@sources_group.command("add")
@click.argument("name")
@click.option("--feed", "feed_url", help="The outlet's RSS/Atom feed URL (kind feed).")
@click.option("--kind", type=click.Choice(["feed", "sitemap", "wordpress", "listing"]), default=None,
              help="Spider kind (default: feed with --feed, otherwise required).")
@click.option("--start-url", "start_urls", multiple=True, help="Start URL (sitemap, API endpoint, listing page).")
@click.option("--outlet", help="The outlet's display name (default: NAME).")
@click.option("--language", "languages", multiple=True, help="ISO 639-1 code the outlet publishes in (repeatable).")
@click.option("--homepage", help="The outlet's homepage URL.")
@click.option("--poll", "poll_interval_minutes", type=int, default=None, help="Minutes between crawls.")
@click.option("--selector", "selectors", multiple=True, metavar="FIELD=SELECTOR",
              help="CSS/XPath selector for a field (title, authors, published, text, teaser, ...).")
@click.option("--paywall", is_flag=True, help="The outlet is (partly) paywalled.")
@click.option("--new", "create", is_flag=True,
              help="Start the catalogue file if it does not exist (otherwise a missing file is an error).")
@CATALOGUE_OPTION
@click.pass_context
def add_command(ctx: click.Context, name: str, feed_url: str | None, kind: str | None, start_urls: tuple[str, ...], outlet: str | None,
                languages: tuple[str, ...], homepage: str | None, poll_interval_minutes: int | None,
                selectors: tuple[str, ...], paywall: bool, create: bool, catalogue: Path | None) -> None:
    """Add a source entry to the catalogue file, validated (one command for an outlet with a feed)."""
    from monitor.catalogue import BUNDLED_CATALOGUE
    from monitor.catalogue.write import append_entry

    urls = ([feed_url] if feed_url else []) + list(start_urls)
    if not urls:
        raise click.UsageError("give --feed URL or --start-url URL")
    entry: dict[str, Any] = {"name": name, "outlet": outlet or name, "kind": kind or ("feed" if feed_url else ""),
                             "start_urls": urls}
    if languages:
        entry["languages"] = list(languages)
    if homepage:
        entry["homepage"] = homepage
    if poll_interval_minutes is not None:
        entry["poll_interval_minutes"] = poll_interval_minutes
    if paywall:
        entry["paywall"] = True
    if selectors:
        pairs = [s.partition("=") for s in selectors]
        if any(not sep or not key for key, sep, _ in pairs):
            raise click.BadParameter("expected FIELD=SELECTOR", param_hint="--selector")
        entry["selectors"] = {key: value for key, _, value in pairs}
    path = Path(_from_group(ctx, "catalogue", catalogue) or catalogue_path())
    existing = load_catalogue(path) if path.exists() else []
    source = append_entry(path, entry, create=create)
    for other in existing:
        shared = sorted(set(map(_comparable, other.start_urls)) & set(map(_comparable, source.start_urls)))
        if shared:
            click.echo(f"warning: {source.name} shares {', '.join(shared)} with source {other.name}: "
                       "the outlet is crawled twice and its articles are stored under whichever source "
                       "gets there first", err=True)
    if path.resolve() == BUNDLED_CATALOGUE.resolve():
        click.echo("note: added to the bundled catalogue; add a fixture under tests/fixtures/outlets/"
                   f"{source.name}/ (see docs/adding-an-outlet.md)", err=True)
    click.echo(f"{path}: added {source.name} ({source.kind}, {', '.join(source.start_urls)})")


@sources_group.command("remove")
@click.argument("name")
@CATALOGUE_OPTION
@click.pass_context
def remove_command(ctx: click.Context, name: str, catalogue: Path | None) -> None:
    """Remove source NAME's entry from the catalogue file (its comments go with it; the rest stays as written).

    Crawls and the scheduler stop fetching it; what it stored stays in the database, listed by
    `monitor sources` as "not in catalogue" (and by `monitor status --all` as removed).
    """
    from monitor.catalogue.write import remove_entry

    path = Path(_from_group(ctx, "catalogue", catalogue) or catalogue_path())
    source = remove_entry(path, name)
    click.echo(f"{path}: removed {source.name} ({source.kind}, {', '.join(source.start_urls)}); "
               "what it stored stays in the database")


def _comparable(url: str) -> str:
    """``url`` canonicalised, so two spellings of one feed URL compare equal."""
    from monitor.urls import InvalidURLError, canonicalize_url

    try:
        return canonicalize_url(url)
    except InvalidURLError:
        return url


COMMANDS = [sources_group]
