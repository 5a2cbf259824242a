"""Read-only queries analysts run against stored articles."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any


from sqlalchemy import ColumnElement, Engine, and_, or_, select

from monitor.db.models import STORY_KEY, Article, ArticleTopic, Source
from monitor.search.documents import window_parts
from monitor.stories import outlet_counts
from monitor.suggest import did_you_mean

PAGE = 200


def list_articles(
    engine: Engine, *, topic: str | None = None, language: str | Sequence[str] | None = None, source: str | None = None,
    since: datetime | None = None, limit: int | None = 50, group_stories: bool = True,
) -> Iterator[dict[str, Any]]:
    """Articles newest first, filtered, each with its topics and story.

    Grouped by story (the default), each story is listed once, by its newest copy
    that passes the filters, with ``also_in``: how many other outlets carried it.
    ``language`` is one ISO 639-1 code or several (any of them).
    """
    published = ArticleTopic.published if topic else Article.published
    query = (
        select(Article.id, Article.url, Article.canonical_url, Source.name.label("source"), Article.title,
               Article.authors, published.label("order_published"), Article.published, Article.fetched,
               Article.language, STORY_KEY.label("story_id"), Article.duplicate_of)
        .join(Source, Source.id == Article.source_id)
        .order_by(published.desc().nulls_last(), Article.id.desc())
    )
    if topic:
        # Walk the topic's tags newest first on the index (topic_id, published): article_topics.published is
        # the article's own (copied by triggers, migration q001), so this is the same order without sorting
        # every tagged article.
        query = query.join(ArticleTopic, ArticleTopic.article_id == Article.id).where(ArticleTopic.topic_id == topic)
    languages = [language] if isinstance(language, str) else list(language or ())
    if languages:
        query = query.where(Article.language.in_(languages))
    if source:
        query = query.where(Source.name == source)
    listed = 0
    seen_stories: set[int] = set()
    for window in window_parts(published, since):  # dated, then undated: the listing's own order
        for rows in _pages(engine, query.where(*window), published):
            page = []
            for row in rows:
                if group_stories and row["story_id"] in seen_stories:
                    continue
                seen_stories.add(row["story_id"])
                page.append(row)
                if limit is not None and listed + len(page) >= limit:
                    break
            yield from _with_topics_and_outlets(engine, page, group_stories)
            listed += len(page)
            if limit is not None and listed >= limit:
                return


def _pages(engine: Engine, query: Any, published: Any) -> Iterator[list[dict[str, Any]]]:
    """``query``'s rows, PAGE at a time, keyset-paged (``_after``) in the listing's order."""
    page_query = query
    while True:
        with engine.connect() as connection:
            rows = connection.execute(page_query.limit(PAGE)).all()
        if not rows:
            return
        page_query = query.where(_after(published, rows[-1].order_published, rows[-1].id))
        page = []
        for row in rows:
            fields = row._asdict()
            del fields["order_published"]
            page.append(fields)
        yield page


def _after(published: Any, last_published: datetime | None, last_id: int) -> ColumnElement[bool]:
    """Rows after ``(last_published, last_id)`` in the order newest first, undated last, then id descending.

    Keyset paging: each page starts where the last ended, so listing everything reads
    each row once; with OFFSET the k-th page re-read the k-1 before it.
    """
    if last_published is None:
        return and_(published.is_(None), Article.id < last_id)
    return or_(published < last_published, and_(published == last_published, Article.id < last_id),
               published.is_(None))


def _with_topics_and_outlets(engine: Engine, page: list[dict[str, Any]], counted: bool) -> Iterator[dict[str, Any]]:
    ids = [row["id"] for row in page]
    topics: dict[int, list[dict[str, Any]]] = {}
    if ids:
        with engine.connect() as connection:
            for tag in connection.execute(
                select(ArticleTopic.article_id, ArticleTopic.topic_id, ArticleTopic.score)
                .where(ArticleTopic.article_id.in_(ids)).order_by(ArticleTopic.score.desc())
            ):
                topics.setdefault(tag.article_id, []).append({"id": tag.topic_id, "score": tag.score})
    outlets: dict[int, int] = {}
    if counted:
        with engine.connect() as connection:
            outlets = outlet_counts(connection, [row["story_id"] for row in page])
    for row in page:
        row["topics"] = topics.get(row["id"], [])
        if counted:
            row["also_in"] = max(0, outlets.get(row["story_id"], 1) - 1)
        yield row


def known_sources(engine: Engine) -> set[str]:
    """Source names articles can carry: those stored in the database plus the catalogue's."""
    from monitor.catalogue import load_catalogue

    with engine.connect() as connection:
        names = set(connection.execute(select(Source.name)).scalars())
    try:
        names.update(source.name for source in load_catalogue())
    except (ValueError, OSError):  # no readable catalogue: the stored names are all there is
        pass
    return names


def unknown_source(engine: Engine, names: Iterable[str]) -> str | None:
    """Why the first of ``names`` that is neither stored nor in the catalogue is unknown (with close
    matches), or None when all are known. A filter on such a name would match nothing, silently."""
    wanted = list(names)
    if not wanted:
        return None
    known = known_sources(engine)
    for name in wanted:
        if name in known:
            continue
        hint = did_you_mean(name, known) or " (see `monitor sources list`)"
        return f"unknown source {name!r}: nothing has been crawled from it and it is not in the catalogue{hint}"
    return None
