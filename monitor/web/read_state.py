"""Which alert entries each dashboard user has read.

Per user and alert: a mark (``web_read_marks``: every match with an id at or below it is
read) plus single read rows above it (``web_read_state``). "Mark all read" raises the mark
and deletes the rows it covers, so unread counts are index ranges above the mark and the
row table stays small however long the history (migration w003).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Integer, Select, and_, delete, func, literal, select

from monitor.alerts.delivery_marks import settled_match_id
from monitor.alerts.models import Alert, AlertMatch
from monitor.db.types import UTCDateTime
from monitor.db.upsert import insert_ignoring_conflicts, raise_to
from monitor.web.models import ReadMark, ReadState


def unread_counts(engine: Engine, user_id: int | None, *, alert_id: int | None = None,
                  totals: dict[int, int] | None = None) -> dict[int, int]:
    """Unread entries per alert id for this user (every entry is unread for nobody signed in).

    Per alert: all its matches, minus those at or below the user's mark, minus the user's read rows
    above the mark.  For an alert with a mark that is the matches above the mark (an index range
    count on ``(alert_id, id)``) minus the rows above it, so the cost follows what arrived since the
    last "mark all read", not the history.  ``alert_id`` limits it to one alert; ``totals`` (match
    counts per alert, e.g. from ``list_alerts``) saves counting them again for alerts with no mark.
    """
    with engine.connect() as connection:
        marks = _marks(connection, user_id, alert_id)
        if totals is None:
            totals = _match_totals(connection, alert_id, marks)
        above = _matches_above_marks(connection, user_id, alert_id) if marks else {}
        read = _read_rows_above_marks(connection, user_id, alert_id) if user_id is not None else {}
    return {a: max(0, (above.get(a, 0) if a in marks else n) - read.get(a, 0))
            for a, n in totals.items() if alert_id is None or a == alert_id}


def _only_alert(column: Any, alert_id: int | None) -> list[ColumnElement[bool]]:
    """``[column == alert_id]``, or no condition for every alert."""
    return [] if alert_id is None else [column == alert_id]


def _marks(connection: Connection, user_id: int | None, alert_id: int | None) -> dict[int, int]:
    """The user's read marks: alert id -> through_match_id (none for nobody signed in)."""
    if user_id is None:
        return {}
    return dict(connection.execute(select(ReadMark.alert_id, ReadMark.through_match_id).where(
        ReadMark.user_id == user_id, *_only_alert(ReadMark.alert_id, alert_id))).all())


def _match_totals(connection: Connection, alert_id: int | None, marks: dict[int, int]) -> dict[int, int]:
    """Matches per alert; one marked alert is not counted (its unread entries are counted above its mark)."""
    if alert_id is not None and alert_id in marks:
        return {alert_id: 0}
    return dict(connection.execute(select(AlertMatch.alert_id, func.count())
                                   .where(*_only_alert(AlertMatch.alert_id, alert_id))
                                   .group_by(AlertMatch.alert_id)).all())


def _matches_above_marks(connection: Connection, user_id: int | None, alert_id: int | None) -> dict[int, int]:
    """Per alert the user has a mark on: its matches above the mark (one index range per mark)."""
    return dict(connection.execute(
        select(ReadMark.alert_id, func.count())
        .join(AlertMatch, and_(AlertMatch.alert_id == ReadMark.alert_id, AlertMatch.id > ReadMark.through_match_id))
        .where(ReadMark.user_id == user_id, *_only_alert(ReadMark.alert_id, alert_id))
        .group_by(ReadMark.alert_id)).all())


def _read_rows_above_marks(connection: Connection, user_id: int, alert_id: int | None) -> dict[int, int]:
    """Per alert: the user's read rows of its matches above the user's mark on it (all of them without a mark).

    Rows at or below a mark (a single entry marked read while "mark all read" committed) are
    already counted as read by the mark.
    """
    mark = and_(ReadMark.user_id == ReadState.user_id, ReadMark.alert_id == AlertMatch.alert_id)
    return dict(connection.execute(
        select(AlertMatch.alert_id, func.count()).select_from(ReadState)
        .join(AlertMatch, AlertMatch.id == ReadState.match_id)
        .outerjoin(ReadMark, mark)
        .where(ReadState.user_id == user_id, AlertMatch.id > func.coalesce(ReadMark.through_match_id, 0),
               *_only_alert(AlertMatch.alert_id, alert_id))
        .group_by(AlertMatch.alert_id)).all())


def _mark_of(user_id: int, alert_id: int | ColumnElement[int]) -> ColumnElement[int]:
    """SQL: the user's mark on the alert, 0 when there is none (every match id is above it)."""
    return func.coalesce(select(ReadMark.through_match_id).where(
        ReadMark.user_id == user_id, ReadMark.alert_id == alert_id).scalar_subquery(), 0)


def unread_by(user_id: int, alert_id: int | None = None) -> ColumnElement[bool]:
    """SQL condition on ``AlertMatch``: the match is above the user's mark on its alert and has no read row.

    With ``alert_id`` (a listing of that one alert's matches) the mark is a constant subquery, so
    the database can start the range of ``(alert_id, id)`` at it; without, it follows each match's alert.
    """
    mark = _mark_of(user_id, AlertMatch.alert_id if alert_id is None else alert_id)
    has_row = select(ReadState.match_id).where(ReadState.user_id == user_id,
                                               ReadState.match_id == AlertMatch.id).exists()
    return and_(AlertMatch.id > mark, ~has_row)


def read_matches(engine: Engine, user_id: int | None, match_ids: Sequence[int]) -> set[int]:
    """Which of these matches the user has read: at or below the mark on their alert, or with a read row."""
    if user_id is None or not match_ids:
        return set()
    ids = [int(m) for m in match_ids]
    with engine.connect() as connection:
        rows = set(connection.execute(select(ReadState.match_id).where(
            ReadState.user_id == user_id, ReadState.match_id.in_(ids))).scalars())
        marked = set(connection.execute(
            select(AlertMatch.id).join(ReadMark, and_(ReadMark.alert_id == AlertMatch.alert_id,
                                                      ReadMark.user_id == user_id))
            .where(AlertMatch.id.in_(ids), AlertMatch.id <= ReadMark.through_match_id)).scalars())
    return rows | marked


def mark_read(engine: Engine, user_id: int, alert_id: int, match_ids: Sequence[int] | None = None,
              up_to: int | None = None) -> int:
    """Mark these matches of the alert read, or all of them when ``match_ids`` is None (all up to match id
    ``up_to``: the newest the page showed, so a match that arrived since stays unread); returns how many
    entries became read.

    "All" raises the user's mark on the alert (``mark_all_read``); single matches get read rows.
    """
    if match_ids is None:
        return mark_all_read(engine, user_id, alert_id, up_to)
    if not match_ids:
        return 0
    rows = select(literal(user_id, Integer), AlertMatch.id, literal(datetime.now(timezone.utc), UTCDateTime())).where(
        AlertMatch.alert_id == alert_id, AlertMatch.id.in_([int(m) for m in match_ids]),
        AlertMatch.id > _mark_of(user_id, alert_id))  # at or below it: read already
    if up_to is not None:
        rows = rows.where(AlertMatch.id <= up_to)
    with engine.begin() as connection:
        return _insert_read_rows(connection, rows)


def mark_all_read(engine: Engine, user_id: int, alert_id: int, up_to: int | None = None) -> int:
    """Mark every match of the alert up to ``up_to`` (the newest the page showed; None: all) read for the
    user; returns how many entries became read.

    The mark rises to the newest match at or below both ``up_to`` and the newest *settled* id
    (``monitor.alerts.deliver.settled_match_id``: on PostgreSQL a crawl's flush can commit a lower
    id after the page showed a higher one, and a mark past it would call that unseen match read);
    visible matches above the mark get read rows, as single entries do. The mark names an existing
    match, never a bare ``up_to``, never moves back (a stale page), and the rows it now covers are
    deleted in the same transaction. The user's marks of alerts that no longer exist go on the way.
    """
    settled = settled_match_id(engine)  # before reading: every id up to it is visible below
    in_alert = [AlertMatch.alert_id == alert_id] + ([] if up_to is None else [AlertMatch.id <= up_to])
    key = and_(ReadMark.user_id == user_id, ReadMark.alert_id == alert_id)
    with engine.begin() as connection:
        _drop_marks_of_deleted_alerts(connection, user_id)
        old = connection.execute(select(ReadMark.through_match_id).where(key)).scalar() or 0
        through = None if settled is None else connection.execute(
            select(func.max(AlertMatch.id)).where(*in_alert, AlertMatch.id <= settled)).scalar()
        newly = 0
        if through is not None and through > old:
            covered = (AlertMatch.alert_id == alert_id, AlertMatch.id > old, AlertMatch.id <= through)
            newly = connection.execute(select(func.count()).where(*covered)).scalar() or 0
            # rows at or below ``old`` went when ``old`` was set
            newly -= connection.execute(delete(ReadState).where(
                ReadState.user_id == user_id, ReadState.match_id.in_(select(AlertMatch.id).where(*covered)))).rowcount
            raise_to(connection, ReadMark.__table__, {"user_id": user_id, "alert_id": alert_id}, "through_match_id",
                     through)
            old = through
        above = select(literal(user_id, Integer), AlertMatch.id, literal(datetime.now(timezone.utc), UTCDateTime())
                       ).where(*in_alert, AlertMatch.id > old)
        newly += _insert_read_rows(connection, above)
    return max(0, newly)


def _insert_read_rows(connection: Connection, rows: Select) -> int:
    """Insert ``rows`` (user_id, match_id, read_at) as read rows, skipping those already read; how many went in."""
    statement = insert_ignoring_conflicts(connection, ReadState.__table__, ["user_id", "match_id"])
    # psycopg's cursor forgets an INSERT's rowcount when SQLAlchemy closes it, unless asked to keep it
    return connection.execute(statement.from_select(["user_id", "match_id", "read_at"], rows),
                              execution_options={"preserve_rowcount": True}).rowcount


def _drop_marks_of_deleted_alerts(connection: Connection, user_id: int) -> None:
    """Delete the user's marks whose alert is gone (no foreign key does it: the web tables stand alone)."""
    connection.execute(delete(ReadMark).where(ReadMark.user_id == user_id,
                                              ReadMark.alert_id.not_in(select(Alert.id))))


def newest_match_id(engine: Engine, alert_id: int) -> int:
    """The id of the alert's newest match (0 when it has none): what "mark all read" covers."""
    with engine.connect() as connection:
        return int(connection.execute(select(func.max(AlertMatch.id)).where(AlertMatch.alert_id == alert_id))
                   .scalar() or 0)


__all__ = ["mark_all_read", "mark_read", "newest_match_id", "read_matches", "unread_by", "unread_counts"]
