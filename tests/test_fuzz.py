"""Fuzzing the parsers that read outside input: only their documented error type may escape.

``parse_feed`` reads whatever an outlet serves, ``canonicalize_url`` whatever a
feed or page links to, ``parse_query`` whatever a user types: for any input each
returns a value or raises FeedError / InvalidURLError / QuerySyntaxError.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.feeds import Feed, FeedError, parse_feed
from monitor.topics import parse_query
from monitor.topics.query import QuerySyntaxError
from monitor.urls import InvalidURLError, canonicalize_url

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Fragments of real feeds, so the fuzzer reaches the entry and date handling, not only "not a feed".
FEED_PARTS = ['<?xml version="1.0" encoding="utf-8"?>', '<?xml version="1.0" encoding="latin-1"?>', "<rss version=\"2.0\">",
              "<channel>", "<item>", "</item>", "<title>", "</title>", "<link>", "</link>", "http://a.eu/x", "/rel",
              "<guid>", "</guid>", "<pubDate>", "</pubDate>", "Fri, 14 Mar 2025 10:00:00 +0000", "2101-01-01",
              "<feed xmlns=\"http://www.w3.org/2005/Atom\">", "<entry>", "</entry>", '<link href="', '"/>',
              "<updated>", "</updated>", "&amp;", "&", "<![CDATA[", "]]>", "</channel></rss>", "</feed>",
              "<author><name>", "</name></author>", "<dc:creator>", "\x00", "\ufeff", "é", "<"]
QUERY_PARTS = ["nato", "OTAN", '"air defence"', "AND", "OR", "NOT", "(", ")", "title:", "lang:fr", "source:b2",
               "@", "@set", "~", "*", "NEAR/3", "\n", " ", "'", "\"", ":", "-", "topic:", "é", "\\"]


@FUZZ
@given(st.one_of(st.binary(max_size=2000),
                 st.lists(st.sampled_from(FEED_PARTS) | st.text(max_size=20), max_size=40).map("".join)))
def test_parse_feed_raises_only_feed_error(body: bytes | str) -> None:
    try:
        feed = parse_feed(body, "http://outlet.example/feed.xml")
    except FeedError:
        return
    assert isinstance(feed, Feed)
    for entry in feed.entries:
        assert entry.url.startswith("http")


@FUZZ
@given(st.one_of(st.text(max_size=200),
                 st.builds(lambda s, h, p, q: f"{s}://{h}{p}?{q}",
                           st.sampled_from(["http", "https", "HTTP", "ftp", "", "javascript"]),
                           st.text(max_size=30), st.text(max_size=40), st.text(max_size=40))))
def test_canonicalize_url_raises_only_invalid_url_error(url: str) -> None:
    try:
        key = canonicalize_url(url)
    except InvalidURLError:
        return
    assert key.startswith(("http://", "https://"))
    assert canonicalize_url(key) == key  # a key is its own key


@FUZZ
@given(st.one_of(st.text(max_size=120), st.lists(st.sampled_from(QUERY_PARTS), max_size=25).map(" ".join)))
def test_parse_query_raises_only_query_syntax_error(source: str) -> None:
    try:
        parse_query(source)
    except QuerySyntaxError as exc:
        assert "line" in str(exc) and "column" in str(exc)
