"""``monitor export``: stream stored articles (optionally a search) as CSV, JSON Lines or Atom, no row cap."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine

from monitor.search.atom import write_feed
from monitor.search.fulltext import Filters, iter_search

FORMATS = ("csv", "jsonl", "atom")
CSV_COLUMNS = ["id", "story_id", "published", "source", "outlet", "language", "title", "url", "topics"]


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


def _rows(engine: Engine, query: str | None, filters: Filters, with_text: bool) -> Iterator[dict[str, Any]]:
    for hit in iter_search(engine, query or None, filters):
        row = hit.article.to_dict()
        row["published"] = row["published"].isoformat() if row["published"] else None
        if with_text:
            row["text"] = hit.article.text
        yield row


def export(engine: Engine, out: IO[str], fmt: str, *, query: str | None = None, filters: Filters = Filters(),
           with_text: bool = False) -> int:
    """Write every matching article to ``out`` in ``fmt``; returns the number written."""
    if fmt not in FORMATS:
        raise ValueError(f"export format {fmt!r}: expected one of {', '.join(FORMATS)}")
    rows = _rows(engine, query, filters, with_text)
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, CSV_COLUMNS + (["text"] if with_text else []), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "topics": " ".join(row["topics"])})
            count += 1
    elif fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    else:
        entries = ({"id": f"urn:monitor:article:{r['id']}", "title": r["title"], "url": r["url"],
                    "published": r["published"], "source": r["source"],
                    "summary": (r.get("text") or "")[:500]} for r in rows)
        count = write_feed(out, feed_id=f"urn:monitor:export:{query or 'all'}", title=f"monitor export: {query or 'all'}",
                           entries=entries)
    out.flush()
    return count
