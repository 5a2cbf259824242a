"""``monitor export`` streams every matching article as CSV, JSON Lines or Atom (no row cap)."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

from monitor.db import connect
from tests.conftest import run_monitor
from tests.test_search_fixtures import add_article, any_db_url  # noqa: F401 - fixture


def test_export_formats_stream_all_rows(any_db_url: str) -> None:
    engine = connect(any_db_url)
    for n in range(120):
        add_article(engine, "b2", f"Titre {n} <b>&", "OTAN" if n % 2 else "rien", language="fr")
    env = {"MONITOR_DB_URL": any_db_url}
    rows = list(csv.DictReader(io.StringIO(run_monitor("export", "--format", "csv", env=env).stdout)))
    assert len(rows) == 120 and rows[0]["source"] == "b2"
    lines = run_monitor("export", "--format", "jsonl", "--query", "otan", env=env).stdout.splitlines()
    assert len(lines) == 60 and all("OTAN" not in json.loads(x)["title"] for x in lines)
    atom = run_monitor("export", "--format", "atom", "--lang", "fr", env=env).stdout
    entries = ET.fromstring(atom).findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == 120 and any("<b>&" in e.findtext("{http://www.w3.org/2005/Atom}title") for e in entries)
    bad = run_monitor("export", "--query", "(otan", env=env)
    assert bad.returncode != 0 and "line 1, column" in bad.stderr
