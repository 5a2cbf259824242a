"""Send undelivered alert matches by e-mail and webhook, at most once per (match, channel) recorded.

Protocol, per message: open a transaction, INSERT the ``alert_deliveries`` rows
(unique per match and channel: this claims them; a second deliverer blocks or
fails on the same rows), send, COMMIT.  If the process dies before the commit,
the rows vanish with the transaction and the next ``deliver`` sends again.

Guarantee: every match of an unmuted alert is delivered on each configured
channel at least once; it is delivered twice only if the process dies after the
receiver accepted a message and before the commit, and then the resend carries
the same ``Message-ID`` / ``Idempotency-Key``, so the receiver can drop it.

Backfilled matches (``monitor alerts add --backfill``: stories stored before
the alert existed) are never sent: ``backfill`` records each with a delivery
row keyed ``backfill-...`` in the transaction that creates it, and a match with
such a row is pending on no channel, including one added later by an edit.

Finding what is pending costs what is new, not all history: see ``monitor.alerts.delivery_marks``.

Trend alerts: each run first records the day's spikes (``evaluate_trends``: one
committed row per alert and day), then sends every firing not yet delivered on a
channel by the same claim / send / commit protocol, one message per firing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, Engine, func, select
from sqlalchemy.exc import IntegrityError

from monitor.alerts import email, webhook
from monitor.alerts.manage import Delivery
from monitor.alerts.matching import BACKFILL_PREFIX
from monitor.alerts.delivery_marks import advance_mark, pending_matches, settled_match_id
from monitor.alerts.models import Alert, AlertDelivery, AlertMatch
from monitor.alerts.trend_alerts import (claim_firing, evaluate_trends, firing_entries, pending_firings, trend_inbox,
                                         trend_key)
from monitor.search.documents import load_articles
from monitor.stories import outlet_counts
from monitor.topics import snippet

DIGEST_PERIOD = {"hourly": timedelta(hours=1), "daily": timedelta(days=1)}
DOMAIN = "monitor.invalid"


@dataclass
class DeliveryReport:
    """What one ``deliver`` run did."""

    emails: int = 0
    webhooks: int = 0
    failed: list[str] = field(default_factory=list)
    trend_firings: int = 0  # spikes newly recorded by this run

    def to_dict(self) -> dict[str, Any]:
        return {"emails": self.emails, "webhooks": self.webhooks, "failed": self.failed,
                "trend_firings": self.trend_firings}


def delivery_key(alert_id: int, story_key: int) -> str:
    """The idempotency key of one alert entry (also the e-mail Message-ID's local part)."""
    return f"alert-{alert_id}-story-{story_key}"


def message_id(alert_id: int, story_keys: Sequence[int]) -> str:
    """Deterministic Message-ID: one story, or the digest's first and last story."""
    keys = sorted(story_keys)
    local = delivery_key(alert_id, keys[0]) if len(keys) == 1 else f"alert-{alert_id}-digest-{keys[0]}-{keys[-1]}"
    return f"<{local}@{DOMAIN}>"


def entries_for(connection: Any, matches: Sequence[Any]) -> list[dict[str, Any]]:
    """Matches as entries: the matched article, its evidence snippets and how many other outlets ran the story."""
    articles = {a.id: a for a in load_articles(connection, [m.article_id for m in matches])}
    keys = [m.story_key for m in matches]
    outlets = outlet_counts(connection, keys)
    out = []
    for m in matches:
        a = articles.get(m.article_id)
        if a is None:
            continue
        snippets = [snippet(a.title if ev["field"] == "title" else a.text, ev["start"], ev["end"])
                    for ev in (m.evidence or [])[:3]]
        out.append({"match_id": m.id, "alert_id": m.alert_id, "story_id": m.story_key, "article_id": a.id,
                    "title": a.title, "url": a.url, "outlet": a.outlet, "source": a.source,
                    "language": a.language, "published": a.published.isoformat() if a.published else None,
                    "also_in": max(0, outlets.get(m.story_key, 1) - 1), "snippets": snippets,
                    "version": m.version})
    return out


def _claim(connection: Any, matches: Sequence[Any], channel: str, key: str, now: datetime) -> None:
    connection.execute(AlertDelivery.__table__.insert(),
                       [{"match_id": m.id, "channel": channel, "key": key, "delivered_at": now} for m in matches])


def _digest_due(connection: Any, alert_id: int, digest: str, now: datetime) -> bool:
    if digest == "immediate":
        return True
    # the last e-mail actually sent: a backfill recorded at creation does not postpone the first digest
    last = connection.execute(
        select(func.max(AlertDelivery.delivered_at)).join(AlertMatch, AlertMatch.id == AlertDelivery.match_id)
        .where(AlertMatch.alert_id == alert_id, AlertDelivery.channel == "email",
               ~AlertDelivery.key.startswith(BACKFILL_PREFIX))).scalar()
    return last is None or now - last >= DIGEST_PERIOD[digest]


def deliver(engine: Engine, *, smtp_url: str | None = None, sender: str = email.DEFAULT_SENDER,
            retries: int = 3, backoff: float = 0.5, now: datetime | None = None) -> DeliveryReport:
    """Record today's trend spikes, then send every undelivered match or firing of every unmuted alert
    on its configured channels."""
    now = now or datetime.now(timezone.utc)
    report = DeliveryReport()
    report.trend_firings = evaluate_trends(engine, now)
    settled = settled_match_id(engine)  # before any match is read: everything up to it is then visible
    with engine.connect() as connection:
        alerts = connection.execute(select(Alert.id, Alert.name, Alert.delivery, Alert.trend)
                                    .where(Alert.muted.is_(False)).order_by(Alert.id)).all()
    for alert in alerts:
        try:
            _deliver_alert(engine, alert, smtp_url, sender, retries, backoff, now, settled, report)
        except IntegrityError:
            # the mark of an alert ``monitor alerts remove`` deleted since the alerts were read (a claim's
            # IntegrityError is handled per message, below); nothing of it is left to send
            with engine.connect() as connection:
                if connection.execute(select(Alert.id).where(Alert.id == alert.id)).first() is not None:
                    raise
    return report


def _deliver_alert(engine: Engine, alert: Any, smtp_url: str | None, sender: str, retries: int, backoff: float,
                   now: datetime, settled: int | None, report: DeliveryReport) -> None:
    """Send one alert's undelivered matches (or firings, for a trend alert) on each of its channels."""
    settings = Delivery.from_dict(alert.delivery)
    if settings.email and not smtp_url:
        waiting = _email_waiting(engine, alert)
        if waiting:
            report.failed.append(f"{alert.name}: {waiting} e-mail(s) to {settings.email} waiting, but "
                                 "MONITOR_SMTP_URL is not set (or give --smtp)")
    if alert.trend is not None:
        if settings.email and smtp_url:
            _deliver_firings(engine, alert, "email", settings.email,
                             lambda entry, key: email.send(email.build_trend_message(
                                 alert.name, entry, to=settings.email or "", message_id=f"<{key}@{DOMAIN}>",
                                 sender=sender), smtp_url or ""), now, report)
        if settings.webhook:
            _deliver_firings(engine, alert, "webhook", settings.webhook,
                             lambda entry, key: webhook.post(settings.webhook or "",
                                                             {"alert": alert.name, "key": key, "trend": entry},
                                                             key=key, retries=retries, backoff=backoff),
                             now, report)
        return
    if settings.email and smtp_url:
        _deliver_email(engine, alert, settings, smtp_url, sender, now, settled, report)
    if settings.webhook:
        _deliver_webhook(engine, alert, settings, retries, backoff, now, settled, report)


def _email_waiting(engine: Engine, alert: Any) -> int:
    """How many matches (firings, for a trend alert) of the alert are still to be sent by e-mail.

    Why: without an SMTP server they cannot be sent, which is a failure only when there is something
    to send; an alert with an address and nothing pending must not fail every ``deliver`` run.
    """
    with engine.connect() as connection:
        if alert.trend is not None:
            return len(pending_firings(connection, alert.id, "email"))
        return len(pending_matches(connection, alert.id, "email").matches)


def _deliver_firings(engine: Engine, alert: Any, channel: str, target: str, send: Callable[[dict, str], object],
                     now: datetime, report: DeliveryReport) -> None:
    """Send each undelivered firing of a trend alert on ``channel``: claim, send, commit (one per firing)."""
    with engine.connect() as connection:
        pending = pending_firings(connection, alert.id, channel)
    for firing in pending:
        key = trend_key(alert.id, firing.day)
        try:
            with engine.begin() as connection:
                claim_firing(connection, firing, channel, key, now)
                send(firing_entries(connection, alert.name, [firing])[0], key)
                if channel == "email":
                    report.emails += 1
                else:
                    report.webhooks += 1
        except IntegrityError:
            continue  # claimed by a run on another machine meanwhile (it sends it), or the alert was removed
        except (OSError, ValueError) as exc:
            report.failed.append(f"{alert.name}: {channel} {key} to {target}: {exc}")


def _deliver_email(engine: Engine, alert: Any, settings: Delivery, smtp_url: str, sender: str, now: datetime,
                   settled: int | None, report: DeliveryReport) -> None:
    with engine.connect() as connection:
        pending = pending_matches(connection, alert.id, "email")
        due = bool(pending.matches) and _digest_due(connection, alert.id, settings.digest, now)
    matches = pending.matches
    groups = [] if not due else [[m] for m in matches] if settings.digest == "immediate" else [matches]
    sent: set[int] = set()
    for group in groups:
        mid = message_id(alert.id, [m.story_key for m in group])
        try:
            with engine.begin() as connection:
                _claim(connection, group, "email", mid, now)
                entries = entries_for(connection, group)
                if entries:
                    email.send(email.build_message(alert.name, entries, to=settings.email or "",
                                                   message_id=mid, sender=sender), smtp_url)
                    report.emails += 1
            sent.update(m.id for m in group)
        except IntegrityError:
            continue  # claimed by a run on another machine meanwhile (it sends it), or the alert was removed
        except (OSError, ValueError) as exc:
            report.failed.append(f"{alert.name}: e-mail {mid} via {_server(smtp_url)}: {exc}")
    advance_mark(engine, alert.id, "email", pending, sent, settled)


def _server(url: str) -> str:
    """``host:port`` of a server URL, without its credentials (for failure messages)."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname or url)


def _deliver_webhook(engine: Engine, alert: Any, settings: Delivery, retries: int, backoff: float, now: datetime,
                     settled: int | None, report: DeliveryReport) -> None:
    with engine.connect() as connection:
        pending = pending_matches(connection, alert.id, "webhook")
    sent: set[int] = set()
    for match in pending.matches:
        key = delivery_key(alert.id, match.story_key)
        try:
            with engine.begin() as connection:
                _claim(connection, [match], "webhook", key, now)
                for entry in entries_for(connection, [match]):
                    webhook.post(settings.webhook or "", {"alert": alert.name, "key": key, "entry": entry},
                                 key=key, retries=retries, backoff=backoff)
                    report.webhooks += 1
            sent.add(match.id)
        except IntegrityError:
            continue  # claimed by a run on another machine meanwhile (it sends it), or the alert was removed
        except (OSError, ValueError) as exc:
            report.failed.append(f"{alert.name}: webhook {key}: {exc}")
    advance_mark(engine, alert.id, "webhook", pending, sent, settled)


def inbox(engine: Engine, name: str, *, limit: int = 50, since: datetime | None = None,
          where: ColumnElement[bool] | None = None) -> list[dict[str, Any]]:
    """An alert's entries, newest match first, with delivery state per channel.

    ``where`` narrows the matches in SQL, before the limit (the dashboard's "unread
    only": filtering the newest ``limit`` afterwards showed nothing unread while
    older entries were).
    """
    from monitor.alerts.manage import get_alert

    with engine.connect() as connection:
        alert = get_alert(connection, name)
        query = select(AlertMatch.__table__).where(AlertMatch.alert_id == alert.id)
        if since:
            query = query.where(AlertMatch.matched_at >= since)
        if where is not None:
            query = query.where(where)
        matches = connection.execute(query.order_by(AlertMatch.matched_at.desc(), AlertMatch.id.desc())
                                     .limit(limit)).all()
        entries = entries_for(connection, matches)
        delivered: dict[int, list[str]] = {}
        if matches:
            for row in connection.execute(select(AlertDelivery.match_id, AlertDelivery.channel)
                                          .where(AlertDelivery.match_id.in_([m.id for m in matches]))):
                delivered.setdefault(row.match_id, []).append(row.channel)
    matched_at = {m.id: m.matched_at for m in matches}
    return [{**e, "matched_at": matched_at[e["match_id"]], "delivered": sorted(delivered.get(e["match_id"], []))}
            for e in entries]




def trend_firings(engine: Engine, name: str, *, limit: int = 50,
                  since: datetime | None = None) -> list[dict[str, Any]] | None:
    """A trend alert's firings, newest day first, with delivery state; None for a story alert."""
    from monitor.alerts.manage import get_alert

    with engine.connect() as connection:
        alert = get_alert(connection, name)
        return None if alert.trend is None else trend_inbox(connection, alert, limit=limit, since=since)
