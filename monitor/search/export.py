"""``monitor export``: stream stored articles (optionally a search) as CSV, JSON Lines or Atom, no row cap."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, select

from monitor.dates import isoformat
from monitor.db.models import Article
from monitor.search.atom import write_feed
from monitor.search.fulltext import Filters, Hit, iter_search

FORMATS = ("csv", "jsonl", "atom")
FIELDS: dict[str, str] = {
    "id": "the article's id (`monitor story ID`)",
    "story_id": "the story it belongs to: the id of the story's first stored copy (its own id when it is the first)",
    "published": "publication time, ISO 8601 with offset; empty when the page gave no date",
    "source": "catalogue source name",
    "outlet": "the outlet's display name",
    "language": "ISO 639-1 code (und: undetermined)",
    "title": "headline",
    "url": "the URL it was fetched from",
    "topics": "topic ids (CSV: joined with '; ')",
    "canonical_url": "the URL it is stored under (tracking parameters removed)",
    "authors": "bylines (CSV: joined with '; ')",
    "fetched": "when it was first fetched, ISO 8601 with offset",
    "duplicate_of": "the id of the stored article it copies (exact or near duplicate); empty for an original",
    "text": "the extracted article text (only with --text)",
}
"""Every field an export carries, in CSV column order, with its meaning: the one list to read.

The first nine are the columns the CSV has always had; later fields are appended, never inserted,
so spreadsheets and scripts that read columns by position keep working. JSON Lines carries the same
keys (lists stay lists there).
"""
CSV_COLUMNS = [name for name in FIELDS if name != "text"]
LIST_SEPARATOR = "; "  # joins authors and topics in a CSV cell: a byline may hold a comma ("Smith, Jr.")
SUMMARY_CHARS = 300
EXTRA_BATCH = 500


def check_output(output: str) -> None:
    """Raise an ``OSError`` naming ``output`` and its folder when the export could not be written there.

    Why: the file is written beside ``output`` under a temporary name and renamed at the end, so the
    system's own error would name that temporary file, and only after the database was read.
    """
    folder = Path(os.path.realpath(output)).parent
    if not folder.exists():
        raise FileNotFoundError(f"{output}: cannot write there, directory {folder} does not exist")
    if not folder.is_dir():
        raise NotADirectoryError(f"{output}: cannot write there, {folder} is not a directory")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"{output}: cannot write there, directory {folder} is not writable")


def _extras(engine: Engine, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The stored fields search does not load (canonical URL, authors, duplicate_of, description), by id.

    Why here: ``StoredArticle`` carries what matching needs; an export needs the whole record.
    """
    with engine.connect() as connection:
        rows = connection.execute(
            select(Article.id, Article.canonical_url, Article.authors, Article.duplicate_of, Article.description)
            .where(Article.id.in_(ids)))
        return {row.id: row._asdict() for row in rows}


def _batches(hits: Iterable[Hit], size: int) -> Iterator[list[Hit]]:
    iterator = iter(hits)
    while batch := list(islice(iterator, size)):
        yield batch


def _summary(description: str | None, text: str) -> str:
    """The page's description, else the text's first ~SUMMARY_CHARS characters cut at a word."""
    if description and description.strip():
        return description.strip()
    text = " ".join(text.split())
    if len(text) <= SUMMARY_CHARS:
        return text
    cut = text[:SUMMARY_CHARS].rsplit(" ", 1)[0] or text[:SUMMARY_CHARS]
    return cut + "…"


def _rows(engine: Engine, query: str | None, filters: Filters, with_text: bool) -> Iterator[dict[str, Any]]:
    """Every matching article as a dict of FIELDS (dates as ISO 8601 strings), plus ``summary`` for Atom."""
    for batch in _batches(iter_search(engine, query or None, filters), EXTRA_BATCH):
        extras = _extras(engine, [hit.article.id for hit in batch])
        for hit in batch:
            article, extra = hit.article, extras.get(hit.article.id, {})
            row = {**article.to_dict(), "published": isoformat(article.published),
                   "canonical_url": extra.get("canonical_url"), "authors": list(extra.get("authors") or []),
                   "fetched": isoformat(article.fetched), "duplicate_of": extra.get("duplicate_of")}
            row = {name: row[name] for name in CSV_COLUMNS}
            if with_text:
                row["text"] = article.text
            yield row | {"summary": _summary(extra.get("description"), article.text)}


def _csv_cell(value: Any) -> Any:
    return LIST_SEPARATOR.join(value) if isinstance(value, list) else value


def feed_title(query: str | None, filters: Filters) -> str:
    """The Atom feed's title: the query and every filter, so two exports are told apart in a reader."""
    parts = [f"{name} {', '.join(values)}" for name, values in
             (("source", filters.sources), ("lang", filters.languages), ("topic", filters.topics)) if values]
    parts += [f"{name} {isoformat(value)}" for name, value in (("since", filters.since), ("until", filters.until))
              if value]
    return f"monitor export: {query or 'all'}" + (f" ({'; '.join(parts)})" if parts else "")


def export(engine: Engine, out: IO[str], fmt: str, *, query: str | None = None, filters: Filters = Filters(),
           with_text: bool = False) -> int:
    """Write every matching article to ``out`` in ``fmt`` (the FIELDS); returns the number written."""
    if fmt not in FORMATS:
        raise ValueError(f"export format {fmt!r}: expected one of {', '.join(FORMATS)}")
    rows = _rows(engine, query, filters, with_text)
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, CSV_COLUMNS + (["text"] if with_text else []), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({name: _csv_cell(value) for name, value in row.items()})
            count += 1
    elif fmt == "jsonl":
        for row in rows:
            row.pop("summary")
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    else:
        entries = ({"id": f"urn:monitor:article:{r['id']}", "title": r["title"], "url": r["url"],
                    "published": r["published"], "source": r["source"], "authors": r["authors"],
                    "summary": r["summary"]} for r in rows)
        count = write_feed(out, feed_id=f"urn:monitor:export:{query or 'all'}", title=feed_title(query, filters),
                           entries=entries)
    out.flush()
    return count
