"""Replica fixtures of the real outlets, served over loopback so the real catalogue entry can be tested.

``tests/fixtures/outlets/<name>/`` mirrors the URL paths of outlet ``<name>``'s
real host (``feed/index.xml`` for ``https://host/feed/``); ``offline(source,
base)`` points the entry there. ``FixtureServer`` is the replica server plus the
two things real outlets do that static files cannot: paging by query string
(``?page=2`` / ``?paged=2`` serve ``<path>/page/2/``; a page past the end is
WordPress's 400) and gzipped sitemaps with ``{{SITE}}`` links.
"""

from __future__ import annotations

import gzip
import mimetypes
import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from monitor.replica.server import ReplicaServer, _ReplicaHandler

REPO_FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "outlets"
PAGE_PARAMETERS = ("page", "paged")
BINARY_SUFFIXES = (".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico")
# Feed URLs of real outlets with suffixes the standard table does not know (Council: .ashx, GOV.UK: .atom).
mimetypes.add_type("application/rss+xml", ".ashx")
mimetypes.add_type("application/atom+xml", ".atom")


def fixtures_dir() -> Path:
    """Where outlet fixtures live: ``MONITOR_FIXTURES`` or the repository's ``tests/fixtures/outlets``."""
    return Path(os.environ.get("MONITOR_FIXTURES") or REPO_FIXTURES)


def fixture_path(name: str, root: Path | None = None) -> Path:
    """The fixture directory of source ``name`` (it may not exist yet)."""
    return (root or fixtures_dir()) / name


class FixtureServer(ReplicaServer):
    """A ``ReplicaServer`` over outlet fixtures, with query-string paging and gzipped sitemaps."""

    def __init__(self, root: Path | None = None, port: int = 0) -> None:
        super().__init__(root or fixtures_dir(), port=port)
        self.httpd.RequestHandlerClass = type("Handler", (_FixtureHandler,), {"replica": self})

    def render(self, path: Path, site_base: str) -> bytes:
        if path.suffix == ".gz":
            text = gzip.decompress(path.read_bytes()).replace(b"{{SITE}}", site_base.encode())
            return gzip.compress(text, mtime=0)
        if path.suffix.lower() in BINARY_SUFFIXES:
            return path.read_bytes()
        return path.read_bytes().replace(b"{{SITE}}", site_base.encode())  # any text file, whatever its suffix


class _FixtureHandler(_ReplicaHandler):
    replica: FixtureServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        page = next((query[name][0] for name in PAGE_PARAMETERS if name in query), None)
        if page and page.isdigit() and int(page) > 1:
            paged = f"{parts.path.rstrip('/')}/page/{int(page)}/"
            if self.replica.resolve(paged) is None:
                body = b'{"code":"rest_post_invalid_page_number","message":"The page number requested is larger than the number of pages available.","data":{"status":400}}'
                self._send(400, body, "application/json; charset=utf-8")
                return
            self.path = paged
        super().do_GET()
