"""`monitor sources` for a source with little or no run history: a first failed crawl is a warning that names
what failed (not an error rate that "jumped" from nothing), and pruned runs are not "never crawled".
On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from monitor.catalogue.health import PRUNED
from monitor.replica import CATALOGUE, ReplicaServer
from tests.conftest import run_monitor
from tests.db_fixtures import db_url  # noqa: F401 - every test on SQLite and PostgreSQL

FAST = ("--set", "AUTOTHROTTLE_ENABLED=False")


def test_a_new_source_whose_feed_answers_404_is_a_warning_that_names_the_feed(replica: ReplicaServer, db_url: str,
                                                                              tmp_path: Path) -> None:
    catalogue = tmp_path / "c.toml"
    catalogue.write_text(f'[[source]]\nname = "t404"\nkind = "feed"\npoll_interval_minutes = 60\n'
                         f'start_urls = ["{replica.base_url}/b2/no-such-feed/"]\n')
    crawled = run_monitor("crawl", "--catalogue", str(catalogue), "--db", db_url, *FAST)
    assert crawled.returncode == 3, crawled.stderr[-3000:]
    listed = run_monitor("sources", "--json", "--catalogue", str(catalogue), "--db", db_url)
    row = json.loads(listed.stdout)
    # one failed run: no baseline for a jump; the feed failed (not "lost pages"), which also says why it found
    # no links and why the run finished with errors
    assert (row["status"], row["reasons"]) == ("warning", ["the feed failed: 1 http_404"]), row
    table = run_monitor("sources", "--catalogue", str(catalogue), "--db", db_url).stdout
    line = next(line for line in table.splitlines() if line.startswith("t404 "))
    assert "warning" in line and line.endswith("the feed failed: 1 http_404"), table


def test_a_source_whose_runs_were_pruned_is_not_called_never_crawled(replica: ReplicaServer, db_url: str) -> None:
    crawled = run_monitor("crawl", "b2", "--catalogue", str(CATALOGUE), "--base-url", replica.base_url,
                          "--db", db_url, *FAST)
    assert crawled.returncode == 0 and json.loads(crawled.stdout)["stored"] > 0, crawled.stderr[-3000:]
    pruned = run_monitor("db", "prune", "--runs-older-than", "0d", "--keep-runs", "0", "--db", db_url)
    assert pruned.returncode == 0, pruned.stderr
    listed = run_monitor("sources", "--json", "--catalogue", str(CATALOGUE), "--db", db_url).stdout.splitlines()
    rows = {row["name"]: row for row in map(json.loads, listed)}
    assert (rows["b2"]["status"], rows["b2"]["reasons"], rows["b2"]["runs"]) == ("unknown", [PRUNED], 0)
    assert rows["b2"]["last_article"] is not None
    assert rows["nato"]["reasons"] == ["never crawled"]  # no runs and no articles: it was never crawled
