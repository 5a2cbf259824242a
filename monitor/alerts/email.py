"""E-mail for alert entries: HTML + plain text with escaped snippets, sent over SMTP (stdlib smtplib).

Every message carries a deterministic ``Message-ID`` derived from the alert and
the stories it reports, so a resend after a crash between SMTP acceptance and
the database commit is recognisable as the same message.
"""

from __future__ import annotations

import html
import smtplib
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any
from urllib.parse import unquote, urlsplit

DEFAULT_SENDER = "monitor@localhost"


def parse_smtp_url(url: str) -> dict[str, Any]:
    """``smtp://[user:pass@]host[:port]`` or ``smtps://``; ValueError naming the URL otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError(f"MONITOR_SMTP_URL {url!r}: expected smtp://host:port or smtps://host:port")
    return {"host": parts.hostname, "port": parts.port or (465 if parts.scheme == "smtps" else 25),
            "ssl": parts.scheme == "smtps", "user": unquote(parts.username or ""),
            "password": unquote(parts.password or "")}


def _entry_text(entry: dict[str, Any]) -> str:
    lines = [entry["title"] or "(untitled)", entry["url"], f"{entry['outlet']} · {entry['published'] or 'undated'}"]
    if entry["also_in"]:
        lines.append(f"also in {entry['also_in']} outlets")
    lines += [f"  … {s}" for s in entry["snippets"]]
    return "\n".join(lines)


def _entry_html(entry: dict[str, Any]) -> str:
    e = html.escape
    also = f" <em>also in {entry['also_in']} outlets</em>" if entry["also_in"] else ""
    snippets = "".join(f"<blockquote>{e(s)}</blockquote>" for s in entry["snippets"])
    return (f'<li><a href="{e(entry["url"], quote=True)}">{e(entry["title"] or "(untitled)")}</a><br>'
            f"{e(entry['outlet'])} · {e(str(entry['published'] or 'undated'))}{also}{snippets}</li>")


def build_message(alert_name: str, entries: Sequence[dict[str, Any]], *, to: str, message_id: str,
                  sender: str = DEFAULT_SENDER) -> EmailMessage:
    """One e-mail listing ``entries`` (one for immediate delivery, several for a digest)."""
    message = EmailMessage()
    count = len(entries)
    first = entries[0]["title"] or "(untitled)"
    message["Subject"] = f"[{alert_name}] {first}" if count == 1 else f"[{alert_name}] {count} new stories"
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id
    message.set_content(f"Alert: {alert_name}\n\n" + "\n\n".join(_entry_text(x) for x in entries) + "\n")
    message.add_alternative(
        f"<html><body><h1>{html.escape(alert_name)}</h1><ul>{''.join(_entry_html(x) for x in entries)}</ul>"
        "</body></html>", subtype="html")
    return message


def trend_lines(entry: dict[str, Any]) -> list[tuple[str, str]]:
    """A trend firing as (label, value) rows: the day's count, the baseline and window, the z-score."""
    std_note = " (floored at 1)" if entry["baseline_std"] <= 1.0 else ""
    return [
        ("Selection", entry["selection"]),
        ("Day (UTC)", f"{entry['day']}: {entry['count']} articles"),
        ("Baseline", f"mean {entry['baseline_mean']:g}, std-dev {entry['baseline_std']:g}{std_note}"),
        ("Measured against", f"{entry['baseline_days']} days, {entry['baseline_start']} to {entry['baseline_end']}"),
        ("z-score", f"{entry['z']:g}" + (f" (fires at {entry['threshold_z']:g})" if entry.get("threshold_z") else "")),
    ]


def trend_subject(alert_name: str, entry: dict[str, Any]) -> str:
    return f"[{alert_name}] spike on {entry['day']}: {entry['count']} articles, z {entry['z']:g}"


def build_trend_message(alert_name: str, entry: dict[str, Any], *, to: str, message_id: str,
                        sender: str = DEFAULT_SENDER) -> EmailMessage:
    """One e-mail for one trend firing, with the baseline it was measured against."""
    message = EmailMessage()
    message["Subject"] = trend_subject(alert_name, entry)
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id
    rows = trend_lines(entry)
    message.set_content(f"Alert: {alert_name}\n\n" + "\n".join(f"{k}: {v}" for k, v in rows) + "\n")
    e = html.escape
    table = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows)
    message.add_alternative(f"<html><body><h1>{e(alert_name)}</h1><table>{table}</table></body></html>",
                            subtype="html")
    return message


def send(message: EmailMessage, smtp_url: str, timeout: float = 30.0) -> None:
    """Hand ``message`` to the SMTP server; raises on any refusal."""
    cfg = parse_smtp_url(smtp_url)
    cls = smtplib.SMTP_SSL if cfg["ssl"] else smtplib.SMTP
    with cls(cfg["host"], cfg["port"], timeout=timeout) as client:
        if cfg["user"]:
            client.login(cfg["user"], cfg["password"])
        client.send_message(message)
