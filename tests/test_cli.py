"""The command line: every command documents itself, and user errors are one clear line."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from monitor.cli import cli
from tests.conftest import REPO, run_monitor


def all_commands(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix] if prefix else []
    for name, command in group.commands.items():
        path = (*prefix, name)
        found.extend(all_commands(command, path) if isinstance(command, click.Group) else [path])
    return found


COMMANDS = all_commands()


@pytest.fixture
def created_db(db_url: str) -> str:
    """A database made the way a user makes one before reading it: `monitor db upgrade`."""
    result = CliRunner().invoke(cli, ["db", "upgrade", "--db", db_url])
    assert result.exit_code == 0, result.output
    return db_url


def test_the_design_briefs_commands_exist() -> None:
    names = {path[0] for path in COMMANDS}
    assert {"demo", "crawl", "fetch", "extract", "lang", "tag", "articles", "db"} <= names


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert f"Usage: cli {' '.join(path)}" in result.output
    command = cli
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    assert command.help and command.help.split()[0] in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["crawl", "no-such-source"], "unknown source 'no-such-source'"),
        (["articles", "--since", "last tuesday-ish"], "--since"),
        (["fetch", "not-a-url"], "not an absolute http(s) URL"),
        (["extract", "/no/such/file.html"], "no such file"),
        (["crawl", "--catalogue", "/no/such/catalogue.toml"], "catalogue file not found"),
    ],
)
def test_user_errors_are_one_line_and_nonzero(args: list[str], message: str, created_db: str) -> None:
    result = run_monitor(*args, env={"MONITOR_DB_URL": created_db})
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) <= 3


def test_lang_reads_stdin() -> None:
    text = "Die NATO-Mission im Irak berät das irakische Verteidigungsministerium seit 2018 in Bagdad."
    result = CliRunner().invoke(cli, ["lang"], input=text)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["language"] == "de"


def test_lang_jsonl_keeps_ids_and_rejects_bad_lines() -> None:
    lines = "\n".join(json.dumps({"id": i, "text": t}) for i, t in [
        ("a", "La mission de l'OTAN en Irak a été prolongée jusqu'en 2026 par les ministres."),
        ("b", "The coalition against Daesh met in Rome to review stabilisation funding for Syria."),
    ])
    result = CliRunner().invoke(cli, ["lang", "--jsonl"], input=lines)
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["id"], r["language"]) for r in rows] == [("a", "fr"), ("b", "en")]
    assert all(0 < r["confidence"] <= 1 for r in rows)
    bad = CliRunner().invoke(cli, ["lang", "--jsonl"], input='{"id": 1}\n')
    assert bad.exit_code != 0 and "stdin line 1" in bad.output


def test_tag_finds_the_nato_iraq_mission_with_evidence() -> None:
    text = ("La mission de l'OTAN en Irak (NMI) conseille le ministère irakien de la Défense à Bagdad. "
            "Les alliés ont décidé d'étendre la mission de l'OTAN en Irak, qui forme les institutions irakiennes.")
    result = CliRunner().invoke(cli, ["tag", "--title", "L'OTAN étend sa mission en Irak"], input=text)
    assert result.exit_code == 0, result.output
    topics = {t["id"]: t for t in json.loads(result.output)["topics"]}
    assert "nato-iraq-mission" in topics
    evidence = topics["nato-iraq-mission"]["evidence"]
    assert evidence and all(e["end"] > e["start"] for e in evidence)
    explained = CliRunner().invoke(cli, ["tag", "--explain"], input=text)
    assert "nato-iraq-mission" in explained.output


BAD_INPUT = [
    (["sources", "show", "no-such-source"], "unknown source 'no-such-source'"),
    (["sources", "check", "no-such-source"], "unknown source 'no-such-source'"),
    (["sources", "add", "x", "--feed", "not a url", "--catalogue", "{tmp}/c.toml"], "not an absolute http(s) URL"),
    (["alerts", "add", "bad", "nato AND (("], "line 1, column 12"),
    (["alerts", "show", "no-such-alert"], "no alert named 'no-such-alert'"),
    (["search", "nato AND (("], "line 1, column 12"),
    (["search", "nato", "--since", "yesterday-ish"], "--since"),
    (["export", "--format", "xml"], "'xml' is not one of"),
    (["export", "--query", "((", "--format", "csv"], "line 1, column 3"),
    (["export", "--since", "notadate"], "--since"),
    (["topics", "show", "no-such-topic"], "unknown topic 'no-such-topic'"),
    (["topics", "backtest", "nato OR"], "line 1"),
    (["story", "999999"], "no stored article '999999'"),
    (["story", "abc"], "neither an article id nor a URL"),
    (["articles", "--since", "last tuesday-ish"], "--since"),
    (["articles", "--source", "no-such-source"], "unknown source 'no-such-source'"),
    (["fetch", "ftp://example.com/x"], "not an absolute http(s) URL"),
    (["extract", "/no/such/file.html"], "no such file"),
    (["crawl", "--since", "2024-01-01"], "--backfill and --since DATE go together"),
    (["crawl", "--backfill", "--since", "nope"], "Invalid value for --since: 'nope': expected a date"),
    (["crawl", "--set", "NOEQUALS"], "expected NAME=VALUE"),
    (["crawl", "--set", "DOWNLOAD_TIMEOUT=abc"], "DOWNLOAD_TIMEOUT='abc': expected a number"),
    (["crawl", "--set", "AUTOTHROTTLE_ENABLED=maybe"], "expected a flag"),
    (["schedule", "--once", "--set", "CONCURRENT_REQUESTS=x"], "CONCURRENT_REQUESTS='x': expected a whole number"),
    (["crawl", "--set", "CONCURRENT_REQUESTS=2.5"], "expected a whole number"),  # Scrapy's getint refuses it
    (["crawl", "--set", "ROBOTSTXT_OBEY=yes"], "expected a flag"),  # and getbool refuses "yes"
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUT, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_bad_input_in_every_command_family_is_one_clear_line(args: list[str], message: str, created_db: str,
                                                             tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, [a.replace("{tmp}", str(tmp_path)) for a in args],
                                env={"MONITOR_DB_URL": created_db})
    assert result.exit_code not in (0, None), result.output
    assert isinstance(result.exception, SystemExit)  # handled: a click error, not an escaped exception
    assert message in result.output and "Traceback" not in result.output
    assert len([line for line in result.output.splitlines() if line.startswith("Error")]) == 1


def test_bad_input_covers_every_command_family() -> None:
    families = {args[0] for args, _ in BAD_INPUT} | {"crawl", "fetch", "extract", "articles"}
    assert {"sources", "alerts", "search", "export", "topics", "story", "articles", "fetch", "extract",
            "crawl"} <= families


FRENCH_PAGE = ("<html lang='fr'><head><title>L'OTAN en Irak</title></head><body><article><h1>L'OTAN en Irak</h1>"
               "<p>La mission de l'OTAN en Irak a été prolongée jusqu'en 2026 par les ministres de la défense, "
               "qui ont salué le travail des conseillers auprès du ministère irakien.</p></article></body></html>")


def test_extract_reports_each_bad_input_and_goes_on(tmp_path: Path, replica) -> None:
    (tmp_path / "fr.html").write_text(FRENCH_PAGE, encoding="utf-8")
    (tmp_path / "empty.html").write_bytes(b"")
    (tmp_path / "bad.gz").write_bytes(b"hello")
    missing = replica.base_url + "/nato/no-such-page.html"
    inputs = ["fr.html", "empty.html", "bad.gz", str(tmp_path), "nosuch.html", missing, "fr.html"]
    result = run_monitor("extract", *inputs, cwd=tmp_path)
    assert result.returncode == 1
    assert [json.loads(line)["input"] for line in result.stdout.splitlines()] == ["fr.html", "fr.html"]
    errors = result.stderr.splitlines()
    assert len(errors) == 5 and "Traceback" not in result.stderr
    assert errors[0] == "Error: empty.html: input is not parseable HTML (0 chars/bytes)"
    assert errors[1].startswith("Error: bad.gz: Not a gzipped file")
    assert errors[2] == f"Error: {tmp_path}: is a directory (give the files in it)"
    assert errors[3] == "Error: nosuch.html: no such file (and not an http(s) URL)"
    assert errors[4] == f"Error: {missing}: HTTP Error 404: Not Found"


def test_extract_exits_zero_when_every_input_worked(tmp_path: Path) -> None:
    (tmp_path / "fr.html").write_text(FRENCH_PAGE, encoding="utf-8")
    result = CliRunner().invoke(cli, ["extract", str(tmp_path / "fr.html")])
    assert result.exit_code == 0 and json.loads(result.output)["language"] == "fr"


@pytest.mark.parametrize("since", ["2030-01-01", "1985-01-01", "1985-01-01T09:30:00+02:00"])
def test_since_accepts_any_real_date(created_db: str, since: str) -> None:
    for command in (["articles"], ["search", "otan"], ["export"], ["alerts", "inbox", "x"]):
        result = CliRunner().invoke(cli, [*command, "--since", since], env={"MONITOR_DB_URL": created_db})
        assert "--since" not in result.output, (command, result.output)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["articles", "--since", "99999999d"], "'99999999d': reaches back before the year 1"),
        (["articles", "--since", "9999999999w"], "reaches back before the year 1"),
        (["articles", "--since", "2024-13-45"], "'2024-13-45': expected a date with a four-digit year"),
        (["story", "99999999999999999999999"], "no stored article '99999999999999999999999'"),
        (["articles", "--db", "/data/x.sqlite"], "'/data/x.sqlite' is not a database URL; for a SQLite file use "
                                                 "sqlite:////data/x.sqlite"),
        (["db", "upgrade", "--db", "sqlite:////nonexistent/x.sqlite"],
         "sqlite:////nonexistent/x.sqlite: cannot create the SQLite file there, /nonexistent is not a directory"),
        (["articles", "--db", "sqlite:////nonexistent/x.sqlite"], "no database at /nonexistent/x.sqlite"),
        (["search", "x", "--db", "mysqll://host/db"], "unknown database kind 'mysqll'"),
    ],
)
def test_dates_ids_and_database_urls_are_named_in_errors(args: list[str], message: str, created_db: str) -> None:
    result = CliRunner().invoke(cli, args, env={"MONITOR_DB_URL": created_db})
    assert result.exit_code not in (0, None) and isinstance(result.exception, SystemExit), result.output
    assert message in result.output and "OverflowError" not in result.output


def test_a_closed_pipe_ends_the_output_quietly(db_url: str) -> None:
    from monitor.db import connect
    from tests.test_search_fixtures import add_article

    engine = connect(db_url)
    for n in range(3000):
        add_article(engine, "b2", f"Titre {n}", "OTAN " * 50, language="fr")
    process = subprocess.Popen([sys.executable, "-m", "monitor", "export", "--text", "--db", db_url],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()  # what `| head -1` does
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141, stderr
    assert stderr == ""


# --- the database a command opens -------------------------------------------------------------
def test_every_database_command_says_whether_it_creates_the_database() -> None:
    """A new command with --db must be classified: may it start a new SQLite file, or must one exist?"""
    from monitor.cli.options import CHECKED_BY_COMMAND, CREATES_DATABASE, NEEDS_DATABASE

    def with_db(group: click.Group, prefix: tuple[str, ...] = ()) -> set[str]:
        found = {" ".join(prefix)} if prefix and any(p.name == "db_url" for p in group.params) else set()
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                found |= with_db(command, (*prefix, name))
            elif any(p.name == "db_url" for p in command.params):
                found.add(" ".join((*prefix, name)))
        return found

    sets = (CREATES_DATABASE, NEEDS_DATABASE, CHECKED_BY_COMMAND)
    assert sum(map(len, sets)) == len(set().union(*sets)), "a command is in two sets"
    assert set().union(*sets) == with_db(cli)


READERS = [["articles"], ["story", "1"], ["search", "nato"], ["export"], ["status"], ["alerts", "list"],
           ["alerts", "inbox", "x"], ["alerts", "feed", "x"], ["topics", "backtest", "nato"], ["db", "current"],
           ["db", "prune", "--runs-older-than", "90d"], ["users", "list"], ["sources"], ["sources", "list"],
           ["sources", "show", "b2"]]


@pytest.mark.parametrize("args", READERS, ids=" ".join)
def test_a_reading_command_does_not_create_a_mistyped_sqlite_file(args: list[str], tmp_path: Path) -> None:
    missing = tmp_path / "typo.sqlite"
    for env, extra in (({"MONITOR_DB_URL": None}, ["--db", f"sqlite:///{missing}"]),
                       ({"MONITOR_DB_URL": f"sqlite:///{missing}"}, [])):
        result = CliRunner().invoke(cli, [*args, *extra], env=env)
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
        assert (f"Error: no database at {missing} (a crawl or `monitor demo` or `monitor db upgrade` creates it)"
                in result.output)
        assert not missing.exists()


def test_a_writing_command_still_creates_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    assert CliRunner().invoke(cli, ["db", "upgrade", "--db", url]).exit_code == 0
    assert (tmp_path / "new.sqlite").is_file()
    assert CliRunner().invoke(cli, ["articles", "--db", url]).exit_code == 0


def test_the_default_database_is_checked_and_named(tmp_path: Path) -> None:
    nowhere = tmp_path / "nonexistent"
    env = {"MONITOR_DB_URL": None, "MONITOR_DATA_DIR": str(nowhere)}
    read = CliRunner().invoke(cli, ["articles"], env=env)
    assert read.exit_code == 1 and f"no database at {nowhere / 'monitor.sqlite'}" in read.output, read.output
    assert "OperationalError" not in read.output
    write = CliRunner().invoke(cli, ["db", "upgrade"], env=env)
    assert write.exit_code == 2 and "Invalid value for MONITOR_DATA_DIR" in write.output, write.output
    assert f"{nowhere} is not a directory" in write.output


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://x/y", "'mysql://x/y': database kind 'mysql' is not supported (only sqlite:///FILE and "
                        "postgresql+psycopg://user@host/db URLs are supported)"),
        ("mysqll://x/y", "'mysqll://x/y': unknown database kind 'mysqll'"),
        ("/data/x.sqlite", "'/data/x.sqlite' is not a database URL"),
    ],
)
def test_a_database_url_error_names_where_the_url_came_from(url: str, message: str) -> None:
    from_env = CliRunner().invoke(cli, ["articles"], env={"MONITOR_DB_URL": url})
    assert from_env.exit_code == 2 and f"Invalid value for MONITOR_DB_URL (from the environment): {message}" \
        in from_env.output, from_env.output
    assert "'--db'" not in from_env.output and "ModuleNotFoundError" not in from_env.output
    given = CliRunner().invoke(cli, ["articles", "--db", url], env={"MONITOR_DB_URL": None})
    assert given.exit_code == 2 and f"Invalid value for '--db': {message}" in given.output, given.output


def test_a_sqlite_url_naming_a_directory_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["db", "upgrade", "--db", f"sqlite:///{tmp_path}"])
    assert result.exit_code == 2 and f"{tmp_path} is a directory, not a SQLite database file" in result.output


# --- crawl's options -------------------------------------------------------------------------
def test_a_replica_catalogue_without_base_url_is_refused_before_crawling(created_db: str) -> None:
    from monitor.replica import CATALOGUE

    result = CliRunner().invoke(cli, ["crawl", "--catalogue", str(CATALOGUE), "b2", "--db", created_db])
    assert result.exit_code == 2, result.output
    assert (f"Error: {CATALOGUE}: b2's feed URL still holds {{{{REPLICA}}}}: give --base-url http://HOST:PORT"
            in result.output)
    every = CliRunner().invoke(cli, ["crawl", "--catalogue", str(CATALOGUE), "--db", created_db])
    assert every.exit_code == 2 and "(so do nato, eeas, defnews)" in every.output, every.output


@pytest.mark.parametrize("base", ["foo", "ftp://127.0.0.1/", "http://", "http://127.0.0.1:port"])
def test_base_url_must_be_an_http_url_with_a_host(base: str) -> None:
    from monitor.replica import CATALOGUE

    result = CliRunner().invoke(cli, ["crawl", "--catalogue", str(CATALOGUE), "--base-url", base, "b2"])
    assert result.exit_code == 2 and f"Invalid value for '--base-url': {base!r}" in result.output, result.output


@pytest.mark.parametrize(("since", "days"), [("7d", 7), ("24h", 1), ("2w", 14)])
def test_backfill_since_takes_relative_ages(monkeypatch: pytest.MonkeyPatch, created_db: str, since: str,
                                            days: int) -> None:
    from datetime import datetime, timedelta, timezone

    import monitor.crawl.runner

    seen: list[dict] = []
    monkeypatch.setattr(monitor.crawl.runner, "run_sources", lambda chosen, overrides: seen.append(overrides) or [])
    result = CliRunner().invoke(cli, ["crawl", "uk-mod", "--backfill", "--since", since, "--db", created_db])
    assert result.exit_code == 0, result.output
    start = datetime.fromisoformat(seen[0]["MONITOR_SINCE"])
    assert abs(datetime.now(timezone.utc) - timedelta(days=days) - start) < timedelta(minutes=5)


def test_json_is_indented_for_a_terminal_and_one_line_for_a_pipe(tmp_path: Path) -> None:
    """``alerts add`` (and every single-document JSON output) as a person at a terminal reads it."""
    import os
    import pty

    url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    piped = run_monitor("alerts", "add", "piped", "nato", "--db", url)
    assert piped.returncode == 0 and len(piped.stdout.splitlines()) == 1
    leader, follower = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "monitor", "alerts", "add", "shown", "nato", "--db", url],
                              stdout=follower, stderr=subprocess.PIPE, cwd=REPO, timeout=120)
        os.close(follower)
        follower = -1
        shown = b""
        while chunk := _read_or_eof(leader):
            shown += chunk
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)
    assert done.returncode == 0, done.stderr
    text = shown.decode().replace("\r\n", "\n")
    assert text.startswith('{\n  "id": 2,\n  "name": "shown"') and json.loads(text)["name"] == "shown"


def _read_or_eof(fd: int) -> bytes:
    """Up to 64 KiB from a pty, or b"" once the other side is closed (Linux raises EIO there)."""
    import os

    try:
        return os.read(fd, 65536)
    except OSError:
        return b""


def test_users_add_help_states_the_password_rule_the_dashboard_enforces() -> None:
    from monitor.web.auth import MIN_PASSWORD

    shown = " ".join(CliRunner().invoke(cli, ["users", "add", "--help"]).output.split())
    assert f"at least {MIN_PASSWORD} characters" in shown


def test_an_unreachable_database_is_one_line_naming_it_and_the_reason() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_monitor("articles", "--db", f"postgresql+psycopg://postgres@127.0.0.1:{port}/nowhere")
    assert result.returncode == 1
    assert result.stderr.startswith(f'Error: database: connection failed: connection to server at "127.0.0.1", '
                                    f"port {port} failed: Connection refused")
    assert len(result.stderr.splitlines()) <= 2 and "OperationalError" not in result.stderr
