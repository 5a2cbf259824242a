"""The declarative base shared by every table, and the list of modules that define tables."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Each module here defines tables on ``Base``; migrations and schema checks import them all.
MODEL_MODULES = (
    "monitor.db.models",
    "monitor.dedupe.models",
)


class Base(DeclarativeBase):
    """Declarative base for all monitor tables."""


def all_metadata() -> MetaData:
    """``Base.metadata`` with every model module imported."""
    for module in MODEL_MODULES:
        importlib.import_module(module)
    return Base.metadata
