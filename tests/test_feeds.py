"""Feed parsing on real, broken feeds from ../shared/corpora and on the replica's feeds."""

from pathlib import Path

import pytest

from monitor.feeds import FeedError, parse_feed
from monitor.replica import SITES_DIR
from tests.conftest import CORPORA

FEEDS = CORPORA / "feeds-sitemaps" / "feeds"


def test_latin1_feed_without_declaration_is_parsed_leniently() -> None:
    feed = parse_feed((FEEDS / "uolNoticias.rss").read_bytes(), "https://noticias.uol.com.br/rss.xml")
    assert len(feed.entries) > 5
    assert any(any(ch in (e.title or "") for ch in "ãçéíóú") for e in feed.entries)


def test_atom_feed_entries_have_absolute_urls_and_utc_dates() -> None:
    feed = parse_feed((FEEDS / "heise.atom").read_bytes(), "https://www.heise.de/developer/rss/news-atom.xml")
    assert feed.entries
    for entry in feed.entries:
        assert entry.url.startswith("http")
        assert entry.published is not None and entry.published.utcoffset().total_seconds() == 0
    dates = [e.published for e in feed.entries]
    assert dates == sorted(dates, reverse=True)


def test_relative_links_resolve_against_the_feed_url() -> None:
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
    <item><title>A</title><link>/2024/a/</link><pubDate>Tue, 12 Mar 2024 09:30:00 +0100</pubDate></item>
    </channel></rss>"""
    feed = parse_feed(body, "https://www.bruxelles2.eu/feed/")
    assert feed.entries[0].url == "https://www.bruxelles2.eu/2024/a/"
    assert feed.entries[0].published.isoformat() == "2024-03-12T08:30:00+00:00"


@pytest.mark.parametrize("body", [b"", b"<html><body><p>Not a feed</p></body></html>", b"\x89PNG\r\n\x1a\n\x00\x00"])
def test_non_feeds_raise_feed_error_naming_the_url(body: bytes) -> None:
    with pytest.raises(FeedError, match="https://x.eu/feed"):
        parse_feed(body, "https://x.eu/feed")


@pytest.mark.parametrize("feed_file", sorted(SITES_DIR.glob("*/feed/index.xml")), ids=lambda p: p.parts[-3])
def test_replica_feeds_parse(feed_file: Path) -> None:
    body = feed_file.read_bytes().replace(b"{{SITE}}", b"http://127.0.0.1:1/site")
    feed = parse_feed(body, "http://127.0.0.1:1/site/feed/")
    assert len(feed.entries) >= 8
    assert all(e.url.startswith("http://127.0.0.1:1/site/") and e.published for e in feed.entries)


def test_broken_author_markup_keeps_the_entry_without_an_author() -> None:
    # Found by tests/test_fuzz.py: feedparser returns an author whose name is None for this markup.
    body = (b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><link href="http://x.eu/1"/>'
            b'<dc:creator></name></author></entry>'
            b'<entry><link href="http://x.eu/2"/><author><name> Jane Doe </name></author></entry></feed>')
    entries = {e.url: e for e in parse_feed(body, "http://x.eu/feed").entries}
    assert set(entries) == {"http://x.eu/1", "http://x.eu/2"}
    assert entries["http://x.eu/1"].authors == ()
    assert entries["http://x.eu/2"].authors == ("Jane Doe",)
