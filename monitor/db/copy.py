"""Copy a whole monitor database into a new, empty one: SQLite to PostgreSQL when a deployment outgrows
one machine (``monitor db copy --to URL``), or back.

Both databases are migrated to the same head first (``monitor.db.connect``), then every modelled table
is copied in foreign-key order, rows in primary-key order (a copy's ``duplicate_of`` names an earlier
id), streamed in batches, inside one transaction on the target: a failure leaves it empty. Ids are kept,
so story ids, alert ids in webhook keys and read marks stay valid; PostgreSQL's id sequences are then
moved past the copied ids. The full-text indexes are the target's own (FTS5 tables and triggers on
SQLite, expression indexes on PostgreSQL) and fill as rows arrive.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, Integer, Table, func, select, text

from monitor.db.base import all_metadata, include_name

BATCH = 1000
# ids that must stay above another table's too: a removed alert's id is never handed out again
SEQUENCE_ALSO_ABOVE = {"alerts": ("alerts_removed",)}


class CopyError(ValueError):
    """A copy that cannot start; the message names the database and the reason."""


def copy_database(source: Engine, target: Engine,
                  progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Copy every row of ``source`` into ``target`` (empty, same schema head); rows copied per table."""
    tables = [t for t in all_metadata().sorted_tables if include_name(t.name, "table", None)]
    with target.connect() as connection:
        for table in tables:
            if connection.execute(select(func.count()).select_from(table)).scalar():
                raise CopyError(f"{target.url.render_as_string(hide_password=True)}: not empty (table "
                                f"{table.name} has rows): copy into a new database")
    counts: dict[str, int] = {}
    with source.connect() as reading, target.begin() as writing:
        for table in tables:
            rows = reading.execution_options(stream_results=True, yield_per=BATCH).execute(
                select(table).order_by(*table.primary_key.columns))
            copied = 0
            while batch := rows.fetchmany(BATCH):
                writing.execute(table.insert(), [dict(row._mapping) for row in batch])
                copied += len(batch)
            counts[table.name] = copied
            if progress is not None:
                progress(table.name, copied)
        if writing.dialect.name == "postgresql":
            for table in tables:
                _move_sequence(writing, table, {t.name: t for t in tables})
    return counts


def _move_sequence(connection, table: Table, tables: dict[str, Table]) -> None:
    """Set the id sequence of ``table`` (one integer key with a sequence) past its copied ids."""
    keys = list(table.primary_key.columns)
    if len(keys) != 1 or not isinstance(keys[0].type, Integer):
        return
    sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                  {"t": table.name, "c": keys[0].name}).scalar()
    if sequence is None:
        return
    top = max([connection.execute(select(func.max(keys[0]))).scalar() or 0] + [
        connection.execute(select(func.max(list(tables[other].primary_key.columns)[0]))).scalar() or 0
        for other in SEQUENCE_ALSO_ABOVE.get(table.name, ())])
    connection.execute(text("SELECT setval(:s, :v, :called)"), {"s": sequence, "v": max(top, 1), "called": top > 0})
