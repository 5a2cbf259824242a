"""``monitor search`` and ``monitor export``: the query language over stored articles."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from monitor.cli.articles import parse_since
from monitor.cli.filters import check_sources, check_topics, normalize_languages
from monitor.cli.output import echo_jsonl, echo_table
from monitor.cli.options import DB_OPTION


def _filters(engine, since, languages, topics, sources, query=None):
    """The filters of the command line, checked: an unknown source (an option's or a ``source:`` term of
    ``query``'s) is an error, not an empty result."""
    from monitor.queries import known_sources
    from monitor.search import Filters
    from monitor.topics import compile_query

    since_time = parse_since(since)
    check_sources(engine, sources)
    if query and "source:" in query:
        compile_query(query, sources=known_sources(engine))
    return Filters(since=since_time, languages=tuple(languages), topics=tuple(topics), sources=tuple(sources))


COMMON = [
    click.option("--since", help="Published (undated: first fetched) since: 7d, 24h, 2w or a date."),
    click.option("--lang", "languages", multiple=True, callback=normalize_languages,
                 help="Language (ISO 639-1; FR and fr-FR mean fr; repeatable)."),
    click.option("--topic", "topics", multiple=True, callback=check_topics, help="Topic id (repeatable)."),
    click.option("--source", "sources", multiple=True, help="Source name (repeatable)."),
    DB_OPTION,
]


def _common(f):
    for option in reversed(COMMON):
        f = option(f)
    return f


@click.command("search")
@click.argument("query")
@_common
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Results per page.")
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True, help="Page number.")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines with evidence and snippets.")
def search_command(query, since, languages, topics, sources, db_url, limit, page, as_json):
    """Full-text search with the alert query language, ranked and paged."""
    from monitor.db import connect
    from monitor.search import search

    engine = connect(db_url)
    hits = search(engine, query, _filters(engine, since, languages, topics, sources, query), limit=limit,
                  offset=(page - 1) * limit)
    if as_json:
        echo_jsonl({**h.to_dict(), "published": h.article.published.isoformat() if h.article.published else None}
                   for h in hits)
        return
    echo_table(["id", "published", "source", "lang", "title", "snippet"],
               [[h.article.id, h.article.published.isoformat() if h.article.published else "", h.article.source,
                 h.article.language, h.article.title, (h.snippets(1) or [""])[0]] for h in hits], max_width=60)


def write_atomically(output: str, write) -> int:
    """Call ``write(file)`` on a temporary file beside ``output`` and rename it over ``output`` on success.

    Why: a failure half-way (bad query, database error, Ctrl-C) must leave the previous file
    as it was, not truncated; the rename replaces it in one step.
    """
    target = Path(os.path.realpath(output))  # a symlink's target is replaced, not the link
    if target.exists() and not target.is_file():  # /dev/stdout, a FIFO: nothing to keep, write straight in
        with open(target, "w", encoding="utf-8", newline="") as out:
            return write(out)
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            count = write(out)
        if target.exists():
            os.chmod(temp, target.stat().st_mode & 0o7777)
        else:  # a new file gets the usual permissions, not mkstemp's 0600
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temp, 0o666 & ~umask)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return count


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "atom"]), default="jsonl", show_default=True,
              help="Output format.")
@click.option("--query", help="Only articles matching this query.")
@_common
@click.option("--text/--no-text", "with_text", default=False, help="Include article text.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="File (default: stdout); replaced only when the export succeeds.")
def export_command(fmt, query, since, languages, topics, sources, db_url, with_text, output):
    """Stream stored articles as CSV, JSON Lines or Atom (no row cap)."""
    from monitor.db import connect
    from monitor.search.export import check_output, export
    from monitor.topics import compile_query

    if query:
        compile_query(query)  # a syntax error must not touch the output file
    if output:
        check_output(output)  # names the user's path, not the temporary file, before the database is read
    engine = connect(db_url)
    filters = _filters(engine, since, languages, topics, sources, query)
    if output:
        count = write_atomically(output, lambda out: export(engine, out, fmt, query=query, filters=filters,
                                                            with_text=with_text))
        click.echo(f"{count} articles written to {output}", err=True)
    else:
        export(engine, sys.stdout, fmt, query=query, filters=filters, with_text=with_text)


COMMANDS = [search_command, export_command]
