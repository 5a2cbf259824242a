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


def test_a_failed_export_leaves_the_existing_file_alone(db_url: str, tmp_path) -> None:
    from click.testing import CliRunner

    from monitor.cli import cli

    engine = connect(db_url)
    for n in range(30):
        add_article(engine, "b2", f"Titre {n}", "OTAN en Irak", language="fr")
    target = tmp_path / "keep.csv"
    env = {"MONITOR_DB_URL": db_url}
    good = CliRunner().invoke(cli, ["export", "--format", "csv", "-o", str(target)], env=env)
    assert good.exit_code == 0, good.output
    before = target.read_bytes()
    assert before.count(b"\n") == 31
    for args in (["--query", "nato NEAR irak"], ["--source", "b3"], ["--lang", "klingon"], ["--since", "soon"]):
        bad = CliRunner().invoke(cli, ["export", "--format", "csv", *args, "-o", str(target)], env=env)
        assert bad.exit_code != 0 and "Error" in bad.output, args
        assert target.read_bytes() == before, args
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_an_export_failing_half_way_keeps_the_old_file(tmp_path) -> None:
    from monitor.cli.search import write_atomically

    target = tmp_path / "keep.jsonl"
    target.write_text("old\n", encoding="utf-8")

    def half_way(out) -> int:
        out.write("new partial line\n")
        raise OSError("database went away")

    try:
        write_atomically(str(target), half_way)
    except OSError:
        pass
    else:
        raise AssertionError("the failure must propagate")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.jsonl"]
    assert write_atomically(str(target), lambda out: out.write("new\n") and 1) == 1
    assert target.read_text(encoding="utf-8") == "new\n"


def test_an_export_writes_through_a_symlink_and_into_a_fifo(tmp_path) -> None:
    import os
    import threading

    from monitor.cli.search import write_atomically

    real, link = tmp_path / "real.csv", tmp_path / "link.csv"
    real.write_text("old\n", encoding="utf-8")
    link.symlink_to(real)
    write_atomically(str(link), lambda out: out.write("new\n") and 1)
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "new\n"  # the link stays a link
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text(encoding="utf-8")))
    reader.start()
    write_atomically(str(fifo), lambda out: out.write("streamed\n") and 1)
    reader.join(timeout=10)
    assert received == ["streamed\n"] and fifo.exists() and not fifo.is_file()


def test_atom_links_only_http_urls() -> None:
    """A crawled javascript: URL must not become a link a feed reader follows."""
    from monitor.search.atom import write_feed

    out = io.StringIO()
    write_feed(out, feed_id="urn:x", title="t", entries=[
        {"id": "urn:a", "title": "good", "url": "https://www.nato.int/a", "published": None},
        {"id": "urn:b", "title": "bad", "url": "javascript:alert(document.cookie)//http://x", "published": None},
        {"id": "urn:c", "title": "data", "url": " DATA:text/html,<script>", "published": None}])
    ns = {"a": "http://www.w3.org/2005/Atom"}
    links = {e.find("a:title", ns).text: [l.get("href") for l in e.findall("a:link", ns)]
             for e in ET.fromstring(out.getvalue()).findall("a:entry", ns)}
    assert links == {"good": ["https://www.nato.int/a"], "bad": [], "data": []}


def test_an_output_in_a_missing_directory_names_the_path_and_the_directory(tmp_path) -> None:
    """Not the temporary file the export is first written to (`.x.csv.7e83rv0h.tmp`)."""
    import pytest

    from monitor.search.export import check_output

    missing = tmp_path / "nonexistent" / "dir"
    with pytest.raises(FileNotFoundError) as error:
        check_output(str(missing / "x.csv"))
    assert str(error.value) == f"{missing / 'x.csv'}: cannot write there, directory {missing} does not exist"
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError, match=f"{tmp_path / 'file'} is not a directory"):
        check_output(str(tmp_path / "file" / "x.csv"))
    check_output(str(tmp_path / "x.csv"))  # a folder that exists: nothing to say


def test_export_to_a_missing_directory_names_the_users_path(any_db_url: str, tmp_path) -> None:
    add_article(connect(any_db_url), "b2", "NATO in Iraq", "NATO Mission Iraq advises.")
    target = tmp_path / "no" / "x.csv"
    result = run_monitor("export", "-o", str(target), "--db", any_db_url)
    assert result.returncode == 1
    assert f"{target}: cannot write there, directory {target.parent} does not exist" in result.stderr
    assert ".tmp" not in result.stderr and not target.parent.exists()
