"""The source catalogue: entries load, and errors name the file, the entry and the field."""

from pathlib import Path

import pytest

from monitor.catalogue import CatalogueError, find_source, load_catalogue
from monitor.replica import CATALOGUE


def test_replica_catalogue_fills_the_base_url() -> None:
    sources = load_catalogue(CATALOGUE, base_url="http://127.0.0.1:9999")
    assert {s.name for s in sources} >= {"b2", "nato", "eeas", "defnews"}
    assert all(url.startswith("http://127.0.0.1:9999/") for s in sources for url in s.start_urls)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ('name = "x"\nkind = "telepathy"\nstart_urls = ["https://a.eu/feed"]', "kind"),
        ('name = "x"\nkind = "feed"\nstart_urls = []', "start_urls"),
        ('name = "x"\nkind = "feed"\nstart_urls = ["not-a-url"]', "start_urls"),
        ('name = "x y"\nkind = "feed"\nstart_urls = ["https://a.eu/feed"]', "name"),
        ('name = "x"\nkind = "feed"\nstart_urls = ["https://a.eu/feed"]\npoll_interval_minutes = 0', "poll_interval_minutes"),
        ('name = "x"\nkind = "feed"\nstart_urls = ["https://a.eu/feed"]\nlanguage = ["fr"]', "language"),
    ],
)
def test_errors_name_file_entry_and_field(tmp_path: Path, entry: str, field: str) -> None:
    path = write(tmp_path, f'[[source]]\nname = "ok"\nkind = "feed"\nstart_urls = ["https://b.eu/f"]\n\n[[source]]\n{entry}\n')
    with pytest.raises(CatalogueError) as error:
        load_catalogue(path)
    message = str(error.value)
    assert str(path) in message and "entry 2" in message and f"field '{field}'" in message


def test_duplicate_names_and_bad_toml(tmp_path: Path) -> None:
    entry = '[[source]]\nname = "a"\nkind = "feed"\nstart_urls = ["https://a.eu/f"]\n'
    with pytest.raises(CatalogueError, match="duplicate source name"):
        load_catalogue(write(tmp_path, entry + entry))
    with pytest.raises(CatalogueError, match="not valid TOML"):
        load_catalogue(write(tmp_path, "[[source]\n"))
    with pytest.raises(CatalogueError, match="not found"):
        load_catalogue(tmp_path / "missing.toml")


def test_unknown_source_lists_known_names() -> None:
    sources = load_catalogue(CATALOGUE)
    with pytest.raises(CatalogueError, match="unknown source 'nope'.*nato"):
        find_source(sources, "nope")
