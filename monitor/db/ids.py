"""Article ids handed out in blocks, before the rows are written.

The dedupe stage must know an article's id when it joins the story index, long
before its batch is flushed. Blocks come from one counter row updated in a
transaction, so concurrent crawler processes (SQLite or PostgreSQL) never get the
same id; ids left unused by a crash or a dropped item are simply gaps.
"""

from __future__ import annotations

from sqlalchemy import Engine, func, select, update

from monitor.db.models import Article
from monitor.db.upsert import insert_ignoring_conflicts
from monitor.dedupe.models import IdBlock

BLOCK_SIZE = 64


class IdAllocator:
    """Hands out article ids from blocks reserved in the database."""

    def __init__(self, engine: Engine, block_size: int = BLOCK_SIZE, name: str = "articles") -> None:
        self.engine = engine
        self.block_size = block_size
        self.name = name
        self._next = 0
        self._end = 0

    def next_id(self) -> int:
        if self._next >= self._end:
            self._next, self._end = self._reserve()
        value = self._next
        self._next += 1
        return value

    def _reserve(self) -> tuple[int, int]:
        with self.engine.begin() as connection:
            start = (connection.execute(select(func.max(Article.id))).scalar() or 0) + 1
            connection.execute(insert_ignoring_conflicts(connection, IdBlock.__table__, ["name"]),
                               [{"name": self.name, "next_id": start}])
            end = connection.execute(
                update(IdBlock).where(IdBlock.name == self.name)
                .values(next_id=IdBlock.next_id + self.block_size).returning(IdBlock.next_id)
            ).scalar_one()
        return end - self.block_size, end
