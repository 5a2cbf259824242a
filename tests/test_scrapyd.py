"""Scrapyd: deploy the project egg to a real scrapyd on loopback and let `monitor schedule --scrapyd` crawl the replica."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.db import connect
from monitor.db.models import Article, CrawlRun, Source
from monitor.replica import CATALOGUE, ReplicaServer
from monitor.schedule.scrapyd import build_egg
from tests.conftest import require_service, run_monitor
from tests.replica_truth import TRUTH_ARTICLES

CONF = """[scrapyd]
bind_address = 127.0.0.1
http_port = {port}
eggs_dir = {tmp}/eggs
logs_dir = {tmp}/logs
dbs_dir = {tmp}/dbs
items_dir =
max_proc = 2
poll_interval = 0.5
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def catalogue(replica: ReplicaServer, tmp_path: Path) -> Path:
    """The replica catalogue with its real base URL (a Scrapyd node reads the catalogue file as is)."""
    path = tmp_path / "catalogue.toml"
    path.write_text(CATALOGUE.read_text(encoding="utf-8").replace("{{REPLICA}}", replica.base_url), encoding="utf-8")
    return path


@pytest.fixture()
def scrapyd(tmp_path: Path, catalogue: Path) -> Iterator[str]:
    """A real scrapyd on 127.0.0.1 with its eggs, logs and databases in tmp; the node's catalogue set in its env."""
    try:
        import scrapyd as scrapyd_module  # noqa: F401
    except ImportError as exc:
        require_service("scrapyd", f"not installed: {exc}")
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = free_port()
    (home / "scrapyd.conf").write_text(CONF.format(port=port, tmp=home), encoding="utf-8")
    env = {**os.environ, "MONITOR_CATALOGUE": str(catalogue)}
    process = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=home, env=env,
                               stdout=subprocess.DEVNULL, stderr=(home / "scrapyd.err").open("wb"))
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "daemonstatus.json", timeout=2) as response:
                    if json.load(response)["status"] == "ok":
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    require_service("scrapyd", (home / "scrapyd.err").read_text()[-500:] or "did not start")
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_egg_carries_the_project_entry_point(tmp_path: Path) -> None:
    import zipfile

    egg = build_egg(tmp_path, "7")
    with zipfile.ZipFile(egg) as archive:
        assert "settings.py" in archive.namelist()
        assert "settings = settings" in archive.read("EGG-INFO/entry_points.txt").decode()


def test_schedule_sends_the_crawl_to_scrapyd_and_the_articles_land(scrapyd: str, catalogue: Path,
                                                                    db_url: str) -> None:
    result = run_monitor("schedule", "b2", "--scrapyd", scrapyd, "--deploy", "--once", "--catalogue", str(catalogue),
                         "--db", db_url, "--deliver-every", "0", "--set", "AUTOTHROTTLE_ENABLED=False")
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    deployed, runs = lines[0]["deployed"], lines[1:]
    assert deployed["status"] == "ok" and deployed["spiders"] >= 4  # the node's catalogue lists the replica
    assert [(r["source"], r["status"]) for r in runs] == [("b2", "finished")]
    assert len(runs[0]["job"]) == 32  # a Scrapyd job id, not a local pid
    with urllib.request.urlopen(scrapyd + "listjobs.json?project=monitor") as response:
        jobs = json.load(response)
    assert [job["spider"] for job in jobs["finished"]] == ["b2"]

    engine = connect(db_url)
    with engine.connect() as connection:
        stored = connection.execute(select(Article.canonical_url).join(Source).where(Source.name == "b2")).all()
        run = connection.execute(select(CrawlRun.__table__)).one()
    expected = [t for t in TRUTH_ARTICLES if t["site"] == "b2"]
    assert len(stored) == len(expected) == runs[0]["stored"]
    assert run.status == "finished" and run.items_stored == len(expected)
