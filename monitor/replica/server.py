"""A small static HTTP server for replica sites, in the spirit of Scrapy's mockserver.

``sites/<site>/<path>`` is served at ``/<site>/<path>``; a path ending in ``/``
serves ``index.html`` or ``index.xml``. ``{{SITE}}`` in a text file becomes the
site's absolute base URL, so fixtures keep real-looking absolute links that
point back to the server. ETag and Last-Modified are sent and conditional GETs
are answered with 304, like the real outlets' CDNs do.
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit

TEXT_TYPES = {".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
              ".xml": "application/xml; charset=utf-8", ".json": "application/json; charset=utf-8",
              ".txt": "text/plain; charset=utf-8"}
INDEX_FILES = ("index.html", "index.xml", "index.json")


class _ThreadingServer(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5. A crawl opening hundreds of connections at
    # once then overflows it, and the kernel's SYN retransmits (1, 2, 4, 8 s) stall the crawl
    # for seconds, which no real outlet's server does.
    request_queue_size = 1024
    daemon_threads = True


class ReplicaServer:
    """Serves a directory of sites on 127.0.0.1 in a background thread.

    Use as a context manager; ``base_url`` is ``http://127.0.0.1:PORT``.
    """

    def __init__(self, root: Path, port: int = 0, mtime: float = 1_700_000_000.0) -> None:
        self.root = Path(root).resolve()
        self.mtime = mtime
        self.requests: list[str] = []
        handler = type("Handler", (_ReplicaHandler,), {"replica": self})
        self.httpd = _ThreadingServer(("127.0.0.1", port), handler)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "ReplicaServer":
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="replica", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "ReplicaServer":
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def resolve(self, url_path: str) -> Path | None:
        """The file behind ``url_path``, or None (never outside the root)."""
        relative = unquote(url_path).lstrip("/")
        candidate = (self.root / relative).resolve()
        if not candidate.is_relative_to(self.root):
            return None
        if candidate.is_dir():
            for name in INDEX_FILES:
                if (candidate / name).is_file():
                    return candidate / name
            return None
        return candidate if candidate.is_file() else None

    def render(self, path: Path, site_base: str) -> bytes:
        """The body of ``path`` with ``{{SITE}}`` filled in for text files."""
        data = path.read_bytes()
        if path.suffix in TEXT_TYPES:
            data = data.replace(b"{{SITE}}", site_base.encode())
        return data


class _ReplicaHandler(BaseHTTPRequestHandler):
    replica: ReplicaServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = urlsplit(self.path).path
        self.replica.requests.append(path)
        file = self.replica.resolve(path)
        if file is None:
            self._send(404, b"not found", "text/plain; charset=utf-8")
            return
        site = path.lstrip("/").split("/", 1)[0]
        body = self.replica.render(file, f"{self.replica.base_url}/{site}")
        etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
        last_modified = formatdate(self.replica.mtime, usegmt=True)
        if self._not_modified(etag):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        content_type = TEXT_TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        self._send(200, body, content_type, {"ETag": etag, "Last-Modified": last_modified})

    def _not_modified(self, etag: str) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            return etag in [tag.strip() for tag in if_none_match.split(",")]
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                return parsedate_to_datetime(since).timestamp() >= self.replica.mtime
            except (TypeError, ValueError):
                return False
        return False

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (signature from http.server)
        """Silent: the crawl's own log says what was fetched."""
