"""Create, edit, mute and read alerts; every edit of query/filters/delivery is a new version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Connection

from monitor.alerts.models import Alert, AlertMatch, AlertVersion
from monitor.search.fulltext import Filters
from monitor.topics import compile_query

DIGESTS = ("immediate", "hourly", "daily")


class AlertError(ValueError):
    """An alert that cannot be created or found; the message names the alert and the reason."""


@dataclass(frozen=True)
class Delivery:
    """Where an alert's matches go besides the inbox (always on)."""

    email: str | None = None
    digest: str = "immediate"
    webhook: str | None = None
    atom: bool = True

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Delivery:
        data = dict(data or {})
        digest = data.get("digest") or "immediate"
        if digest not in DIGESTS:
            raise AlertError(f"delivery.digest: {digest!r} is not one of {', '.join(DIGESTS)}")
        webhook = data.get("webhook")
        if webhook and not str(webhook).startswith(("http://", "https://")):
            raise AlertError(f"delivery.webhook: {webhook!r} is not an http(s) URL")
        email = data.get("email")
        if email and "@" not in str(email):
            raise AlertError(f"delivery.email: {email!r} is not an e-mail address")
        return cls(email or None, digest, webhook or None, bool(data.get("atom", True)))

    def to_dict(self) -> dict[str, Any]:
        return {"email": self.email, "digest": self.digest, "webhook": self.webhook, "atom": self.atom}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def validate(query: str, filters: dict[str, Any] | None) -> None:
    """Raise a QuerySyntaxError / AlertError naming what is wrong with the query or filters."""
    compile_query(query)
    try:
        Filters.from_dict(filters)
    except ValueError as exc:
        raise AlertError(str(exc)) from exc


def get_alert(connection: Connection, name_or_id: str | int) -> Alert:
    """The alert with this name (or numeric id); AlertError when there is none."""
    row = connection.execute(select(Alert.__table__).where(Alert.name == str(name_or_id))).first()
    if row is None and str(name_or_id).isascii() and str(name_or_id).isdigit():
        row = connection.execute(select(Alert.__table__).where(Alert.id == int(name_or_id))).first()
    if row is None:
        raise AlertError(f"no alert named {name_or_id!r} (see `monitor alerts list`)")
    return row  # type: ignore[return-value]


def add_alert(engine: Engine, name: str, query: str, *, owner: str = "", filters: dict[str, Any] | None = None,
              delivery: dict[str, Any] | None = None, muted: bool = False) -> int:
    """Create an alert (version 1); returns its id."""
    if not name.strip():
        raise AlertError("alert name must not be empty")
    validate(query, filters)
    deliv = Delivery.from_dict(delivery).to_dict()
    now = _now()
    with engine.begin() as connection:
        if connection.execute(select(Alert.id).where(Alert.name == name)).first():
            raise AlertError(f"an alert named {name!r} already exists (use `monitor alerts edit`)")
        alert_id = connection.execute(Alert.__table__.insert().values(
            name=name, owner=owner, query=query, filters=filters or {}, delivery=deliv, muted=muted, version=1,
            created=now, updated=now)).inserted_primary_key[0]
        connection.execute(AlertVersion.__table__.insert().values(
            alert_id=alert_id, version=1, query=query, filters=filters or {}, delivery=deliv, created=now))
    return int(alert_id)


def edit_alert(engine: Engine, name: str, *, query: str | None = None, filters: dict[str, Any] | None = None,
               delivery: dict[str, Any] | None = None, owner: str | None = None) -> int:
    """Change an alert; a change of query, filters or delivery makes a new version (returned)."""
    with engine.begin() as connection:
        alert = get_alert(connection, name)
        new_query = alert.query if query is None else query
        new_filters = alert.filters if filters is None else filters
        new_delivery = alert.delivery if delivery is None else Delivery.from_dict(delivery).to_dict()
        validate(new_query, new_filters)
        version = alert.version
        if (new_query, new_filters, new_delivery) != (alert.query, alert.filters, alert.delivery):
            version += 1
            connection.execute(AlertVersion.__table__.insert().values(
                alert_id=alert.id, version=version, query=new_query, filters=new_filters, delivery=new_delivery,
                created=_now()))
        connection.execute(Alert.__table__.update().where(Alert.id == alert.id).values(
            query=new_query, filters=new_filters, delivery=new_delivery, version=version,
            owner=alert.owner if owner is None else owner, updated=_now()))
    return version


def set_muted(engine: Engine, name: str, muted: bool = True) -> None:
    """Mute (matches still reach the inbox, nothing is sent) or unmute an alert."""
    with engine.begin() as connection:
        alert = get_alert(connection, name)
        connection.execute(Alert.__table__.update().where(Alert.id == alert.id).values(muted=muted, updated=_now()))


def list_alerts(engine: Engine) -> list[dict[str, Any]]:
    """Every alert with its match count."""
    counts = select(AlertMatch.alert_id, func.count().label("n")).group_by(AlertMatch.alert_id).subquery()
    with engine.connect() as connection:
        rows = connection.execute(
            select(Alert.__table__, func.coalesce(counts.c.n, 0).label("matches"))
            .outerjoin(counts, counts.c.alert_id == Alert.id).order_by(Alert.name)).all()
    return [dict(r._mapping) for r in rows]


def show_alert(engine: Engine, name: str) -> dict[str, Any]:
    """One alert with its version history (each version's query and how many stories it matched)."""
    with engine.connect() as connection:
        alert = get_alert(connection, name)
        matched = dict(connection.execute(
            select(AlertMatch.version, func.count()).where(AlertMatch.alert_id == alert.id)
            .group_by(AlertMatch.version)).all())
        versions = [
            {**dict(v._mapping), "matches": matched.get(v.version, 0)}
            for v in connection.execute(select(AlertVersion.version, AlertVersion.query, AlertVersion.filters,
                                               AlertVersion.delivery, AlertVersion.created)
                                        .where(AlertVersion.alert_id == alert.id).order_by(AlertVersion.version))
        ]
    return {**dict(alert._mapping), "history": versions}
