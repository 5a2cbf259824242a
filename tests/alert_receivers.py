"""Real receivers for alert delivery tests: an aiosmtpd SMTP server and a webhook HTTP server, on loopback."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller


class Mailbox:
    """aiosmtpd handler keeping every accepted message."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture()
def smtp() -> Iterator[tuple[str, Mailbox]]:
    box = Mailbox()
    with socket.socket() as probe:  # aiosmtpd's controller needs a concrete port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", box
    finally:
        controller.stop()


class Receiver(ThreadingHTTPServer):
    """Webhook receiver: records accepted POSTs; ``hold_after`` makes the Nth POST hang (never accepted)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict]] = []
        self.hold_after: int | None = None
        self.holding = threading.Event()
        self.calls = 0
        self.fail_first = 0
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.calls += 1
        if self.server.fail_first:
            self.server.fail_first -= 1
            self.send_response(503)
            self.end_headers()
            return
        if self.server.hold_after is not None and len(self.server.posts) >= self.server.hold_after:
            self.server.holding.set()
            time.sleep(5)  # the client is killed meanwhile; this request is never accepted
            return
        self.server.posts.append((self.headers["Idempotency-Key"], body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def receiver() -> Iterator[tuple[str, Receiver]]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", server
    finally:
        server.shutdown()
        server.server_close()
