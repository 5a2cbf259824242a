"""Storage: SQLAlchemy models, engine setup, Alembic migrations and the batched article store."""

from monitor.db.engine import connect, make_engine
from monitor.db.migrate import upgrade

__all__ = ["connect", "make_engine", "upgrade"]
