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


def _story_with_a_copy(engine) -> tuple[int, int]:
    """An original (two authors, two topics, a description) and a duplicate of it; returns their ids."""
    from sqlalchemy import update

    from monitor.db.models import Article

    original = add_article(engine, "b2", "L'OTAN en Irak", "La mission de l'OTAN en Irak " * 40, language="fr",
                           topics=("nato", "nato-iraq-mission"), url="https://b2.example/a?utm_source=x")
    copy = add_article(engine, "wire", "OTAN: Irak", "La mission de l'OTAN en Irak " * 40, language="fr",
                       story_id=original)
    with engine.begin() as connection:
        connection.execute(update(Article).where(Article.id == original).values(
            authors=["Nicolas Gros-Verheyde", "Smith, Jr."], canonical_url="https://b2.example/a",
            description="La mission <b>de conseil</b> & formation."))
        connection.execute(update(Article).where(Article.id == copy).values(duplicate_of=original))
    return original, copy


def test_csv_and_jsonl_carry_every_field_and_keep_the_old_columns_first(any_db_url: str) -> None:
    from click.testing import CliRunner

    from monitor.cli import cli
    from monitor.search.export import CSV_COLUMNS, FIELDS

    original, copy = _story_with_a_copy(connect(any_db_url))
    env = {"MONITOR_DB_URL": any_db_url}
    csv_out = CliRunner().invoke(cli, ["export", "--format", "csv"], env=env)
    assert csv_out.exit_code == 0, csv_out.output
    reader = csv.DictReader(io.StringIO(csv_out.output))
    old = ["id", "story_id", "published", "source", "outlet", "language", "title", "url", "topics"]
    assert reader.fieldnames == CSV_COLUMNS and CSV_COLUMNS[:9] == old
    assert set(CSV_COLUMNS) | {"text"} == set(FIELDS)
    rows = {int(r["id"]): r for r in reader}
    assert rows[original]["authors"] == "Nicolas Gros-Verheyde; Smith, Jr."
    assert rows[original]["topics"] == "nato; nato-iraq-mission"
    assert rows[original]["canonical_url"] == "https://b2.example/a"
    assert rows[original]["url"] == "https://b2.example/a?utm_source=x"
    assert rows[copy]["duplicate_of"] == str(original) and rows[original]["duplicate_of"] == ""
    assert rows[copy]["story_id"] == str(original)
    for row in rows.values():
        assert row["published"].endswith("+00:00") and row["fetched"].endswith("+00:00")
    lines = CliRunner().invoke(cli, ["export", "--format", "jsonl", "--text"], env=env).output.splitlines()
    records = {r["id"]: r for r in map(json.loads, lines)}
    assert all(list(r) == list(FIELDS) for r in records.values())
    assert records[original]["authors"] == ["Nicolas Gros-Verheyde", "Smith, Jr."]
    assert records[copy]["duplicate_of"] == original and records[copy]["authors"] == []
    assert records[original]["text"].startswith("La mission")
    plain = json.loads(CliRunner().invoke(cli, ["export", "--format", "jsonl"], env=env).output.splitlines()[0])
    assert "text" not in plain and "summary" not in plain


def test_atom_export_names_its_query_and_filters_and_has_summaries_and_authors(any_db_url: str) -> None:
    from click.testing import CliRunner

    from monitor.cli import cli

    original, copy = _story_with_a_copy(connect(any_db_url))
    env = {"MONITOR_DB_URL": any_db_url}
    ns = {"a": "http://www.w3.org/2005/Atom"}
    result = CliRunner().invoke(cli, ["export", "--format", "atom", "--query", "otan", "--source", "b2",
                                      "--lang", "FR"], env=env)
    assert result.exit_code == 0, result.output
    feed = ET.fromstring(result.output)
    assert feed.findtext("a:title", namespaces=ns) == "monitor export: otan (source b2; lang fr)"
    [entry] = feed.findall("a:entry", ns)
    assert entry.findtext("a:summary", namespaces=ns) == "La mission <b>de conseil</b> & formation."
    assert [a.findtext("a:name", namespaces=ns) for a in entry.findall("a:author", ns)] == [
        "Nicolas Gros-Verheyde", "Smith, Jr."]
    everything = ET.fromstring(CliRunner().invoke(cli, ["export", "--format", "atom"], env=env).output)
    assert everything.findtext("a:title", namespaces=ns) == "monitor export: all"
    summaries = {e.findtext("a:id", namespaces=ns): e.findtext("a:summary", namespaces=ns)
                 for e in everything.findall("a:entry", ns)}
    without_description = summaries[f"urn:monitor:article:{copy}"]  # the text's start, cut at a word
    assert without_description.startswith("La mission de l'OTAN") and without_description.endswith("…")
    assert 250 <= len(without_description) <= 301


def test_atom_drops_characters_xml_cannot_hold() -> None:
    """A control byte in a crawled page must not make the whole feed unparseable."""
    from monitor.search.atom import write_feed

    out = io.StringIO()
    write_feed(out, feed_id="urn:x", title="t", entries=[
        {"id": "urn:a", "title": "bell\x07 and nul\x00", "url": "", "published": None, "summary": "form\x0cfeed",
         "authors": ["A\x01nne", "  "]}])
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entry = ET.fromstring(out.getvalue()).find("a:entry", ns)
    assert entry.findtext("a:title", namespaces=ns) == "bell and nul"
    assert entry.findtext("a:summary", namespaces=ns) == "formfeed"
    assert [a.findtext("a:name", namespaces=ns) for a in entry.findall("a:author", ns)] == ["Anne"]
