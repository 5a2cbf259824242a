"""Atom feeds per alert (its entries) and per topic (its newest articles)."""

from __future__ import annotations

from typing import IO

from sqlalchemy import Engine

from monitor.alerts.deliver import inbox
from monitor.search.atom import write_feed
from monitor.search.fulltext import Filters, iter_search


def alert_feed(engine: Engine, name: str, out: IO[str], limit: int = 50) -> int:
    """Write the Atom feed of alert ``name``: one entry per story, with "also in N outlets"."""
    entries = inbox(engine, name, limit=limit)
    items = ({"id": f"urn:monitor:alert:{e['alert_id']}:story:{e['story_id']}", "title": e["title"],
              "url": e["url"], "published": e["published"], "source": e["source"],
              "summary": " … ".join(e["snippets"]) + (f" (also in {e['also_in']} outlets)" if e["also_in"] else "")}
             for e in entries)
    return write_feed(out, feed_id=f"urn:monitor:alert:{name}", title=f"monitor alert: {name}", entries=items)


def topic_feed(engine: Engine, topic: str, out: IO[str], limit: int = 50) -> int:
    """Write the Atom feed of the newest articles tagged ``topic``."""
    def items():
        for index, hit in enumerate(iter_search(engine, None, Filters(topics=(topic,)))):
            if index >= limit:
                break
            a = hit.article
            yield {"id": f"urn:monitor:article:{a.id}", "title": a.title, "url": a.url, "published": a.published,
                   "source": a.source, "summary": a.text[:300]}

    return write_feed(out, feed_id=f"urn:monitor:topic:{topic}", title=f"monitor topic: {topic}", entries=items())
