"""Canonical URLs: every variant of one article maps to one key."""

import pytest

from monitor.urls import InvalidURLError, canonicalize_url, is_tracking_param

VARIANTS = [
    "https://www.nato.int/cps/en/natohq/news_223456.htm",
    "HTTPS://WWW.NATO.INT:443/cps/en/natohq/news_223456.htm",
    "https://www.nato.int/cps/en/natohq/news_223456.htm?utm_source=twitter&utm_medium=social",
    "https://m.nato.int/cps/en/natohq/news_223456.htm?fbclid=abc#comments",
    "https://amp.nato.int/cps/en/natohq/news_223456.htm/amp/",
    "https://nato.int/cps/en/natohq/news_223456.htm/?gclid=1",
]


def test_variants_share_one_key() -> None:
    keys = {canonicalize_url(url) for url in VARIANTS}
    assert keys == {"https://nato.int/cps/en/natohq/news_223456.htm"}


def test_content_parameters_are_kept_and_sorted() -> None:
    assert canonicalize_url("https://eeas.europa.eu/node?page=2&id=7&utm_campaign=x") == \
        "https://eeas.europa.eu/node?id=7&page=2"


def test_non_default_port_and_path_case_are_kept() -> None:
    assert canonicalize_url("http://127.0.0.1:8080/B2/Feed/") == "http://127.0.0.1:8080/B2/Feed"


@pytest.mark.parametrize("bad", ["", "not a url", "ftp://example.org/x", "/relative/path", "http://", "http://x:99999/"])
def test_invalid_urls_name_the_input(bad: str) -> None:
    with pytest.raises(InvalidURLError) as error:
        canonicalize_url(bad)
    assert repr(bad)[1:-1] in str(error.value) or "port" in str(error.value)


def test_tracking_parameters() -> None:
    assert is_tracking_param("utm_source") and is_tracking_param("FBCLID")
    assert not is_tracking_param("id") and not is_tracking_param("page")
