"""Atom feeds per alert (its entries) and per topic (its newest articles)."""

from __future__ import annotations

import shlex
from typing import IO

from sqlalchemy import Engine

from monitor.alerts.deliver import inbox, trend_firings
from monitor.alerts.email import trend_lines, trend_subject
from monitor.alerts.manage import AlertError, Delivery, get_alert
from monitor.search.atom import write_feed
from monitor.search.fulltext import Filters, iter_search


def alert_feed(engine: Engine, name: str, out: IO[str], limit: int = 50) -> int:
    """Write the Atom feed of alert ``name``: one entry per story, with "also in N outlets"
    (a trend alert: one entry per firing, with its baseline).

    AlertError when there is no such alert or its Atom feed is off (``--no-atom``): the feed
    is then not published, on the command line or the web.
    """
    check_atom(engine, name)
    firings = trend_firings(engine, name, limit=limit)
    if firings is not None:
        items = ({"id": f"urn:monitor:alert:{f['alert_id']}:trend:{f['day']}", "title": trend_subject(name, f),
                  "url": "", "published": f["fired_at"],
                  "summary": "; ".join(f"{k}: {v}" for k, v in trend_lines(f))} for f in firings)
        return write_feed(out, feed_id=f"urn:monitor:alert:{name}", title=f"monitor alert: {name}", entries=items)
    entries = inbox(engine, name, limit=limit)
    items = ({"id": f"urn:monitor:alert:{e['alert_id']}:story:{e['story_id']}", "title": e["title"],
              "url": e["url"], "published": e["published"], "source": e["source"],
              "summary": " … ".join(e["snippets"]) + (f" (also in {e['also_in']} outlets)" if e["also_in"] else "")}
             for e in entries)
    return write_feed(out, feed_id=f"urn:monitor:alert:{name}", title=f"monitor alert: {name}", entries=items)


def check_atom(engine: Engine, name: str) -> None:
    """AlertError naming alert ``name`` when it does not exist or its Atom feed is turned off."""
    with engine.connect() as connection:
        alert = get_alert(connection, name)
    if not Delivery.from_dict(alert.delivery).atom:
        raise AlertError(f"alert {alert.name!r} has its Atom feed turned off "
                         f"(turn it on with `monitor alerts edit {shlex.quote(alert.name)} --atom`)")


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
