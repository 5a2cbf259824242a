"""``monitor articles``: what is stored, filtered."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import click

from monitor.cli.output import echo_json, echo_jsonl, echo_table
from monitor.dates import isoformat, parse_datetime
from monitor.cli.options import DB_OPTION

RELATIVE = re.compile(r"^(\d+)([hdw])$")


def parse_since(value: str | None) -> datetime | None:
    """``7d``, ``24h``, ``2w`` or an ISO date/time; raises BadParameter naming the value."""
    if not value:
        return None
    match = RELATIVE.match(value.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        delta = {"h": timedelta(hours=amount), "d": timedelta(days=amount), "w": timedelta(weeks=amount)}[unit]
        return datetime.now(timezone.utc) - delta
    parsed = parse_datetime(value)
    if parsed is None:
        raise click.BadParameter(f"{value!r}: expected a date (2024-03-01), a time, or 7d / 24h / 2w",
                                 param_hint="--since")
    return parsed


@click.command("articles")
@click.option("--topic", help="Only articles tagged with this topic id (e.g. nato-iraq-mission).")
@click.option("--lang", "language", help="Only articles in this language (ISO 639-1).")
@click.option("--source", help="Only articles from this source.")
@click.option("--since", help="Published since: 7d, 24h, 2w or a date.")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True, help="At most this many (0: no limit).")
@click.option("--all-copies", is_flag=True, help="List every copy instead of one line per story.")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one article per line.")
@DB_OPTION
def articles_command(topic: str | None, language: str | None, source: str | None, since: str | None, limit: int,
                     all_copies: bool, as_json: bool, db_url: str | None) -> None:
    """List stored articles newest first, one line per story ("also in N outlets")."""
    from monitor.db import connect
    from monitor.queries import list_articles

    engine = connect(db_url)
    if source:
        from sqlalchemy import select

        from monitor.db.models import Source

        with engine.connect() as connection:
            if connection.execute(select(Source.id).where(Source.name == source)).first() is None:
                raise click.BadParameter(f"unknown source {source!r}: nothing has been crawled from it",
                                         param_hint="--source")
    rows = list_articles(engine, topic=topic, language=language, source=source,
                         since=parse_since(since), limit=limit or None, group_stories=not all_copies)
    if as_json:
        echo_jsonl({**r, "published": isoformat(r["published"]), "fetched": isoformat(r["fetched"])} for r in rows)
        return
    echo_table(["published", "source", "lang", "title", "topics", "also in"],
               [[isoformat(r["published"]) or "", r["source"], r["language"], r["title"],
                 ", ".join(t["id"] for t in r["topics"]),
                 f"{r['also_in']} outlet(s)" if r.get("also_in") else ""] for r in rows], max_width=60)


@click.command("story")
@click.argument("id_or_url")
@click.option("--json", "as_json", is_flag=True, help="Print the story as JSON.")
@DB_OPTION
def story_command(id_or_url: str, as_json: bool, db_url: str | None) -> None:
    """Show the story an article belongs to: outlets, first seen, every copy and its similarity."""
    from monitor.db import connect
    from monitor.stories import story_of

    story = story_of(connect(db_url), id_or_url)
    if as_json:
        echo_json(story)
        return
    click.echo(f"story {story['story_id']}: {story['original']['title']}")
    click.echo(f"first seen {isoformat(story['first_seen'])}; {len(story['copies'])} copies in "
               f"{len(story['outlets'])} outlet(s): {', '.join(story['outlets'])}\n")
    echo_table(["id", "source", "published", "similarity", "title"],
               [[c["id"], c["source"], isoformat(c["published"]) or "",
                 "original" if c["id"] == story["original"]["id"] else c["similarity"], c["title"]]
                for c in story["copies"]], max_width=60)


COMMANDS = [articles_command, story_command]
