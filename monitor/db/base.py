"""The declarative base shared by every table, and the list of modules that define tables."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Each module here defines tables on ``Base``; migrations and schema checks import them all.
MODEL_MODULES = (
    "monitor.db.models",
    "monitor.dedupe.models",
    "monitor.alerts.models",
    "monitor.catalogue.models",
    "monitor.schedule.models",
    "monitor.web.models",
)
# Tables the migrations create that no model describes: SQLite's FTS5 index and its shadow tables.
UNMODELLED_TABLE_PREFIXES = ("articles_fts",)
# ... and PostgreSQL's expression indexes for full-text search (GIN indexes over to_tsvector(...)): all, title.
UNMODELLED_INDEXES = ("ix_articles_fts", "ix_articles_title_fts")


class Base(DeclarativeBase):
    """Declarative base for all monitor tables."""


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic filter: compare every table except the unmodelled full-text index tables."""
    if type_ == "index" and name in UNMODELLED_INDEXES:
        return False
    return not (type_ == "table" and name is not None and name.startswith(UNMODELLED_TABLE_PREFIXES))


def all_metadata() -> MetaData:
    """``Base.metadata`` with every model module imported."""
    for module in MODEL_MODULES:
        importlib.import_module(module)
    return Base.metadata
