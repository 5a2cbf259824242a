"""Server-rendered pages: sign-in, search, article, story, topic trends, sources health (the alert
inbox and alert pages: ``monitor.web.alert_pages``).

Every page reads through the same functions as the CLI; crawled text reaches the
templates as plain strings (autoescaped) or as ``Markup`` built by
``monitor.web.highlight`` from escaped segments.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Path, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine

from monitor.alerts import spikes
from monitor.queries import list_articles, unknown_source
from monitor.search import Filters, search
from monitor.search.fulltext import language_code
from monitor.stories import UnknownArticleError, story_of
from monitor.topics import Document, QuerySyntaxError, Taxonomy, compile_query
from monitor.topics.taxonomy import unknown_topic
from monitor.web import data
from monitor.web.app import render
from monitor.web.auth import authenticate, rotate_session_key, signed_in_user
from monitor.web.chart import trend_svg
from monitor.web.csrf import csrf_token
from monitor.web.highlight import highlight, paragraphs, snippet, spans_for
from monitor.web.messages import page_message
from monitor.web.throttle import LoginThrottle

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
MAX_ID = 2**31 - 1  # ids are INTEGER columns (32-bit on PostgreSQL)
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]


def engine_of(request: Request) -> Engine:
    return request.app.state.engine


def user_id(request: Request) -> int | None:
    """The signed-in user's id: only while a user with the session's id and session key exists.

    The cookie is signed but cannot be revoked; the key, checked against the
    database, is what ends a session (sign-out, ``monitor users remove``).
    """
    return signed_in_user(request, engine_of(request))


def require_user(request: Request) -> int | RedirectResponse:
    """The signed-in user's id, or a redirect to the sign-in page that comes back here."""
    uid = user_id(request)
    if uid is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":  # come back to the page the form was on, not to a URL that only takes POST
            target = _referring_page(request)
        return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
    return uid


def _referring_page(request: Request) -> str:
    """The path (and query) of the page on this site that sent ``request``; the inbox when unknown."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc != request.url.netloc:
        return "/inbox"
    return local_path(referer.path + (f"?{referer.query}" if referer.query else ""))


def local_path(value: str | None, default: str = "/inbox") -> str:
    """``value`` if it is a path on this site (never ``//host`` or a scheme), else ``default``."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return default


def parse_day(value: str | None, name: str) -> datetime | None:
    """``YYYY-MM-DD`` as the start of that UTC day; HTTP 400 naming the field when malformed."""
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time(), timezone.utc)
    except ValueError:
        raise HTTPException(400, f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None


@router.get("/", response_class=HTMLResponse)
def home() -> Response:
    return RedirectResponse("/inbox", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": local_path(next), "error": None})


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, name: Annotated[str, Form()], password: Annotated[str, Form()],
          next: Annotated[str, Form()] = "/inbox") -> Response:
    throttle: LoginThrottle = request.app.state.login_throttle
    address = request.client.host if request.client else "?"
    wait = throttle.attempt(address, name)  # counted as a failure until the password proves right
    if wait:
        return render(request, "login.html", {"next": local_path(next), "error": (
            f"Too many wrong passwords for this name: try again in {wait} s.")}, status_code=429,
            headers={"Retry-After": str(wait)})
    signed_in = authenticate(engine_of(request), name, password)
    if signed_in is None:
        return render(request, "login.html", {"next": local_path(next), "error": "Wrong user name or password."},
                      status_code=401)
    throttle.succeeded(address, name)
    request.session.clear()  # a fresh session (and CSRF token) on sign-in: no fixation
    request.session.update({"user_id": signed_in.id, "user": name, "session_key": signed_in.session_key})
    csrf_token(request)
    return RedirectResponse(local_path(next), status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    """Sign out everywhere: the user's session key is replaced, so every copy of every cookie of theirs is refused."""
    uid = user_id(request)
    if uid is not None:
        rotate_session_key(engine_of(request), uid)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def checked_language(value: str) -> str:
    """A language filter as its ISO 639-1 code, as the CLI's ``--lang`` reads it (``French``, ``FR``,
    ``fr-FR``: ``fr``; empty: any); HTTP 400 naming a value that is no language."""
    if not value.strip():
        return ""
    try:
        return language_code(value.strip())
    except ValueError as exc:
        raise HTTPException(400, f"language: {exc}") from None


def _filters(engine: Engine, topic: str, source: str, language: str, since: str, until: str) -> Filters:
    """The search filters, checked as the CLI checks them; HTTP 400 naming an unknown language, topic or
    source or a malformed date (a filter on an unknown value would match nothing, silently)."""
    language = checked_language(language)
    problem = unknown_topic([topic]) if topic else None
    if problem:
        raise HTTPException(400, f"topic: {problem}")
    problem = unknown_source(engine, [source]) if source else None
    if problem:
        raise HTTPException(400, f"source: {problem}")
    until_day = parse_day(until, "until")
    return Filters(since=parse_day(since, "since"), until=until_day + timedelta(days=1) if until_day else None,
                   topics=(topic,) if topic else (), sources=(source,) if source else (),
                   languages=(language,) if language else ())


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, q: str = "", topic: str = "", source: str = "", language: str = "",
                since: str = "", until: str = "", page: Annotated[int, Query(ge=1, le=1000)] = 1) -> Response:
    engine = engine_of(request)
    params = {"q": q, "topic": topic, "source": source, "language": language, "since": since, "until": until}
    hits: list[Any] = []
    error = None
    more = False
    try:
        filters = _filters(engine, topic, source, language, since, until)
        params["language"] = filters.languages[0] if filters.languages else ""  # "French" -> "fr": selected below
        found = search(engine, q.strip() or None, filters, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
        more = len(found) > PAGE_SIZE
        hits = found[:PAGE_SIZE]
    except (QuerySyntaxError, HTTPException) as exc:
        error = page_message(exc.detail if isinstance(exc, HTTPException) else str(exc))
    facets = request.app.state.facets.get()
    counts = {"topic": Counter(t for h in hits for t in h.article.topics),
              "source": Counter(h.article.source for h in hits),
              "language": Counter(h.article.language for h in hits)}

    def link(**changes: Any) -> str:
        merged = {**params, "page": 1, **changes}
        return "/search?" + urlencode({k: v for k, v in merged.items() if v not in ("", None, 1)})

    results = []
    for hit in hits:
        a = hit.article
        results.append({"article": a, "title": highlight(a.title or "(untitled)", spans_for(hit.evidence, "title")),
                        "snippets": [snippet(a.text, ev.start, ev.end)
                                     for ev in hit.evidence if ev.field == "text"][:2]})
    return render(request, "search.html", {
        "params": params, "results": results, "error": error, "page": page, "more": more, "link": link,
        "facets": facets, "counts": counts, "topics": sorted(Taxonomy.default().topics),
        "article_query": urlencode({"q": q}) if q.strip() else ""}, status_code=400 if error else 200)


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(request: Request, article_id: RowId, q: str = "",
                 match: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> Response:
    engine = engine_of(request)
    record = data.article_record(engine, article_id)
    if record is None:
        raise HTTPException(404, f"no stored article {article_id}")
    evidence: list[Any] = []
    source = "topics"
    error = None
    if q.strip():
        source = "query"
        try:
            doc = Document(record["title"], record["text"], record["source"], record["language"],
                           tuple(t["topic_id"] for t in record["topics"]))
            evidence = [e.to_dict() for e in (compile_query(q).matches(doc) or [])]
        except QuerySyntaxError as exc:
            error = str(exc)
    elif match:
        source = "alert"
        evidence = data.match_evidence(engine, match, article_id)
    else:
        evidence = [ev for t in record["topics"] for ev in (t["evidence"] or [])]
    story = story_of(engine, str(article_id))
    return render(request, "article.html", {
        "a": record, "title": highlight(record["title"] or "(untitled)", spans_for(evidence, "title")),
        "body": paragraphs(record["text"], spans_for(evidence, "text")), "highlight_source": source,
        "marks": len(evidence), "error": error, "q": q, "story": story,
        "topic_terms": [{"id": t["topic_id"], "score": t["score"],
                         "terms": sorted({(ev.get("term") or "") for ev in (t["evidence"] or [])
                                          if isinstance(ev, dict)})} for t in record["topics"]]})


@router.get("/stories/{story_id}", response_class=HTMLResponse)
def story_page(request: Request, story_id: RowId) -> Response:
    return render(request, "story.html", {"story": story_or_404(engine_of(request), story_id)})


def story_or_404(engine: Engine, story_id: int) -> dict[str, Any]:
    """The story ``story_id`` (or the story of the article with that id); HTTP 404 "no story N" when none.

    Why not the lookup's own message: it says "no stored article", which is the CLI's id-or-URL wording."""
    try:
        return story_of(engine, str(story_id))
    except UnknownArticleError:
        raise HTTPException(404, f"no story {story_id}") from None


@router.get("/topics", response_class=HTMLResponse)
def topics_page(request: Request) -> Response:
    taxonomy = Taxonomy.default()
    today = {s.key: s for s in spikes(engine_of(request), dimension="topic")}
    topics = [{"id": t.id, "name": t.name, "parent": t.parent, "spike": today.get(t.id)}
              for t in sorted(taxonomy.topics.values(), key=lambda t: t.id)]
    return render(request, "topics.html", {"topics": topics, "spiking": len(today)})


@router.get("/topics/{topic}", response_class=HTMLResponse)
def topic_page(request: Request, topic: str, days: Annotated[int, Query(ge=7, le=365)] = 60) -> Response:
    taxonomy = Taxonomy.default()
    if topic not in taxonomy.topics:
        raise HTTPException(404, f"no topic {topic!r} in the taxonomy")
    engine = engine_of(request)
    points = data.topic_trend(engine, topic, days=days)
    latest = list(list_articles(engine, topic=topic, limit=15))
    return render(request, "topic.html", {
        "topic": taxonomy.topics[topic], "days": days, "points": points,
        "chart": trend_svg(points, title=f"{topic}: articles per day, last {days} days"),
        "spikes": [p for p in points if p.spike], "total": sum(p.count for p in points), "latest": latest})


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request) -> Response:
    sources = data.sources_overview(engine_of(request))
    summary = Counter(s["status"] for s in sources)
    return render(request, "sources.html", {"sources": sources, "summary": summary})
