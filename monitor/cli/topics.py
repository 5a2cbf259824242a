"""``monitor topics``: the taxonomy, its quality on labelled data, and its effect on stored articles."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from monitor.cli.articles import parse_since
from monitor.cli.output import MonitorError, echo_json, echo_jsonl, echo_table
from monitor.dates import isoformat
from monitor.cli.options import DB_OPTION



@click.group("topics")
def topics_group() -> None:
    """The topic taxonomy: list, inspect, evaluate, backtest, re-tag."""


def _taxonomy():
    from monitor.topics import Taxonomy

    return Taxonomy.default()


@topics_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one topic per line.")
def list_command(as_json: bool) -> None:
    """Every topic with its parent and the languages its terms cover."""
    topics = sorted(_taxonomy().topics.values(), key=lambda t: t.id)
    if as_json:
        echo_jsonl({"id": t.id, "name": t.name, "parent": t.parent, "languages": sorted(t.languages)} for t in topics)
        return
    echo_table(["id", "name", "parent", "languages"],
               [[t.id, t.name, t.parent or "", " ".join(sorted(t.languages))] for t in topics])


@topics_group.command("show")
@click.argument("topic_id")
def show_command(topic_id: str) -> None:
    """One topic's definition: query, weighted terms, threshold, exclusions, hierarchy."""
    taxonomy = _taxonomy()
    topic = taxonomy.topics.get(topic_id)
    if topic is None:
        raise MonitorError(f"unknown topic {topic_id!r} (see `monitor topics list`)")
    echo_json({
        "id": topic.id, "name": topic.name, "description": topic.description, "parent": topic.parent,
        "ancestors": taxonomy.ancestors(topic.id), "children": taxonomy.children(topic.id), "query": topic.query,
        "terms": dict(topic.terms), "threshold": topic.threshold, "exclude": list(topic.exclude),
        "languages": sorted(topic.languages), "file": Path(topic.path).name,
    }, pretty=True)


@topics_group.command("test")
@click.argument("topic_id")
@click.option("--labels", "labels", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help='JSON Lines: {"id","title","text","language","topics":[...]} per line.')
def test_command(topic_id: str, labels: Path) -> None:
    """Precision and recall of one topic on a labelled file; lists the misses."""
    from monitor.enrich import default_tagger
    from monitor.topics import Document

    if topic_id not in _taxonomy().topics:
        raise MonitorError(f"unknown topic {topic_id!r} (see `monitor topics list`)")
    tagger = default_tagger()
    tp = fp = fn = 0
    misses: list[dict[str, str]] = []
    for number, line in enumerate(labels.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            document = Document(title=row.get("title", ""), text=row["text"], language=row.get("language", ""))
            expected = topic_id in row.get("topics", [])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise MonitorError(f"{labels}: line {number}: expected an object with 'text' ({exc})") from exc
        got = any(hit.id == topic_id for hit in tagger.tag(document))
        tp, fp, fn = tp + (got and expected), fp + (got and not expected), fn + (expected and not got)
        if got != expected:
            misses.append({"id": str(row.get("id", number)), "kind": "false positive" if got else "false negative"})
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    echo_json({"topic": topic_id, "precision": round(precision, 4), "recall": round(recall, 4),
               "true_positives": tp, "false_positives": fp, "false_negatives": fn, "misses": misses}, pretty=True)


@topics_group.command("backtest")
@click.argument("query")
@click.option("--since", default="30d", show_default=True, help="How far back: 30d, 2w, 24h or a date.")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines with evidence.")
@DB_OPTION
def backtest_command(query: str, since: str, as_json: bool, db_url: str | None) -> None:
    """What QUERY (in the query language) would have matched among stored articles."""
    from monitor.db import connect
    from monitor.topics import compile_query
    from monitor.topics.stored import backtest

    compiled = compile_query(query)  # a syntax error names line and column
    matches = newest_first(backtest(connect(db_url), compiled, since=parse_since(since)))
    if as_json:
        echo_jsonl({**m, "published": isoformat(m["published"])} for m in matches)
        return
    rows = [[m["id"], isoformat(m["published"]) or "", m["source"], m["language"], m["title"]] for m in matches]
    echo_table(["id", "published", "source", "lang", "title"], rows)
    click.echo(f"\n{len(rows)} matching article(s).")


def newest_first(matches: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """``matches`` by published time, newest first, undated last, ties newest stored (highest id) first.

    Why: ``backtest`` scans in id order (storage order, not publication order), while a reader scans a
    listing from the top as ``monitor articles`` shows it.  The matches of one window fit in memory.
    """
    return sorted(matches, key=lambda m: (m["published"] is not None, _utc(m["published"]), m["id"]), reverse=True)


def _utc(value: datetime | None) -> datetime:
    """Comparable: naive (SQLite) times are UTC; None sorts below every date."""
    if value is None:
        return datetime.min.replace(tzinfo=timezone.utc)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


@topics_group.command("retag")
@click.option("--batch-size", type=click.IntRange(min=1), default=200, show_default=True)
@click.option("--limit", type=click.IntRange(min=1), help="Stop after this many articles (resume later).")
@DB_OPTION
def retag_command(batch_size: int, limit: int | None, db_url: str | None) -> None:
    """Re-tag stored articles tagged by another taxonomy version; batched and resumable."""
    from monitor.db import connect
    from monitor.enrich import default_tagger
    from monitor.topics.stored import retag

    progress = retag(connect(db_url), default_tagger(), batch_size=batch_size, limit=limit)
    echo_json({"retagged": progress.retagged, "remaining": progress.remaining, "taxonomy_version": progress.version})


COMMANDS = [topics_group]
