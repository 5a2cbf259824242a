"""E-mail digests (hourly, daily): several stories in one message (HTML + plain text, crawled text escaped),
at most one message per period, and no story in two digests; real SMTP (aiosmtpd), SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from monitor.alerts import add_alert, deliver, inbox, match_new_articles
from monitor.db import connect
from tests.alert_receivers import smtp  # noqa: F401 - fixture
from tests.test_search_fixtures import add_article, any_db_url  # noqa: F401 - fixture

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
MARKUP = '<img src=x onerror="alert(1)">'


def stories(engine, names: list[str]) -> list[int]:
    """One article per name whose title and text carry markup right next to the word the alert looks for."""
    return [add_article(engine, "b2", f"{name} <b>frontex</b> report",
                        f"Earlier paragraphs. {MARKUP} Frontex officers said {name} & co. were stopped.")
            for name in names]


@pytest.mark.parametrize(("digest", "period"), [("hourly", timedelta(hours=1)), ("daily", timedelta(days=1))])
def test_a_digest_collects_stories_once_per_period(any_db_url: str, smtp, digest: str, period: timedelta) -> None:
    smtp_url, box = smtp
    engine = connect(any_db_url)
    add_alert(engine, "border", "frontex", delivery={"email": "desk@example.eu", "digest": digest})
    first = stories(engine, ["Alpha", "Bravo", "Charlie"])
    assert match_new_articles(engine, first) == 3
    assert deliver(engine, smtp_url=smtp_url, now=T0).emails == 1
    assert deliver(engine, smtp_url=smtp_url, now=T0 + timedelta(minutes=5)).emails == 0  # nothing pending
    [message] = box.messages
    assert message["Subject"] == "[border] 3 new stories"
    assert message["Message-ID"] == f"<alert-1-digest-{first[0]}-{first[-1]}@monitor.invalid>"
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for name in ("Alpha", "Bravo", "Charlie"):
        assert f"{name} <b>frontex</b> report" in plain  # plain text stays as written
        assert f"{name} &lt;b&gt;frontex&lt;/b&gt; report" in html
    assert plain.count("  … ") >= 3 and MARKUP in plain  # evidence snippets, one per story at least
    assert html.count("<blockquote>") >= 3 and "<img" not in html and "<b>" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html and "&amp; co." in html

    later = stories(engine, ["Delta", "Echo"])
    match_new_articles(engine, later)
    assert deliver(engine, smtp_url=smtp_url, now=T0 + period - timedelta(minutes=1)).emails == 0  # not due yet
    assert len(box.messages) == 1
    assert deliver(engine, smtp_url=smtp_url, now=T0 + period).emails == 1
    second = box.messages[1]
    assert second["Subject"] == "[border] 2 new stories"
    body = second.get_body(("plain",)).get_content()
    assert "Delta" in body and "Echo" in body and not any(n in body for n in ("Alpha", "Bravo", "Charlie"))
    assert deliver(engine, smtp_url=smtp_url, now=T0 + 3 * period).emails == 0  # every story sent, none twice
    assert len(box.messages) == 2
    assert all(e["delivered"] == ["email"] for e in inbox(engine, "border"))


def test_one_pending_story_is_a_one_story_digest(any_db_url: str, smtp) -> None:
    smtp_url, box = smtp
    engine = connect(any_db_url)
    add_alert(engine, "border", "frontex", delivery={"email": "desk@example.eu", "digest": "daily"})
    [only] = stories(engine, ["Alpha"])
    match_new_articles(engine, [only])
    assert deliver(engine, smtp_url=smtp_url, now=T0).emails == 1
    assert box.messages[0]["Message-ID"] == f"<alert-1-story-{only}@monitor.invalid>"
    assert box.messages[0]["Subject"] == "[border] Alpha <b>frontex</b> report"
