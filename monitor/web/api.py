"""The read-only JSON API (``/api/...``), described by FastAPI's OpenAPI document at ``/api/openapi.json``.

Same data as the pages, from the same functions. Bad input (a query that does not
parse, a malformed date, an unknown alert) answers 400/404/422 with a message
naming the input, never 500.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, HTTPException, Query, Request
from pydantic import BaseModel
from sqlalchemy import Engine

from monitor.alerts import AlertError, inbox, list_alerts
from monitor.search import search
from monitor.stories import UnknownArticleError, story_of
from monitor.topics import QuerySyntaxError, Taxonomy
from monitor.web import data
from monitor.web.pages import RowId, _filters

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
    snippets: list[str]


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
def api_alert_entries(request: Request, name: str, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> Any:
    try:
        return inbox(_engine(request), name, limit=limit)
    except ValueError as exc:  # AlertError, or a name like '²' that isdigit() but is no int
        raise HTTPException(404, str(exc) if isinstance(exc, AlertError) else f"no alert named {name!r}") from None


@router.get("/search", response_model=SearchOut, responses=ERRORS,
            summary="Search with the query language and facet filters")
def api_search(request: Request, q: str = "", topic: str = "", source: str = "", language: str = "",
               since: Annotated[str, Query(description="first day (YYYY-MM-DD)", pattern=DAY)] = "",
               until: Annotated[str, Query(description="last day, inclusive (YYYY-MM-DD)", pattern=DAY)] = "",
               limit: Annotated[int, Query(ge=1, le=100)] = 20,
               offset: Annotated[int, Query(ge=0, le=10_000)] = 0) -> Any:
    try:
        hits = search(_engine(request), q.strip() or None, _filters(topic, source, language, since, until),
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
    try:
        return story_of(_engine(request), str(story_id))
    except UnknownArticleError as exc:
        raise HTTPException(404, str(exc)) from None


@router.get("/topics/{topic}/trend", response_model=list[TrendPointOut], responses=ERRORS,
            summary="Daily volume of a topic with its baseline and spikes")
def api_trend(request: Request, topic: str, days: Annotated[int, Query(ge=7, le=365)] = 60) -> Any:
    if topic not in Taxonomy.default().topics:
        raise HTTPException(404, f"no topic {topic!r} in the taxonomy")
    return [p.to_dict() for p in data.topic_trend(_engine(request), topic, days=days)]


@router.get("/sources", response_model=list[SourceOut], summary="Health of every source")
def api_sources(request: Request) -> Any:
    return data.sources_overview(_engine(request))
