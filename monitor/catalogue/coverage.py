"""Testing a source against its replica fixture: crawl it offline, then compare with ``expected.json``.

``monitor sources test NAME`` and ``tests/test_outlets.py`` share this module, so
an operator sees the same verdict the test suite gives. A fixture directory
holds the outlet's pages under their real URL paths plus ``expected.json``:
``{"articles": [{"path", "title", "authors", "published", "language"}]}``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from monitor.catalogue import CatalogueError, Source, offline
from monitor.catalogue.fixtures import FixtureServer, fixture_path, fixtures_dir

FIELDS = ("title", "authors", "published", "text", "language")
# Our own loopback server: no politeness delays needed.
OFFLINE_SETTINGS: dict[str, Any] = {"AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
                                    "DOWNLOAD_DELAY": 0}


def offline_source(source: Source, base_url: str) -> Source:
    """``offline(source, base_url)`` without the outlet's politeness delays (the server is ours)."""
    return replace(offline(source, base_url), politeness={})


def load_expected(name: str, root: Path | None = None) -> list[dict[str, Any]]:
    """The articles a source's fixture should yield; a clear error when the fixture is missing."""
    directory = fixture_path(name, root)
    if not directory.is_dir():
        raise CatalogueError(f"source {name!r} has no replica fixture: create {directory}/ mirroring the outlet's "
                             "URL paths, with expected.json (see docs/adding-an-outlet.md)")
    path = directory / "expected.json"
    if not path.is_file():
        raise CatalogueError(f"source {name!r}: {path} is missing (the articles the fixture should yield)")
    try:
        articles = json.loads(path.read_text(encoding="utf-8"))["articles"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CatalogueError(f"{path}: expected {{\"articles\": [...]}} ({exc})") from exc
    return articles


def stored_articles(engine: Engine, name: str) -> dict[str, dict[str, Any]]:
    """The stored articles of source ``name`` by URL path (host and the fixture prefix removed)."""
    from urllib.parse import urlsplit

    from monitor.db.models import Article, ArticleTopic
    from monitor.db.models import Source as SourceRow

    with engine.connect() as connection:
        rows = connection.execute(
            select(Article).join(SourceRow, SourceRow.id == Article.source_id).where(SourceRow.name == name)
        ).mappings().all()
        topics = connection.execute(select(ArticleTopic.article_id, ArticleTopic.topic_id)).all()
    tags: dict[int, list[str]] = {}
    for article_id, topic in topics:
        tags.setdefault(article_id, []).append(topic)
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        path = urlsplit(row["url"]).path.removeprefix(f"/{name}")
        found[path] = {**dict(row), "topics": sorted(tags.get(row["id"], []))}
    return found


def compare(expected: list[dict[str, Any]], stored: dict[str, dict[str, Any]]) -> list[str]:
    """What differs between the expected and the stored articles (empty when all match)."""
    problems: list[str] = []
    for want in expected:
        got = stored.get(want["path"])
        if got is None:
            problems.append(f"{want['path']}: not stored")
            continue
        if _norm(got["title"]) != _norm(want["title"]):
            problems.append(f"{want['path']}: title {got['title']!r}, expected {want['title']!r}")
        if sorted(map(_norm, got["authors"] or [])) != sorted(map(_norm, want.get("authors", []))):
            problems.append(f"{want['path']}: authors {got['authors']!r}, expected {want.get('authors', [])!r}")
        if got["published"] != datetime.fromisoformat(want["published"]):
            problems.append(f"{want['path']}: published {got['published']}, expected {want['published']}")
        if got["language"] != want["language"]:
            problems.append(f"{want['path']}: language {got['language']!r}, expected {want['language']!r}")
        if len(got["text"] or "") < want.get("min_text", 300):
            problems.append(f"{want['path']}: text has {len(got['text'] or '')} characters")
    return problems


def coverage(stored: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Share of stored articles that have each field."""
    if not stored:
        return {field: 0.0 for field in FIELDS}
    def has(article: dict[str, Any], field: str) -> bool:
        value = article.get(field)
        return bool(value) and value != "und"
    return {field: sum(has(a, field) for a in stored.values()) / len(stored) for field in FIELDS}


def test_source(source: Source, fixtures: Path | None = None, *, db_url: str,
                log_level: str = "WARNING") -> dict[str, Any]:
    """Crawl ``source``'s fixture into ``db_url`` in this process and report coverage and problems."""
    from monitor.crawl.runner import run_sources
    from monitor.db import connect

    root = fixtures or fixtures_dir()
    expected = load_expected(source.name, root)
    engine = connect(db_url)
    with FixtureServer(root) as server:
        runs = run_sources([offline_source(source, server.base_url)],
                           {**OFFLINE_SETTINGS, "MONITOR_DB_URL": db_url, "LOG_LEVEL": log_level})
    stored = stored_articles(engine, source.name)
    return {"source": source.name, "fixture": str(fixture_path(source.name, root)), "articles": len(stored),
            "expected": len(expected), "coverage": coverage(stored), "runs": [r.as_dict() for r in runs],
            "problems": compare(expected, stored)}


test_source.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def _norm(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()
