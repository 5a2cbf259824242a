"""Catalogue mistakes are reported, naming the file and the fix, never silently ignored."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.catalogue import CatalogueError, check_catalogue, load_catalogue
from monitor.catalogue.write import append_entry
from tests.conftest import REPO, run_monitor

ENTRY = 'name = "defence-watch"\nkind = "feed"\nstart_urls = ["https://a.eu/feed"]\n'


def write(tmp_path: Path, text: str | bytes, name: str = "sources.toml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("header", ["[[sources]]", "[[Source]]"])
def test_a_misspelt_section_is_an_error_not_an_empty_catalogue(tmp_path: Path, header: str) -> None:
    path = write(tmp_path, f"[[source]]\n{ENTRY}\n{header}\n{ENTRY.replace('defence-watch', 'other')}")
    key = header.strip("[]")
    with pytest.raises(CatalogueError, match=rf"unknown top-level key '{key}' \(did you mean \[\[source\]\]\?\)") as error:
        load_catalogue(path)
    assert str(path) in str(error.value)
    assert check_catalogue(path) == [str(error.value)]
    result = run_monitor("sources", "check", "--catalogue", str(path))
    assert result.returncode == 1 and "all entries valid" not in result.stdout
    assert f"Error: {path}: unknown top-level key '{key}'" in result.stderr and "invalid catalogue entr" not in result.stderr


def test_a_field_outside_any_table_is_named(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="unknown top-level key 'name' .*under a \\[\\[source\\]\\] header"):
        load_catalogue(write(tmp_path, ENTRY))


def test_crawling_an_empty_catalogue_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "# no outlets yet\n")
    result = run_monitor("crawl", "--catalogue", str(path), "--db", f"sqlite:///{tmp_path / 'm.sqlite'}")
    assert result.returncode == 1 and f"Error: {path}: no [[source]] entries: nothing to crawl" in result.stderr
    checked = run_monitor("sources", "check", "--catalogue", str(path))
    assert checked.returncode == 1 and f"{path}: no [[source]] entries" in checked.stderr


def test_unreadable_files_are_one_error_naming_the_file(tmp_path: Path) -> None:
    latin1 = write(tmp_path, f'[[source]]\n{ENTRY}outlet = "D\xe9fense"\n'.encode("latin-1"))
    with pytest.raises(CatalogueError, match=rf"{latin1}: not UTF-8 text"):
        load_catalogue(latin1)
    for path, reason in ((latin1, "not UTF-8 text"), (tmp_path / "missing.toml", "catalogue file not found"),
                         (write(tmp_path, "[[source]\n", "syntax.toml"), "not valid TOML")):
        result = run_monitor("sources", "check", "--catalogue", str(path))
        assert result.returncode == 1 and f"Error: {path}: {reason}" in result.stderr, result.stderr
        assert "invalid catalogue entr" not in result.stderr and "Traceback" not in result.stderr


def test_field_errors_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match=r"field 'start_urls': must be a list of URLs, not a string: "
                                             r'start_urls = \["https://a.eu/feed"\]'):
        load_catalogue(write(tmp_path, '[[source]]\nname = "x"\nkind = "feed"\nstart_urls = "https://a.eu/feed"\n'))
    with pytest.raises(CatalogueError, match=r"field 'language': unknown field: did you mean 'languages'\?"):
        load_catalogue(write(tmp_path, f'[[source]]\n{ENTRY}language = ["fr"]\n'))
    with pytest.raises(CatalogueError, match=r"field 'start_url': unknown field: did you mean 'start_urls'\?"):
        load_catalogue(write(tmp_path, '[[source]]\nname = "x"\nkind = "feed"\nstart_url = ["https://a.eu/f"]\n'))
    with pytest.raises(CatalogueError, match=r"field 'selectors.teasers': unknown selector: did you mean 'teaser'\?"):
        load_catalogue(write(tmp_path, f'[[source]]\n{ENTRY}[source.selectors]\nteasers = "div"\n'))


def test_names_differing_only_in_case_are_duplicates(tmp_path: Path) -> None:
    path = write(tmp_path, f"[[source]]\n{ENTRY}\n[[source]]\n{ENTRY.replace('defence-watch', 'Defence-Watch')}")
    with pytest.raises(CatalogueError, match=r"entry 2 \(Defence-Watch\): field 'name': duplicate source name: "
                                             r"'defence-watch' differs only in case"):
        load_catalogue(path)
    assert len(check_catalogue(path)) == 1
    single = write(tmp_path, f"[[source]]\n{ENTRY}")
    with pytest.raises(CatalogueError, match="source 'defence-watch' exists"):
        append_entry(single, {"name": "Defence-Watch", "kind": "feed", "start_urls": ["https://b.eu/feed"]})


def test_adding_a_source_on_a_feed_already_crawled_warns(tmp_path: Path) -> None:
    path = write(tmp_path, f"[[source]]\n{ENTRY}")
    result = run_monitor("sources", "add", "watch-again", "--feed", "https://a.eu/feed", "--catalogue", str(path))
    assert result.returncode == 0, result.stderr
    assert "warning: watch-again shares https://a.eu/feed with source defence-watch" in result.stderr


def test_scrapy_commands_report_an_invalid_catalogue_in_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, f"[[sources]]\n{ENTRY}")
    result = subprocess.run([sys.executable, "-m", "scrapy.cmdline", "list"], capture_output=True, text=True,
                            cwd=REPO, env={**os.environ, "MONITOR_CATALOGUE": str(path)}, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"error: invalid catalogue: {path}: unknown top-level key 'sources'" in result.stderr
