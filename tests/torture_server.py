"""A hostile outlet on 127.0.0.1: every way a news site can misbehave, on demand.

``TortureServer`` serves feeds, a listing trap and article pages whose path says
how they misbehave (see ``ARTICLE_CASES``): lying charsets and Content-Types,
binary and empty bodies, oversized pages, a gzip bomb, a redirect loop, stalls,
429 with Retry-After, bursts of 5xx, connection resets, short bodies. Good pages
carry distinct generated text so each one is a separate article. ``hits`` counts
requests per path (for "fail the first N times" behaviours and for assertions).
"""

from __future__ import annotations

import gzip
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

COUNTRIES = ["Estonian", "Polish", "French", "German", "Italian", "Spanish", "Dutch", "Finnish", "Swedish",
             "Danish", "Czech", "Greek", "Portuguese", "Belgian", "Latvian", "Lithuanian", "Romanian", "Irish"]
ITEMS = ["air-defence systems", "armoured vehicles", "patrol boats", "radars", "howitzers", "drones", "frigates",
         "transport aircraft", "night-vision goggles", "field hospitals", "trucks", "helicopters", "satellites"]
BRANCHES = ["army", "navy", "air force", "reserve units", "border guard", "special forces", "cyber command"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
ACTORS = ["the parliament's defence committee", "the finance minister", "opposition members", "industry groups",
          "the chief of defence", "auditors", "regional governors", "union representatives", "NATO officials"]
VERBS = ["welcomed", "questioned", "criticised", "endorsed", "asked for details on", "called for a review of",
         "promised to scrutinise", "voted to fund", "demanded a timetable for"]


def article_text(slug: str, paragraphs: int = 4) -> list[str]:
    """Distinct, plausible English paragraphs for ``slug`` (seeded: the same slug gives the same text)."""
    rng = random.Random(slug)
    out = []
    for _ in range(paragraphs):
        sentences = []
        for _ in range(3):
            sentences.append(
                f"The {rng.choice(COUNTRIES)} defence ministry said on {rng.choice(DAYS)} that it would buy "
                f"{rng.randint(2, 480)} {rng.choice(ITEMS)} for its {rng.choice(BRANCHES)}, and "
                f"{rng.choice(ACTORS)} {rng.choice(VERBS)} the plan worth {rng.randint(3, 990)} million euros.")
        out.append(" ".join(sentences))
    return out


def article_title(slug: str) -> str:
    rng = random.Random("title" + slug)
    return f"{rng.choice(COUNTRIES)} ministry orders {rng.choice(ITEMS)} ({slug})"


def article_html(slug: str, *, title: str | None = None, extra_head: str = "", extra_text: str = "",
                 paragraphs: int = 4) -> str:
    """A well-formed article page."""
    title = title or article_title(slug)
    body = "\n".join(f"<p>{p}</p>" for p in article_text(slug, paragraphs))
    return (f"<!DOCTYPE html><html lang=\"en\"><head>{extra_head}<title>{title}</title>"
            f"<meta property=\"article:published_time\" content=\"2025-03-14T10:00:00+00:00\"></head>"
            f"<body><article><h1>{title}</h1>{body}<p>{extra_text}</p></article></body></html>")


# Latin-1/Windows-1252 pages: the title holds characters whose bytes differ between the charsets.
ACCENTED_TITLE = "Défense européenne : la Commission présente son plan"
CP1252_TITLE = "Défense : “l’Europe doit s’armer” – débat à Bruxelles"

GOOD = "good"
# path under /a/ -> what the page does. "stored": the crawl must store it; else the reason it must record.
ARTICLE_CASES: dict[str, str] = {
    "good-1": "stored", "good-2": "stored", "good-3": "stored",
    "malformed": "stored", "truncated-markup": "stored",
    "latin1-no-charset": "stored", "cp1252-says-latin1": "stored", "utf8-bom-says-latin1": "stored",
    "meta-lies": "stored", "type-lies": "stored",
    "retry-after": "stored", "burst-5xx": "stored",
    "binary": "binary_body", "empty": "empty_body", "oversized": "too_large", "gzip-bomb": "too_large",
    "redirect-loop": "redirect_loop", "stall": "timeout", "slow": "timeout", "down": "http_503",
    "reset": "connection_lost", "short-body": "data_loss",
}
EXPECTED_TITLES = {"latin1-no-charset": ACCENTED_TITLE, "cp1252-says-latin1": CP1252_TITLE,
                   "utf8-bom-says-latin1": ACCENTED_TITLE, "meta-lies": CP1252_TITLE}
BIG_FEED_ENTRIES = 10_000
MAX_SIZE = 2_000_000  # the tests' DOWNLOAD_MAXSIZE: the 10,000-entry feed fits, the oversized page does not


def rss(base: str, items: list[tuple[str, str | None, str | None]], title: str = "Hostile outlet") -> str:
    """An RSS 2.0 document; items are (link, guid, pubDate)."""
    parts = [f"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>{title}</title>"
             f"<link>{base}/</link><language>en</language>"]
    for link, guid, date in items:
        parts.append(f"<item><title>{link.rsplit('/', 1)[-1]}</title><link>{link}</link>"
                     + (f"<guid isPermaLink=\"false\">{guid}</guid>" if guid else "")
                     + (f"<pubDate>{date}</pubDate>" if date else "") + "</item>")
    parts.append("</channel></rss>")
    return "".join(parts)


class TortureServer:
    """The hostile outlet, in a background thread; ``base_url`` is ``http://127.0.0.1:PORT``."""

    def __init__(self, article_delay: float = 0.0) -> None:
        self.hits: Counter[str] = Counter()
        self.article_delay = article_delay  # seconds before every good article answers (kill tests)
        self.lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"server_state": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, client_address: None  # resets are the point here
        self._gzip_bomb: bytes | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def gzip_bomb(self) -> bytes:
        """~50 KB of gzip that expands to 64 MB of spaces inside an HTML page."""
        if self._gzip_bomb is None:
            self._gzip_bomb = gzip.compress(b"<html><body><p>" + b" " * (64 * 1024 * 1024) + b"</p></body></html>",
                                            compresslevel=9)
        return self._gzip_bomb

    def __enter__(self) -> "TortureServer":
        threading.Thread(target=self.httpd.serve_forever, name="torture", daemon=True).start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- the documents ----------------------------------------------------------------
    def hostile_feed(self) -> str:
        now = datetime(2025, 3, 14, 12, 0, tzinfo=timezone.utc)
        items = [(self.url(f"/a/{slug}"), None, format_datetime(now - timedelta(minutes=i), usegmt=True))
                 for i, slug in enumerate(ARTICLE_CASES)]
        return rss(self.base_url, items)

    def dates_feed(self) -> str:
        return rss(self.base_url, [
            (self.url("/a/future-date"), None, "Sat, 01 Jan 2101 10:00:00 GMT"),
            (self.url("/a/garbage-date"), None, "the day after tomorrow, probably"),
            (self.url("/a/no-date"), None, None),
        ], title="Dates from nowhere")

    def dupguid_feed(self) -> str:
        return rss(self.base_url, [
            (self.url("/a/dup-guid-1"), "same-guid", None),
            (self.url("/a/dup-guid-1"), "same-guid", None),
            (self.url("/a/dup-guid-2"), "same-guid", None),
            (self.url("/a/dup-guid-1?utm_source=feed"), "same-guid", None),
        ], title="Duplicate GUIDs")

    def big_feed(self) -> str:
        start = datetime(2025, 3, 14, 12, 0, tzinfo=timezone.utc)
        return rss(self.base_url, [(self.url(f"/big/{n}"), f"big-{n}",
                                    format_datetime(start - timedelta(minutes=n), usegmt=True))
                                   for n in range(BIG_FEED_ENTRIES)], title="Ten thousand entries")

    def broken_feed(self) -> str:
        # Not well-formed XML (unescaped &, unclosed item, no </rss>), but still a feed to a lenient reader.
        return (f"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Broken & proud</title>"
                f"<item><title>One & only</title><link>{self.url('/a/broken-feed-1')}</link></item>"
                f"<item><title>Unclosed<link>{self.url('/a/broken-feed-2')}</link>")

    def calendar_page(self, page: int) -> str:
        links = "".join(f"<div class=\"teaser\"><a href=\"/cal/item-{page}-{i}\">Item {page}.{i}</a></div>"
                        for i in range(2))
        return (f"<html><body><h1>Calendar page {page}</h1>{links}"
                f"<a rel=\"next\" href=\"/cal/?page={page + 1}\">next</a></body></html>")


Route = Callable[["_Handler"], None]


class _Handler(BaseHTTPRequestHandler):
    server_state: TortureServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        parts = urlsplit(self.path)
        path = parts.path
        state = self.server_state
        with state.lock:
            state.hits[path] += 1
            hit = state.hits[path]
        if path == "/robots.txt":
            return self.send(404, b"", "text/plain")
        feeds = {"/feeds/hostile.xml": state.hostile_feed, "/feeds/dates.xml": state.dates_feed,
                 "/feeds/dupguid.xml": state.dupguid_feed, "/feeds/big.xml": state.big_feed,
                 "/feeds/broken.xml": state.broken_feed}
        if path in feeds:
            return self.send(200, feeds[path]().encode(), "application/rss+xml; charset=utf-8")
        if path == "/feeds/garbage.xml":
            return self.send(200, random.Random(7).randbytes(4000), "application/rss+xml")
        if path == "/feeds/many.xml":  # ?n=40&prefix=kill: n plain articles, for kill and lock tests
            query = parse_qs(parts.query)
            n, prefix = int(query.get("n", ["20"])[0]), query.get("prefix", ["many"])[0]
            return self.send(200, rss(state.base_url, [(state.url(f"/a/{prefix}-{i}"), None, None)
                                                       for i in range(n)]).encode(), "application/rss+xml")
        if path == "/cal/":
            page = int(parse_qs(parts.query).get("page", ["1"])[0])
            return self.send(200, state.calendar_page(page).encode(), "text/html; charset=utf-8")
        if path.startswith(("/cal/item-", "/big/")) or path.startswith("/a/"):
            slug = path.rsplit("/", 1)[-1]
            return self.article(slug, hit)
        return self.send(404, b"not found", "text/plain")

    def article(self, slug: str, hit: int) -> None:  # noqa: C901 (one branch per misbehaviour)
        state = self.server_state
        html = article_html(slug)
        if slug == "future-date":  # the page claims a date in 2101 too
            html = html.replace("2025-03-14T10:00:00+00:00", "2101-01-01T10:00:00+00:00")
        if slug in ("latin1-no-charset", "utf8-bom-says-latin1"):
            page = article_html(slug, title=ACCENTED_TITLE, extra_text="Coût estimé : 150 millions d’euros.")
            if slug == "latin1-no-charset":
                return self.send(200, page.replace("’", "'").encode("latin-1"), "text/html")
            return self.send(200, b"\xef\xbb\xbf" + page.encode("utf-8"), "text/html; charset=iso-8859-1")
        if slug in ("cp1252-says-latin1", "meta-lies"):
            head = "<meta charset=\"utf-8\">" if slug == "meta-lies" else ""
            page = article_html(slug, title=CP1252_TITLE, extra_head=head).encode("cp1252")
            return self.send(200, page, "text/html" if slug == "meta-lies" else "text/html; charset=iso-8859-1")
        if slug == "malformed":
            broken = html.replace("</p>", "", 3).replace("<article>", "<article><div><span><table><tr><td>")
            return self.send(200, (broken + "</div></div></td></b>").encode(), "text/html; charset=utf-8")
        if slug == "truncated-markup":
            return self.send(200, html[: html.rindex("</p>") - 20].encode() + b"<a href=\"/x", "text/html")
        if slug == "type-lies":
            return self.send(200, html.encode(), "image/jpeg")
        if slug == "binary":
            return self.send(200, random.Random(3).randbytes(20_000), "text/html")
        if slug == "empty":
            return self.send(200, b"", "text/html; charset=utf-8")
        if slug == "oversized":
            filler = "".join(f"<p>{p}</p>" for p in article_text(slug, 10)) * 500
            return self.send(200, article_html(slug, extra_text=filler).encode(), "text/html; charset=utf-8")
        if slug == "gzip-bomb":
            return self.send(200, state.gzip_bomb, "text/html; charset=utf-8", {"Content-Encoding": "gzip"})
        if slug == "redirect-loop":
            return self.send(302, b"", "text/plain", {"Location": "/a/redirect-loop-2"})
        if slug == "redirect-loop-2":
            return self.send(302, b"", "text/plain", {"Location": "/a/redirect-loop"})
        if slug == "stall":  # headers and half the body, then nothing
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            time.sleep(8)
            return None
        if slug == "slow":  # no answer at all: a late one could be read by a reused connection
            time.sleep(8)
            self.close_connection = True
            return None
        if slug == "retry-after" and hit == 1:
            return self.send(429, b"slow down", "text/plain", {"Retry-After": "1"})
        if slug == "burst-5xx" and hit <= 1:  # one 503 then fine: retries spare for a loaded test machine
            return self.send(503, b"busy", "text/plain")
        if slug == "down":
            return self.send(503, b"down", "text/plain")
        if slug == "reset":  # RST: close with SO_LINGER 0 before answering
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.connection.close()
            self.close_connection = True
            return None
        if slug == "short-body":
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body) + 5000))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
            return None
        if state.article_delay:
            time.sleep(state.article_delay)
        return self.send(200, html.encode(), "text/html; charset=utf-8")

    def send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Silent."""
