"""Analyst search over stored articles: the query language on SQLite FTS5 or PostgreSQL full text.

    from monitor.search import search, iter_search, Filters
    hits = search(engine, '"NATO Mission Iraq" lang:fr', Filters(since=...), limit=20)

The database narrows candidates; the ingest matcher verifies them, so search
results equal what alerts match.  See docs/alerts-and-search.md.
"""

from monitor.search.fulltext import Filters, Hit, iter_search, search

__all__ = ["Filters", "Hit", "iter_search", "search"]
