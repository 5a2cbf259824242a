"""A query syntax error repeats the query with a caret under the column, after the unchanged first line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from monitor.cli import _source_excerpt, cli
from monitor.db import connect
from monitor.topics import QuerySyntaxError, compile_query


def excerpt(query: str) -> str:
    with pytest.raises(QuerySyntaxError) as error:
        compile_query(query)
    return _source_excerpt(error.value)


def test_the_cli_prints_the_query_and_a_caret_under_the_column(db_url: str) -> None:
    connect(db_url).dispose()  # creates it
    result = CliRunner().invoke(cli, ["search", "(nato", "--db", db_url])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Error: line 1, column 6: expected ')' to close the '(' at line 1, column 1 but found end of query",
        "  (nato",
        "       ^",
    ]


def test_the_caret_is_on_the_erring_line_and_keeps_tabs() -> None:
    assert excerpt("nato AND\n\t(irak OR") == "\n  \t(irak OR\n  \t        ^"


def test_a_long_line_is_cut_to_a_window_around_the_column() -> None:
    query = "word " * 40 + "NEAR/500 " + "w " * 40
    lines = excerpt(query).splitlines()
    assert lines[1].startswith("  ...") and lines[1].endswith("...") and len(lines[1]) == 2 + 3 + 72 + 3
    assert lines[2].index("^") == lines[1].index("NEAR/500")


def test_no_excerpt_without_a_source_or_for_other_errors() -> None:
    assert _source_excerpt(QuerySyntaxError("unknown term set '@x'", 1, 1)) == ""
    assert _source_excerpt(QuerySyntaxError("unknown term set '@x'", 0, 0, "@x")) == ""
    assert _source_excerpt(ValueError("line 1, column 1: no")) == ""
