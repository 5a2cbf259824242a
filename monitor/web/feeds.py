"""Atom feeds per alert and per topic, served from ``monitor.alerts.feeds`` (crawled text escaped by the XML writer)."""

from __future__ import annotations

import io

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from monitor.alerts import AlertError
from monitor.alerts.feeds import alert_feed, topic_feed
from monitor.topics import Taxonomy

router = APIRouter(prefix="/feeds", tags=["feeds"])
ATOM = "application/atom+xml; charset=utf-8"
ATOM_RESPONSE = {200: {"content": {"application/atom+xml": {}}, "description": "Atom 1.0 feed"},
                 404: {"description": "No such alert or topic, or the alert's Atom feed is off (--no-atom)"}}


@router.get("/alerts/{name}.atom", response_class=Response, responses=ATOM_RESPONSE,
            summary="Atom feed of an alert's entries")
def alert_atom(request: Request, name: str) -> Response:
    out = io.StringIO()
    try:
        alert_feed(request.app.state.engine, name, out)
    # an AlertError (no such alert, or its Atom feed is off: --no-atom), or a name like '²' that isdigit() but is no int
    except ValueError as exc:
        raise HTTPException(404, str(exc) if isinstance(exc, AlertError) else f"no alert named {name!r}") from None
    return Response(out.getvalue(), media_type=ATOM)


@router.get("/topics/{topic}.atom", response_class=Response, responses=ATOM_RESPONSE,
            summary="Atom feed of a topic's newest articles")
def topic_atom(request: Request, topic: str) -> Response:
    if topic not in Taxonomy.default().topics:
        raise HTTPException(404, f"no topic {topic!r} in the taxonomy")
    out = io.StringIO()
    topic_feed(request.app.state.engine, topic, out)
    return Response(out.getvalue(), media_type=ATOM)
