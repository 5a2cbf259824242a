"""Alert definitions a user can type that could never work: names that cannot be a page's path segment,
and source filters naming no source (the alert would silently never match)."""

from __future__ import annotations

import pytest

from monitor.alerts import AlertError, add_alert, edit_alert
from monitor.db import connect
from tests.test_search_fixtures import add_article, any_db_url  # noqa: F401 - fixture
from tests.test_web import csrf_of, sign_in, site  # noqa: F401 - fixture


@pytest.mark.parametrize("name", ["a/b", "..", "tab\there", "x" * 101, "back\\slash", "   "])
def test_a_name_that_cannot_be_a_page_is_refused(db_url: str, name: str) -> None:
    with pytest.raises(AlertError, match="alert name"):
        add_alert(connect(db_url), name, "nato")


def test_names_up_to_the_limit_with_spaces_and_accents_are_fine(db_url: str) -> None:
    engine = connect(db_url)
    assert add_alert(engine, "Mission OTAN – Irak (FR)", "otan") > 0
    assert add_alert(engine, "y" * 100, "nato") > 0


def test_a_source_filter_must_name_a_known_source(db_url: str) -> None:
    engine = connect(db_url)
    add_article(engine, "b2", "L'OTAN en Irak", "La mission de l'OTAN en Irak.", language="fr")
    with pytest.raises(AlertError, match="unknown source 'b3'.*did you mean b2"):
        add_alert(engine, "nmi", "otan", filters={"sources": ["b3"]})
    add_alert(engine, "nmi", "otan", filters={"sources": ["b2"]})
    with pytest.raises(AlertError, match="unknown source 'nosuch'"):
        edit_alert(engine, "nmi", filter_updates={"sources": ["nosuch"]})


def test_the_dashboard_form_refuses_them_with_a_400(site) -> None:  # noqa: F811
    engine, client = site
    sign_in(client)
    token = csrf_of(client.get("/inbox").text)
    for form, reason in (({"name": "a/b", "query": "nato"}, "alert name"),
                         ({"name": "ok", "query": "nato", "source": "nosuch"}, "unknown source")):
        page = client.post("/alerts", data={**form, "csrf_token": token})
        assert page.status_code == 400 and reason in page.text


def test_names_differing_only_in_non_ascii_case_are_one_name(db_url: str) -> None:
    """SQLite's lower() folds only ASCII: the comparison must not depend on the database."""
    engine = connect(db_url)
    add_alert(engine, "Ärzte", "arzt*")
    with pytest.raises(AlertError, match="already exists"):
        add_alert(engine, "ärzte", "arzt*")
