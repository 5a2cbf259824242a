"""The read-only JSON API (``/api/...``), described by FastAPI's OpenAPI document at ``/api/openapi.json``.

Same data as the pages, from the same functions. Bad input (a query that does not
parse, a malformed date, an unknown alert) answers 400/404/422 with a message
naming the input, never 500.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from monitor.alerts import AlertError, list_alerts
from monitor.alerts.manage import get_alert
from monitor.search import search
from monitor.topics import QuerySyntaxError, Taxonomy
from monitor.web import data
from monitor.web.entries import UnknownEntryError, entry_page
from monitor.web.pages import MAX_ID, RowId, _filters, story_or_404

router = APIRouter(prefix="/api", tags=["api"])
DAY = r"^(\d{4}-\d{2}-\d{2})?$"
ERRORS: dict[int | str, dict[str, Any]] = {400: {"description": "Bad input (named in detail)"},
                                           404: {"description": "Not found"}}


class AlertOut(BaseModel):
    id: int
    name: str
    query: str
    filters: dict[str, Any]
    muted: bool
    version: int
    matches: int


class HighlightOut(BaseModel):
    field: str = Field(description="title or text: where the match is")
    text: str = Field(description="the snippet as plain text, '…' where cut")
    marks: list[list[int]] = Field(description="[start, end) of each matched term in text")


class EntryOut(BaseModel):
    match_id: int
    story_id: int
    article_id: int
    title: str | None
    url: str
    outlet: str
    source: str
    language: str
    published: str | None
    matched_at: datetime
    also_in: int
    snippets: list[str] = Field(description="evidence snippets, the matched term in [brackets] (as the CLI)")
    highlights: list[HighlightOut] = Field(description="the same snippets without brackets, repeats dropped, "
                                                       "with the matched spans' offsets")


class EvidenceOut(BaseModel):
    term: str
    field: str
    start: int
    end: int


class HitOut(BaseModel):
    id: int
    story_id: int
    url: str
    source: str
    outlet: str
    title: str
    language: str
    published: datetime | None
    topics: list[str]
    evidence: list[EvidenceOut]
    snippets: list[str]


class SearchOut(BaseModel):
    query: str
    offset: int
    limit: int
    hits: list[HitOut]


class TopicOut(BaseModel):
    topic_id: str
    score: float
    evidence: list[dict[str, Any]]


class VersionOut(BaseModel):
    version: int
    title: str | None
    text: str
    valid_from: datetime
    replaced_at: datetime


class ArticleOut(BaseModel):
    id: int
    url: str
    title: str
    text: str
    authors: list[str]
    published: datetime | None
    fetched: datetime
    language: str
    source: str
    outlet: str
    story_id: int
    duplicate_of: int | None
    topics: list[TopicOut]
    versions: list[VersionOut]


class CopyOut(BaseModel):
    id: int
    url: str
    title: str | None
    published: datetime | None
    fetched: datetime
    language: str
    duplicate_of: int | None
    similarity: float | None
    source: str
    outlet: str


class StoryOut(BaseModel):
    story_id: int
    outlets: list[str]
    first_seen: datetime
    copies: list[CopyOut]


class TrendPointOut(BaseModel):
    day: str
    count: int
    baseline_mean: float
    baseline_std: float
    z: float
    spike: bool


class SourceOut(BaseModel):
    name: str
    outlet: str
    status: str
    reasons: list[str]
    last_success: datetime | None
    last_article: datetime | None
    articles_per_day: float
    runs: int
    last_run: datetime | None
    last_status: str | None
    errors: int


def _engine(request: Request) -> Engine:
    return request.app.state.engine


@router.get("/alerts", response_model=list[AlertOut], summary="Every alert with its number of matched stories")
def api_alerts(request: Request) -> Any:
    return list_alerts(_engine(request))


@router.get("/alerts/{name}/entries", response_model=list[EntryOut], responses=ERRORS,
            summary="An alert's entries, newest first")
def api_alert_entries(request: Request, name: str, limit: Annotated[int, Query(ge=1, le=500)] = 50,
                      before: Annotated[int | None, Query(ge=1, le=MAX_ID, description=(
                          "only the entries after this one (its match_id): the next page"))] = None) -> Any:
    engine = _engine(request)
    try:
        with engine.connect() as connection:
            alert = get_alert(connection, name)
    except ValueError as exc:  # AlertError, or a name like '²' that isdigit() but is no int
        raise HTTPException(404, str(exc) if isinstance(exc, AlertError) else f"no alert named {name!r}") from None
    try:
        return entry_page(engine, alert, limit=limit, before=before, count=False).entries
    except UnknownEntryError as exc:
        raise HTTPException(400, str(exc)) from None


@router.get("/search", response_model=SearchOut, responses=ERRORS,
            summary="Search with the query language and facet filters")
def api_search(request: Request, q: str = "", topic: str = "", source: str = "", language: str = "",
               since: Annotated[str, Query(description="first day (YYYY-MM-DD)", pattern=DAY)] = "",
               until: Annotated[str, Query(description="last day, inclusive (YYYY-MM-DD)", pattern=DAY)] = "",
               limit: Annotated[int, Query(ge=1, le=100)] = 20,
               offset: Annotated[int, Query(ge=0, le=10_000)] = 0) -> Any:
    try:
        engine = _engine(request)
        hits = search(engine, q.strip() or None, _filters(engine, topic, source, language, since, until),
                      limit=limit, offset=offset)
    except QuerySyntaxError as exc:
        raise HTTPException(400, f"q: {exc}") from None
    return {"query": q, "offset": offset, "limit": limit, "hits": [h.to_dict() for h in hits]}


@router.get("/articles/{article_id}", response_model=ArticleOut, responses=ERRORS,
            summary="One article with topics, evidence and earlier versions")
def api_article(request: Request, article_id: RowId) -> Any:
    record = data.article_record(_engine(request), article_id)
    if record is None:
        raise HTTPException(404, f"no stored article {article_id}")
    return record


@router.get("/stories/{story_id}", response_model=StoryOut, responses=ERRORS,
            summary="Every stored copy of a story")
def api_story(request: Request, story_id: RowId) -> Any:
    return story_or_404(_engine(request), story_id)


@router.get("/topics/{topic}/trend", response_model=list[TrendPointOut], responses=ERRORS,
            summary="Daily volume of a topic with its baseline and spikes")
def api_trend(request: Request, topic: str, days: Annotated[int, Query(ge=7, le=365)] = 60) -> Any:
    if topic not in Taxonomy.default().topics:
        raise HTTPException(404, f"no topic {topic!r} in the taxonomy")
    return [p.to_dict() for p in data.topic_trend(_engine(request), topic, days=days)]


@router.get("/sources", response_model=list[SourceOut], summary="Health of every source")
def api_sources(request: Request) -> Any:
    return data.sources_overview(_engine(request))
