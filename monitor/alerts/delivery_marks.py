"""Delivery marks: how far back ``deliver`` need not look, per alert and channel.

Finding what is pending costs what is new, not all history: ``alert_delivery_marks``
holds per alert and channel a match id through which every match is done (a
delivery row on the channel, or a ``backfill-`` row) and settled (no match with a
lower id can still commit).  A run reads only the matches above the mark; after
it the mark moves to the newest match before the first one still pending (a failed
send, a digest not yet due) and never past ``settled_match_id``.  No mark (a channel
added by an edit, a database from before a004) means every match is read once, so
all past matches not backfilled are then pending on the new channel, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, bindparam, exists, func, or_, select
from sqlalchemy.exc import OperationalError

from monitor.alerts.matching import BACKFILL_PREFIX
from monitor.alerts.models import AlertDelivery, AlertDeliveryMark, AlertMatch
from monitor.db.upsert import raise_to

LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for LOCK ... NOWAIT on a table a transaction is writing


@dataclass
class Pending:
    """What ``deliver`` sends of one alert on one channel: the matches above its mark that are not done.

    ``mark``: the stored mark when it is valid (its match is still this alert's match, done on the
    channel), else None and every match was looked at; ``stale``: a stored mark that was not valid
    (its match was deleted; on SQLite a later match may then take its id), to be dropped.
    """

    matches: list[Any]
    mark: int | None = None
    stale: int | None = None


def settled_match_id(engine: Engine) -> int | None:
    """The newest match id such that no match with a lower or equal id can still appear: how far a mark may move.

    Ids are taken when a match is inserted, not when it commits.  On PostgreSQL a flush that
    took id 100 can commit after another one committed 101 and 101 was delivered; a mark moved
    to 101 would skip 100 for ever.  A SHARE lock on ``alert_matches`` is granted only once
    every transaction that has written to it has ended, and a later insert waits for it and takes
    a higher id: the newest id read under the lock is settled.  The lock is only tried (NOWAIT)
    and held for that one read, so ingest waits at most for that read; when a flush is writing
    matches right then this returns None and no mark moves this run (the next run moves them).
    A time margin would need no lock but would skip a match whose transaction outlived it.
    SQLite has one writer at a time taking ``max(id) + 1``: every id up to the newest committed
    one is settled, except that once the newest match is deleted a later match takes its id
    again, which is why a mark must name a match that still exists (``Pending.stale``).
    """
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("LOCK TABLE alert_matches IN SHARE MODE NOWAIT")
            return connection.execute(select(func.max(AlertMatch.id))).scalar()
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        return None


# Built once, with bound parameters: they run for every alert and channel on every run.
_ALERT, _CHANNEL, _ABOVE = bindparam("alert_id"), bindparam("channel"), bindparam("above")
_MARKS = AlertDeliveryMark.__table__
# the match has a delivery row on the channel, or a ``backfill-`` row
_DONE = exists().where(and_(AlertDelivery.match_id == AlertMatch.id,
                            or_(AlertDelivery.channel == _CHANNEL, AlertDelivery.key.startswith(BACKFILL_PREFIX))))
# the stored mark, and whether it is valid: its match is still this alert's and done on the channel
_MARK = (select(_MARKS.c.through_match_id, AlertMatch.id.is_not(None) & _DONE)
         .select_from(_MARKS.outerjoin(AlertMatch, and_(AlertMatch.id == _MARKS.c.through_match_id,
                                                        AlertMatch.alert_id == _MARKS.c.alert_id)))
         .where(_MARKS.c.alert_id == _ALERT, _MARKS.c.channel == _CHANNEL))
_PENDING = (select(AlertMatch.__table__).where(AlertMatch.alert_id == _ALERT, AlertMatch.id > _ABOVE, ~_DONE)
            .order_by(AlertMatch.id))
_NEWEST = select(func.max(AlertMatch.id)).where(AlertMatch.alert_id == _ALERT, AlertMatch.id > _ABOVE,
                                                AlertMatch.id <= bindparam("upto"))


def pending_matches(connection: Any, alert_id: int, channel: str) -> Pending:
    """Matches not yet delivered on ``channel`` above the alert's mark (every match when it has no valid
    mark); a backfilled match (any ``backfill-`` row) is never pending."""
    key = {"alert_id": alert_id, "channel": channel}
    mark, valid = connection.execute(_MARK, key).first() or (None, False)
    matches = connection.execute(_PENDING, {**key, "above": mark if valid else 0}).all()
    return Pending(matches, mark if valid else None, mark if mark is not None and not valid else None)


def advance_mark(engine: Engine, alert_id: int, channel: str, pending: Pending, sent: set[int],
             settled: int | None) -> None:
    """Move the mark to the alert's newest match below the first one still pending (``sent``: committed by
    this run), and not past ``settled``.

    The matches between the old mark and ``settled`` were all visible to ``pending_matches``: each was done
    then, or pending and sent since.  The mark only moves forward, so a concurrent run's stays.
    """
    through = None
    if settled is not None:
        upto = min([settled] + [m.id - 1 for m in pending.matches if m.id not in sent])
        with engine.connect() as connection:
            through = connection.execute(_NEWEST, {"alert_id": alert_id, "above": pending.mark or 0,
                                                   "upto": upto}).scalar()
    if through is None and pending.stale is None:
        return
    key = and_(_MARKS.c.alert_id == alert_id, _MARKS.c.channel == channel)
    with engine.begin() as connection:
        if pending.stale is not None:  # only the mark that was read: a concurrent run may have set a valid one
            connection.execute(_MARKS.delete().where(key, _MARKS.c.through_match_id == pending.stale))
        if through is not None:
            raise_to(connection, _MARKS, {"alert_id": alert_id, "channel": channel}, "through_match_id", through)
