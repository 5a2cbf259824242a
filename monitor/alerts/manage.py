"""Create, edit, mute, remove and read alerts; every edit of query/filters/delivery is a new version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.engine import Connection

from monitor.alerts.models import Alert, AlertMatch, AlertVersion, RemovedAlert, TrendFiring
from monitor.search.fulltext import Filters, language_code
from monitor.topics import compile_query
from monitor.topics.taxonomy import unknown_topic
from monitor.web.models import ReadMark, ReadState

DIGESTS = ("immediate", "hourly", "daily")
FILTER_KINDS = ("languages", "sources", "topics")


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
        if webhook:
            parts = urlsplit(str(webhook))
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise AlertError(f"delivery.webhook: {webhook!r} is not an http(s) URL with a host "
                                 "(e.g. https://hooks.example.org/monitor)")
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
    validate_filters(filters)


def validate_filters(filters: dict[str, Any] | None) -> None:
    """Raise an AlertError naming what is wrong with the filters (an unknown key, a language that is not a
    code, a topic not in the taxonomy)."""
    try:
        Filters.from_dict(filters)
    except ValueError as exc:
        raise AlertError(str(exc)) from exc
    for value in (filters or {}).get("languages") or ():
        try:
            language_code(value)
        except ValueError as exc:
            raise AlertError(f"filters.languages: {exc}") from exc
    problem = unknown_topic((filters or {}).get("topics") or ())
    if problem:
        raise AlertError(f"filters.topics: {problem}")


MAX_NAME = 100
_NAME_FORBIDDEN = set("/\\")  # the name is a path segment of its page and feed (/alerts/NAME, ...)


def check_name(name: str) -> str:
    """``name`` trimmed, or AlertError: it must fit a URL path segment and a line of a listing."""
    name = name.strip()
    if not name:
        raise AlertError("alert name must not be empty")
    if len(name) > MAX_NAME:
        raise AlertError(f"alert name {name[:40]!r}...: at most {MAX_NAME} characters, got {len(name)}")
    bad = sorted({c for c in name if c in _NAME_FORBIDDEN or not c.isprintable()})
    if bad or name in (".", ".."):
        what = ", ".join(repr(c) for c in bad) or repr(name)
        raise AlertError(f"alert name {name!r}: no '/', '\\' or control characters, and not '.' or '..' "
                         f"(found {what})")
    return name


def check_sources(engine: Engine, filters: dict[str, Any] | None, query: str | None = None) -> None:
    """AlertError when a source filter, or QuerySyntaxError when a ``source:`` term of ``query``, names no
    known source (stored or in the catalogue): the alert would never match."""
    from monitor.queries import known_sources, unknown_source

    problem = unknown_source(engine, (filters or {}).get("sources") or ())
    if problem:
        raise AlertError(f"filters.sources: {problem}")
    if query is not None and "source:" in query:
        compile_query(query, sources=known_sources(engine))


def find_alert(connection: Connection, name: str) -> Alert | None:
    """The alert named ``name`` (exactly, else trimmed and case-insensitively), or None."""
    row = connection.execute(select(Alert.__table__).where(Alert.name == name)).first()
    if row is None and name.strip():
        # Compared here, not with SQL lower(): SQLite's folds only ASCII, so 'Ärzte' and 'ärzte' would
        # be one name on PostgreSQL and two on SQLite. Alerts are few; their names fit in memory.
        wanted = name.strip().casefold()
        row = next((r for r in connection.execute(select(Alert.__table__).order_by(Alert.id))
                    if r.name.strip().casefold() == wanted), None)
    return row  # type: ignore[return-value]


def get_alert(connection: Connection, name_or_id: str | int) -> Alert:
    """The alert with this name (or numeric id); AlertError when there is none.

    Names are matched as typed, then trimmed and case-insensitively (``NMI`` finds ``nmi``), as
    ``add_alert`` keeps names unique that way.
    """
    row = find_alert(connection, str(name_or_id))
    if row is None and str(name_or_id).isascii() and str(name_or_id).isdigit():
        row = connection.execute(select(Alert.__table__).where(Alert.id == int(name_or_id))).first()
    if row is None:
        removed = connection.execute(select(RemovedAlert.removed).where(RemovedAlert.name == str(name_or_id).strip())
                                     .order_by(RemovedAlert.removed.desc()).limit(1)).scalar()
        when = f"; an alert of that name was removed on {removed:%Y-%m-%d %H:%M} UTC" if removed else ""
        raise AlertError(f"no alert named {name_or_id!r}{when} (see `monitor alerts list`)")
    return row  # type: ignore[return-value]


def check_trend(trend: dict[str, Any] | None, delivery: dict[str, Any]) -> dict[str, Any] | None:
    """The validated trend rule as stored (None for a story alert); AlertError naming what is wrong."""
    if trend is None:
        return None
    from monitor.alerts.trend_alerts import TrendRule, TrendRuleError
    from monitor.topics import Taxonomy

    try:
        rule = TrendRule.from_dict(trend)
    except (TrendRuleError, TypeError, ValueError) as exc:
        raise AlertError(str(exc)) from exc
    if rule.dimension == "topic" and rule.key not in Taxonomy.default().topics:
        raise AlertError(f"trend topic {rule.key!r}: not a topic of the taxonomy (see `monitor topics list`)")
    if delivery.get("digest", "immediate") != "immediate":
        raise AlertError(f"delivery.digest {delivery['digest']!r}: a trend alert fires at most once a day and "
                         "sends each firing at once; leave the digest at immediate")
    return rule.to_dict()


def add_alert(engine: Engine, name: str, query: str | None = None, *, owner: str = "",
              filters: dict[str, Any] | None = None, delivery: dict[str, Any] | None = None, muted: bool = False,
              trend: dict[str, Any] | None = None) -> int:
    """Create an alert (version 1); returns its id.

    A story alert has a ``query``; a trend alert has a ``trend`` rule (dimension, key,
    z, baseline_days, min_count: ``monitor.alerts.trend_alerts.TrendRule``) and its
    query is the rule's selection, for display.
    """
    name = check_name(name)  # " nmi" and "nmi" are one name, and so are "NMI" and "nmi" (see find_alert)
    deliv = Delivery.from_dict(delivery).to_dict()
    rule = check_trend(trend, deliv)
    if rule is not None:
        from monitor.alerts.trend_alerts import TrendRule

        query = TrendRule.from_dict(rule).selection
        validate_filters(filters)
    elif query is None:
        raise AlertError(f"alert {name!r}: give a query (a story alert) or a trend rule (a trend alert)")
    else:
        validate(query, filters)
    check_sources(engine, filters, None if rule is not None else query)
    now = _now()
    with engine.begin() as connection:
        existing = find_alert(connection, name)
        if existing is not None:
            same = "" if existing.name == name else f" (names ignore case and spaces: {existing.name!r})"
            raise AlertError(f"an alert named {name!r} already exists{same} (use `monitor alerts edit`)")
        alert_id = connection.execute(Alert.__table__.insert().values(
            **_fresh_id(connection), name=name, owner=owner, query=query, filters=filters or {}, delivery=deliv, trend=rule, muted=muted,
            version=1, created=now, updated=now)).inserted_primary_key[0]
        connection.execute(AlertVersion.__table__.insert().values(
            alert_id=alert_id, version=1, query=query, filters=filters or {}, delivery=deliv, trend=rule,
            created=now))
    return int(alert_id)


def _fresh_id(connection: Connection) -> dict[str, int]:
    """On SQLite, an explicit id above every alert's and every removed alert's (``RemovedAlert`` says why);
    elsewhere nothing: the database's sequence never hands an id out twice."""
    if connection.dialect.name != "sqlite":
        return {}
    top = max(connection.execute(select(func.max(Alert.id))).scalar() or 0,
              connection.execute(select(func.max(RemovedAlert.id))).scalar() or 0)
    return {"id": top + 1}


def remove_alert(engine: Engine, name: str) -> dict[str, Any]:
    """Delete an alert with everything it accumulated; returns what went (name, id, matches, deliveries).

    Its versions, matches, deliveries, delivery marks and trend firings go by foreign key (ON DELETE
    CASCADE); the dashboard's read state of it has no foreign key (the web tables stand alone) and
    goes here, in the same transaction.  A crawl storing articles meanwhile holds the alert rows it
    matched against (``matching.match_articles``), so its matches are in before the delete and go
    with it.  The id and a summary stay in ``alerts_removed``: the id is never used again.
    """
    with engine.begin() as connection:
        alert = get_alert(connection, name)
        # Wait for crawls matching against it (PostgreSQL: FOR UPDATE; SQLite: the first write takes the
        # one writer's lock) before counting, so the counts include what they stored.
        connection.execute(select(Alert.id).where(Alert.id == alert.id).with_for_update())
        connection.execute(delete(ReadMark).where(ReadMark.alert_id == alert.id))
        matches = select(AlertMatch.id).where(AlertMatch.alert_id == alert.id)
        counts = {"matches": connection.execute(select(func.count()).select_from(matches.subquery())).scalar() or 0,
                  "firings": connection.execute(select(func.count()).where(TrendFiring.alert_id == alert.id))
                  .scalar() or 0}
        connection.execute(delete(ReadState).where(ReadState.match_id.in_(matches)))
        connection.execute(RemovedAlert.__table__.insert().values(
            id=alert.id, name=alert.name, owner=alert.owner, query=alert.query,
            matches=counts["matches"] + counts["firings"], created=alert.created, removed=_now()))
        connection.execute(delete(Alert).where(Alert.id == alert.id))
    return {"id": alert.id, "name": alert.name, "kind": "story" if alert.trend is None else "trend", **counts}


def merge_filters(current: dict[str, Any] | None, updates: dict[str, Any]) -> dict[str, Any]:
    """``current`` with each kind named in ``updates`` replaced (a list) or removed (None); others kept."""
    unknown = set(updates) - set(FILTER_KINDS)
    if unknown:
        raise AlertError(f"filters: unknown key(s) {sorted(unknown)}; expected {', '.join(FILTER_KINDS)}")
    merged = dict(current or {})
    for kind, values in updates.items():
        if values:
            merged[kind] = list(values)
        else:
            merged.pop(kind, None)
    return merged


def edit_alert(engine: Engine, name: str, *, query: str | None = None, filters: dict[str, Any] | None = None,
               delivery: dict[str, Any] | None = None, owner: str | None = None,
               trend: dict[str, Any] | None = None, filter_updates: dict[str, Any] | None = None) -> int:
    """Change an alert; a change of query, filters, delivery or trend rule makes a new version (returned).

    ``filters`` replaces every filter; ``filter_updates`` changes one kind at a time (``{"languages":
    ["fr"]}`` sets the language filter and keeps the source and topic filters; ``{"topics": None}``
    removes the topic filter), read and written in one transaction.  A story alert keeps a query and
    a trend alert a trend rule: neither turns into the other.
    """
    with engine.begin() as connection:
        alert = get_alert(connection, name)
        new_filters = alert.filters if filters is None else filters
        if filter_updates:
            new_filters = merge_filters(new_filters, filter_updates)
        if new_filters != alert.filters:
            check_sources(engine, new_filters)
        new_delivery = alert.delivery if delivery is None else Delivery.from_dict(delivery).to_dict()
        if alert.trend is None:
            if trend is not None:
                raise AlertError(f"alert {name!r} is a story alert: it has no trend rule to change")
            new_query, new_trend = alert.query if query is None else query, None
            validate(new_query, new_filters)
            if query is not None:
                check_sources(engine, None, query)
        else:
            if query is not None:
                raise AlertError(f"alert {name!r} is a trend alert: change its rule (--trend, --z ...), not a query")
            from monitor.alerts.trend_alerts import TrendRule

            new_trend = check_trend({**alert.trend, **(trend or {})}, new_delivery)
            new_query = TrendRule.from_dict(new_trend or {}).selection
            validate_filters(new_filters)
        version = alert.version
        if (new_query, new_filters, new_delivery, new_trend) != (alert.query, alert.filters, alert.delivery,
                                                                 alert.trend):
            version += 1
            connection.execute(AlertVersion.__table__.insert().values(
                alert_id=alert.id, version=version, query=new_query, filters=new_filters, delivery=new_delivery,
                trend=new_trend, created=_now()))
        connection.execute(Alert.__table__.update().where(Alert.id == alert.id).values(
            query=new_query, filters=new_filters, delivery=new_delivery, trend=new_trend, version=version,
            owner=alert.owner if owner is None else owner, updated=_now()))
    return version


def set_muted(engine: Engine, name: str, muted: bool = True) -> None:
    """Mute (matches still reach the inbox, nothing is sent) or unmute an alert."""
    with engine.begin() as connection:
        alert = get_alert(connection, name)
        connection.execute(Alert.__table__.update().where(Alert.id == alert.id).values(muted=muted, updated=_now()))


def list_alerts(engine: Engine) -> list[dict[str, Any]]:
    """Every alert with its match count (stories matched; for a trend alert, days it fired)."""
    counts = select(AlertMatch.alert_id, func.count().label("n")).group_by(AlertMatch.alert_id).subquery()
    fired = select(TrendFiring.alert_id, func.count().label("n")).group_by(TrendFiring.alert_id).subquery()
    with engine.connect() as connection:
        rows = connection.execute(
            select(Alert.__table__, (func.coalesce(counts.c.n, 0) + func.coalesce(fired.c.n, 0)).label("matches"))
            .outerjoin(counts, counts.c.alert_id == Alert.id).outerjoin(fired, fired.c.alert_id == Alert.id)
            .order_by(Alert.name)).all()
    return [{**dict(r._mapping), "kind": "story" if r.trend is None else "trend"} for r in rows]


def show_alert(engine: Engine, name: str) -> dict[str, Any]:
    """One alert with its version history (each version's query and how many stories it matched, or for
    a trend alert on how many days it fired)."""
    with engine.connect() as connection:
        alert = get_alert(connection, name)
        table = AlertMatch if alert.trend is None else TrendFiring
        matched = dict(connection.execute(
            select(table.version, func.count()).where(table.alert_id == alert.id)
            .group_by(table.version)).all())
        versions = [
            {**dict(v._mapping), "matches": matched.get(v.version, 0)}
            for v in connection.execute(select(AlertVersion.version, AlertVersion.query, AlertVersion.filters,
                                               AlertVersion.delivery, AlertVersion.trend,
                                               AlertVersion.created)
                                        .where(AlertVersion.alert_id == alert.id).order_by(AlertVersion.version))
        ]
    return {**dict(alert._mapping), "kind": "story" if alert.trend is None else "trend", "history": versions}
