"""The replica server: placeholders filled, conditional GET, nothing served outside its root."""

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from monitor.replica import ReplicaServer


@pytest.fixture()
def site(tmp_path: Path):
    (tmp_path / "demo" / "feed").mkdir(parents=True)
    (tmp_path / "demo" / "feed" / "index.xml").write_text("<rss><link>{{SITE}}/a/</link></rss>")
    (tmp_path / "secret.txt").write_text("outside")
    with ReplicaServer(tmp_path / "demo") as server:
        yield server


def get(url: str, headers: dict[str, str] | None = None):
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5)


def test_placeholder_becomes_the_site_base_url(site: ReplicaServer) -> None:
    with get(f"{site.base_url}/feed/") as response:
        body = response.read().decode()
        etag = response.headers["ETag"]
    assert body == f"<rss><link>{site.base_url}/feed/a/</link></rss>"
    assert etag


def test_conditional_get_answers_304(site: ReplicaServer) -> None:
    with get(f"{site.base_url}/feed/") as response:
        etag = response.headers["ETag"]
        last_modified = response.headers["Last-Modified"]
    for headers in ({"If-None-Match": etag}, {"If-Modified-Since": last_modified}):
        with pytest.raises(urllib.error.HTTPError) as error:
            get(f"{site.base_url}/feed/", headers)
        assert error.value.code == 304


@pytest.mark.parametrize("path", ["/missing", "/../secret.txt", "/%2e%2e/secret.txt"])
def test_missing_and_escaping_paths_are_404(site: ReplicaServer, path: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as error:
        get(site.base_url + path)
    assert error.value.code == 404


def test_listen_backlog_takes_a_crawlers_burst(site: ReplicaServer) -> None:
    # socketserver's default backlog of 5 made bursts of connections wait out SYN retransmits.
    assert site.httpd.request_queue_size >= 1024
    assert site.httpd.socket.getsockname()[0] == "127.0.0.1"
