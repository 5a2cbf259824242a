"""Server-rendered alert pages: the inbox with its "new alert" form, an alert's entries (highlighted, keyset
paged, marked read one by one or all) and its removal by its owner.

They read through the same functions as ``monitor alerts``; crawled text reaches the templates
autoescaped or as ``Markup`` built by ``monitor.web.highlight`` from escaped segments.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine

from monitor.alerts import AlertError, add_alert, backfill, list_alerts, remove_alert, trend_firings
from monitor.alerts.manage import find_alert, get_alert
from monitor.topics import QuerySyntaxError, Taxonomy
from monitor.web import read_state
from monitor.web.app import render
from monitor.web.entries import UnknownEntryError, entry_page
from monitor.web.highlight import highlight
from monitor.web.messages import page_message
from monitor.web.pages import MAX_ID, checked_language, engine_of, require_user

router = APIRouter(include_in_schema=False)
MAX_BACKFILL_DAYS = 3650  # the "new alert" form's "fill from the last N days" (the demo's articles are from 2024-2025)


def alerts_with_unread(engine: Engine, uid: int) -> list[dict[str, Any]]:
    """Every alert (``list_alerts``) with the user's unread count; the match counts it already has
    serve as totals, so no query counts every match again."""
    alerts = list_alerts(engine)
    unread = read_state.unread_counts(engine, uid, totals={a["id"]: a["matches"] for a in alerts})
    for alert in alerts:
        alert["unread"] = unread.get(alert["id"], 0)
    return alerts


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(request: Request) -> Response:
    uid = require_user(request)
    if isinstance(uid, Response):
        return uid
    alerts = alerts_with_unread(engine_of(request), uid)
    return render(request, "inbox.html", {"alerts": alerts, "form": {}, "error": None,
                                          "topics": sorted(Taxonomy.default().topics)})


@router.post("/alerts", response_class=HTMLResponse)
def create_alert(request: Request, name: Annotated[str, Form()], query: Annotated[str, Form()],
                 topic: Annotated[str, Form()] = "", language: Annotated[str, Form()] = "",
                 source: Annotated[str, Form()] = "",
                 backfill_days: Annotated[int, Form(ge=0, le=MAX_BACKFILL_DAYS)] = 0) -> Response:
    uid = require_user(request)
    if isinstance(uid, Response):
        return uid
    engine = engine_of(request)
    try:
        code = checked_language(language)  # stored as the CLI stores it: "French" and "FR" are "fr"
        filters = {k: [v.strip()] for k, v in (("topics", topic), ("languages", code), ("sources", source))
                   if v.strip()}
        add_alert(engine, name.strip(), query, owner=request.session.get("user", ""), filters=filters)
        if backfill_days:  # as `alerts add --backfill`: the inbox starts with what is stored, never sent
            backfill(engine, name.strip(), days=backfill_days)
    except (AlertError, QuerySyntaxError, HTTPException) as exc:
        with engine.connect() as connection:
            existing = find_alert(connection, name)  # "already exists": link its page
        message = exc.detail if isinstance(exc, HTTPException) else str(exc)
        alerts = alerts_with_unread(engine, uid)
        return render(request, "inbox.html", {
            "alerts": alerts, "error": page_message(message, alert=existing.name if existing else None),
            "topics": sorted(Taxonomy.default().topics),
            "form": {"name": name, "query": query, "topic": topic, "language": language, "source": source,
                     "backfill_days": backfill_days}},
            status_code=400)
    return RedirectResponse(f"/alerts/{quote(name.strip(), safe='')}", status_code=303)


def _alert_or_404(engine: Engine, name: str) -> Any:
    """The alert called ``name``; a 404 page when there is none."""
    try:
        with engine.connect() as connection:
            return get_alert(connection, name)
    except AlertError as exc:
        raise HTTPException(404, page_message(str(exc))) from None


ALERT_PAGE_SIZE = 50


@router.get("/alerts/{name}", response_class=HTMLResponse)
def alert_page(request: Request, name: str, limit: Annotated[int, Query(ge=1, le=500)] = ALERT_PAGE_SIZE,
               unread_only: bool = False, before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> Response:
    """An alert's entries, newest first, ``limit`` a page; ``before``: the entries after that one (keyset
    paging, ``monitor.web.entries``), within the unread ones with ``unread_only``."""
    uid = require_user(request)
    if isinstance(uid, Response):
        return uid
    engine = engine_of(request)
    alert = _alert_or_404(engine, name)
    firings = trend_firings(engine, name, limit=limit)  # None: a story alert
    up_to = read_state.newest_match_id(engine, alert.id)  # before the entries: a match stored meanwhile stays unread
    try:
        page = entry_page(engine, alert, limit=limit, before=before,
                          where=read_state.unread_by(uid, alert.id) if unread_only else None)
    except UnknownEntryError as exc:
        raise HTTPException(400, str(exc)) from None
    read = read_state.read_matches(engine, uid, [e["match_id"] for e in page.entries])
    for entry in page.entries:
        entry["read"] = entry["match_id"] in read
        entry["title_html"] = highlight(entry["title"], entry["title_marks"]) if entry["title"] else "(untitled)"
        entry["snippets_html"] = [highlight(h["text"], h["marks"]) for h in entry["highlights"]]

    def link(**changes: Any) -> str:
        merged = {"limit": limit, "unread_only": unread_only, "before": before, **changes}
        query = urlencode({k: "true" if v is True else v for k, v in merged.items()
                           if v is not None and v is not False and not (k == "limit" and v == ALERT_PAGE_SIZE)})
        return f"?{query}" if query else "?"

    return render(request, "alert.html", {"alert": alert, "entries": page.entries, "page": page,
                                          "unread_only": unread_only, "before": before, "link": link,
                                          "firings": firings, "up_to": up_to,
                                          "unread": read_state.unread_counts(engine, uid, alert_id=alert.id).get(alert.id, 0)})


@router.post("/alerts/{name}/read")
def mark_read(request: Request, name: str, match_id: Annotated[list[int] | None, Form()] = None,
              all: Annotated[str, Form()] = "", up_to: Annotated[int | None, Form()] = None) -> Response:
    uid = require_user(request)
    if isinstance(uid, Response):
        return uid
    engine = engine_of(request)
    alert = _alert_or_404(engine, name)
    read_state.mark_read(engine, uid, alert.id, None if all else (match_id or []), up_to=up_to if all else None)
    return RedirectResponse(f"/alerts/{quote(name, safe='')}", status_code=303)


@router.post("/alerts/{name}/remove")
def remove_alert_page(request: Request, name: str) -> Response:
    """Remove an alert the signed-in user owns (the form is shown to its owner only); back to the inbox."""
    uid = require_user(request)
    if isinstance(uid, Response):
        return uid
    engine = engine_of(request)
    alert = _alert_or_404(engine, name)
    if not alert.owner or alert.owner != request.session.get("user"):
        raise HTTPException(403, f"alert {alert.name!r} belongs to {alert.owner or 'nobody on the dashboard'}: "
                                 "only its owner removes it here")
    remove_alert(engine, alert.name)
    return RedirectResponse("/inbox", status_code=303)
