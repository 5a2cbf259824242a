"""``monitor articles``: what is stored, filtered."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import click

from monitor.cli.filters import check_sources, check_topics, normalize_languages
from monitor.cli.output import echo_json, echo_jsonl, echo_table
from monitor.dates import isoformat, parse_datetime
from monitor.cli.options import DB_OPTION

RELATIVE = re.compile(r"^(\d+)([hdw])$")
MAX_ID = 2**63 - 1  # the largest integer key SQLite and PostgreSQL (bigint) store


def parse_since(value: str | None, param_hint: str = "--since") -> datetime | None:
    """``7d``, ``24h``, ``2w`` or an ISO date/time (any real date: 1985-01-01 and 2030-01-01 are fine);
    raises BadParameter naming the value and why it is refused."""
    if not value:
        return None
    match = RELATIVE.match(value.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        try:
            delta = {"h": timedelta(hours=amount), "d": timedelta(days=amount), "w": timedelta(weeks=amount)}[unit]
            return datetime.now(timezone.utc) - delta
        except OverflowError:
            raise click.BadParameter(f"{value!r}: reaches back before the year 1", param_hint=param_hint) from None
    parsed = parse_datetime(value, plausible=False)
    if parsed is None:
        raise click.BadParameter(f"{value!r}: expected a date with a four-digit year (2024-03-01), a time "
                                 "(2024-03-01T09:30), or 7d / 24h / 2w", param_hint=param_hint)
    return parsed


@click.command("articles")
@click.option("--topic", callback=check_topics,
              help="Only articles tagged with this topic id (e.g. nato-iraq-mission).")
@click.option("--lang", "languages", multiple=True, callback=normalize_languages,
              help="Only articles in this language (ISO 639-1; FR and fr-FR mean fr; repeatable).")
@click.option("--source", help="Only articles from this source.")
@click.option("--since", help="Published (undated: first fetched) since: 7d, 24h, 2w or a date.")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True, help="At most this many (0: no limit).")
@click.option("--all-copies", is_flag=True, help="List every copy instead of one line per story.")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one article per line.")
@DB_OPTION
def articles_command(topic: str | None, languages: tuple[str, ...], source: str | None, since: str | None,
                     limit: int, all_copies: bool, as_json: bool, db_url: str | None) -> None:
    """List stored articles newest first, one line per story ("also in N outlets")."""
    from monitor.db import connect
    from monitor.queries import list_articles

    since_time = parse_since(since)
    engine = connect(db_url)
    if source:
        check_sources(engine, [source])
    rows = list_articles(engine, topic=topic, language=languages, source=source,
                         since=since_time, limit=limit or None, group_stories=not all_copies)
    if as_json:
        echo_jsonl({**r, "published": isoformat(r["published"]), "fetched": isoformat(r["fetched"])} for r in rows)
        return
    echo_table(["id", "published", "source", "lang", "title", "topics", "also in"],
               [[r["id"], isoformat(r["published"]) or "", r["source"], r["language"], r["title"],
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

    number = id_or_url.strip()
    if number.isascii() and number.isdigit() and int(number) > MAX_ID:  # SQLite would overflow, not say "none"
        raise LookupError(f"no stored article {id_or_url!r} (ids are at most {MAX_ID})")
    story = story_of(connect(db_url), id_or_url)
    if as_json:
        echo_json(story)
        return
    click.echo(f"story {story['story_id']}: {story['original']['title']}")
    click.echo(f"first seen {isoformat(story['first_seen'])}; {len(story['copies'])} copies in "
               f"{len(story['outlets'])} outlet(s): {', '.join(story['outlets'])}\n")
    echo_table(["id", "source", "published", "similarity", "title"],
               [[c["id"], c["source"], isoformat(c["published"]) or "", _copy_label(c, story), c["title"]]
                for c in story["copies"]], max_width=60)


def _copy_label(copy: dict, story: dict) -> str:
    """What the similarity column says of one copy: the original (first published), the first stored copy the
    others were compared with (when it is not the original), or the similarity to that first stored copy.

    An original that is itself a later-stored copy says both ("original · 0.75"): its similarity is what
    joined it to the story, as on the dashboard's story page."""
    similarity = "" if copy.get("similarity") is None else f"{copy['similarity']:.2f}"
    if copy["id"] == story["original"]["id"]:
        return f"original · {similarity}" if similarity else "original"
    if copy["id"] == story["story_id"]:
        return "first stored"
    return similarity


COMMANDS = [articles_command, story_command]
