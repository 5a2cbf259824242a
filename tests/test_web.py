"""The dashboard over a real database through Starlette's TestClient: sign-in, CSRF, read state,
escaping of crawled text, highlights, trends, feeds, the JSON API and the error page."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from monitor.alerts import add_alert, evaluate_trends, inbox, list_alerts, match_new_articles, spikes
from monitor.db import connect
from monitor.web import create_app
from monitor.web.auth import UserError, add_user, check_password, hash_password, session_secret
from monitor.web.data import topic_daily_counts, trend_series
from monitor.web.highlight import highlight, merge_spans, paragraphs
from tests.conftest import run_monitor
from tests.test_search_fixtures import add_article, any_db_url  # noqa: F401 - fixture

PAYLOAD_TITLE = '<script>window.__xss=1</script>"><svg onload=alert(1)> NATO Iraq'
PAYLOAD_BODY = ('NATO Mission Iraq trains officers. <img src=x onerror=alert(2)> '
                '<a href="javascript:alert(3)">click</a> "><svg onload=alert(4)>')


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client: TestClient, name: str = "ana", password: str = "correct horse") -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": token,
                                           "next": "/inbox"}, follow_redirects=False)
    assert response.status_code == 303, response.text


@pytest.fixture()
def site(any_db_url):  # noqa: F811
    engine = connect(any_db_url)
    add_user(engine, "ana", "correct horse")
    app = create_app(engine=engine, secret="test-secret")
    with TestClient(app) as client:
        yield engine, client
    engine.dispose()


def test_highlight_escapes_every_segment_and_marks_only_the_spans() -> None:
    text_ = "a <b>NATO</b> & <script>x</script> NATO"
    start = text_.index("NATO")
    out = str(highlight(text_, [(start, start + 4), (len(text_) - 4, len(text_))]))
    assert "<b>" not in out and "<script>" not in out
    assert out.count("<mark>") == 2 and "&lt;b&gt;<mark>NATO</mark>&lt;/b&gt;" in out
    assert merge_spans([(5, 9), (0, 2), (1, 3), (8, 12), (20, 30)], 25) == [(0, 3), (5, 12), (20, 25)]
    lines = paragraphs("one NATO\n\ntwo <i>NATO</i>", [(4, 8), (17, 21)])
    assert [str(p) for p in lines] == ["one <mark>NATO</mark>", "two &lt;i&gt;<mark>NATO</mark>&lt;/i&gt;"]


def test_passwords_are_scrypt_hashed_and_users_validated(tmp_path: Path, db_url: str) -> None:
    stored = hash_password("s3cret-pass")
    assert stored.startswith("scrypt$") and "s3cret-pass" not in stored
    assert check_password("s3cret-pass", stored) and not check_password("wrong-pass", stored)
    engine = connect(db_url)
    add_user(engine, "ana", "long enough")
    with pytest.raises(UserError, match="already exists"):
        add_user(engine, "ana", "long enough")
    with pytest.raises(UserError, match="at least 8"):
        add_user(engine, "bob", "short")
    secret = session_secret(tmp_path, environ={})
    assert secret == session_secret(tmp_path, environ={}) and len(secret) > 40
    assert (tmp_path / "web-secret").stat().st_mode & 0o077 == 0
    assert session_secret(tmp_path, environ={"MONITOR_WEB_SECRET": "abc"}) == "abc"


def test_trend_series_flags_the_same_spikes_as_the_alerts_module(db_url: str) -> None:
    engine = connect(db_url)
    today = datetime.now(timezone.utc).replace(hour=12, minute=0, second=0, microsecond=0)
    for back in range(1, 29, 3):
        add_article(engine, "s", f"quiet {back}", "body", published=today - timedelta(days=back), topics=("nato",))
    for i in range(8):
        add_article(engine, "s", f"burst {i}", "body", published=today, topics=("nato",))
    end = today.date()
    counts = topic_daily_counts(engine, "nato", end - timedelta(days=40), end)
    points = trend_series(counts, end - timedelta(days=9), end)
    expected = {s.key for s in spikes(engine, dimension="topic", day=end)}
    assert ("nato" in expected) == points[-1].spike is True
    assert points[-1].count == 8 and not any(p.spike for p in points[:-1])


def test_state_changes_need_sign_in_and_a_csrf_token(site) -> None:
    engine, client = site
    assert client.get("/inbox", follow_redirects=False).headers["location"].startswith("/login?next=%2Finbox")
    token = csrf_of(client.get("/login").text)
    assert client.post("/login", data={"name": "ana", "password": "correct horse"}).status_code == 403
    bad = client.post("/login", data={"name": "ana", "password": "wrong password", "csrf_token": token})
    assert bad.status_code == 401 and "Wrong user name or password" in bad.text
    signed_out = client.post("/alerts", data={"name": "x", "query": "nato", "csrf_token": token},
                             headers={"referer": "http://testserver/alerts/past?unread_only=true"},
                             follow_redirects=False)
    # back to the page the form was on after signing in, not to /alerts (POST only: a 405)
    assert signed_out.headers["location"] == "/login?next=%2Falerts%2Fpast%3Funread_only%3Dtrue"
    elsewhere = client.post("/alerts", data={"name": "x", "query": "nato", "csrf_token": token},
                            headers={"referer": "https://evil.example/alerts"}, follow_redirects=False)
    assert elsewhere.headers["location"] == "/login?next=%2Finbox"
    sign_in(client)
    assert client.post("/alerts", data={"name": "x", "query": "nato"}).status_code == 403  # no token
    token = csrf_of(client.get("/inbox").text)
    assert client.post("/alerts", data={"name": "x", "query": "nato", "csrf_token": "forged"}).status_code == 403
    created = client.post("/alerts", data={"name": "x", "query": "nato", "csrf_token": token},
                          follow_redirects=False)
    assert created.status_code == 303 and created.headers["location"] == "/alerts/x"
    rejected = client.post("/alerts", data={"name": "y", "query": '"unclosed', "csrf_token": token})
    assert rejected.status_code == 400 and "unterminated phrase" in rejected.text


def test_inbox_counts_unread_until_marked_read_per_user(site) -> None:
    engine, client = site
    add_user(engine, "bob", "another pass")
    sign_in(client)
    token = csrf_of(client.get("/inbox").text)
    client.post("/alerts", data={"name": "iraq", "query": '"NATO Mission Iraq"', "csrf_token": token})
    first = add_article(engine, "b2", "NATO Mission Iraq extended", "The NATO Mission Iraq is extended.")
    copy = add_article(engine, "eeas", "NATO Mission Iraq extended", "The NATO Mission Iraq is extended.",
                       story_id=first)
    second = add_article(engine, "nato", "Other", "NATO Mission Iraq advisers arrive in Baghdad.")
    assert match_new_articles(engine, [first, copy, second]) == 2
    inbox = client.get("/inbox").text
    assert re.search(r'data-unread="2"', inbox)
    page = client.get("/alerts/iraq").text
    assert "also in 1 outlet" in page and page.count('class="entry unread"') == 2
    assert '<blockquote class="snippet">The <mark>NATO Mission Iraq</mark> is extended.</blockquote>' in page
    match_id = re.search(r'name="match_id" value="(\d+)"', page).group(1)
    client.post("/alerts/iraq/read", data={"match_id": match_id, "csrf_token": token})
    assert 'data-unread="1"' in client.get("/inbox").text
    other = TestClient(client.app)
    sign_in(other, "bob", "another pass")
    assert 'data-unread="2"' in other.get("/inbox").text  # read state is per user
    # the newest entry is now read, the older one not: "unread only" with a limit of 1 still finds it
    with engine.connect() as connection:
        newest, older = connection.execute(text(
            "select id from alert_matches order by matched_at desc, id desc")).scalars().all()
    assert int(match_id) == newest
    unread_page = client.get("/alerts/iraq", params={"limit": 1, "unread_only": "true"}).text
    assert unread_page.count('class="entry unread"') == 1 and f'value="{older}"' in unread_page
    up_to = re.search(r'name="up_to" value="(\d+)"', client.get("/alerts/iraq").text).group(1)
    late = add_article(engine, "nato", "Later", "NATO Mission Iraq: a third story, after the page was drawn.")
    assert match_new_articles(engine, [late]) == 1
    client.post("/alerts/iraq/read", data={"all": "1", "up_to": up_to, "csrf_token": token})
    assert 'data-unread="1"' in client.get("/inbox").text  # "mark all read" covered what the page showed
    client.post("/alerts/iraq/read", data={"all": "1", "csrf_token": token})
    assert 'data-unread="0"' in client.get("/inbox").text
    assert client.get("/alerts/nope").status_code == 404


def test_the_trend_chart_labels_its_middle_gridline_exactly() -> None:
    """A top of 3 puts the middle line at 1.5: it was labelled "2"."""
    from datetime import date

    from monitor.web.chart import trend_svg
    from monitor.web.data import TrendPoint

    svg = str(trend_svg([TrendPoint(date(2025, 3, d), c, 0.0, 0.0, 0.0, False) for d, c in ((1, 3), (2, 1))],
                        min_z=0.0))
    labels = re.findall(r'class="axis"[^>]*>([^<]+)</text>', svg)
    assert labels[:3] == ["0", "1.5", "3"]


def test_an_alert_match_highlights_only_its_own_article(site) -> None:
    """?match= from another article used to mark that article's offsets in this one: random letters."""
    engine, client = site
    add_alert(engine, "iraq", '"NATO Mission Iraq"')
    first = add_article(engine, "b2", "NATO Mission Iraq extended", "The NATO Mission Iraq is extended.")
    other = add_article(engine, "nato", "Other news", "Ministers met in Brussels on Thursday about trade.")
    assert match_new_articles(engine, [first, other]) == 1
    with engine.connect() as connection:
        match_id = connection.execute(text("select id from alert_matches")).scalar_one()
    assert client.get(f"/articles/{first}?match={match_id}").text.count("<mark>") >= 2
    assert "<mark>" not in client.get(f"/articles/{other}?match={match_id}").text



def test_the_story_page_names_the_first_published_copy_original(site) -> None:
    engine, client = site
    crawled_first = add_article(engine, "b2", "[Texte] Iraq: statement", "The statement on Iraq, republished.",
                                published=datetime(2025, 3, 4, 14, 40, tzinfo=timezone.utc))
    published_first = add_article(engine, "eeas", "Iraq: statement", "The statement on Iraq.",
                                  published=datetime(2025, 3, 4, 12, 5, tzinfo=timezone.utc), story_id=crawled_first)
    with engine.begin() as connection:  # as the crawl stores it: the later-stored copy was compared with the first
        connection.execute(text("UPDATE articles SET duplicate_of = :d, similarity = 0.75 WHERE id = :i"),
                           {"d": crawled_first, "i": published_first})
    rows = re.findall(r'<a href="/articles/(\d+)">.*?</td>.*?<td>(original|first stored|same story|duplicate of[^<]*)</td>'
                      r'\s*<td class="num">([^<]*)</td>', client.get(f"/stories/{crawled_first}").text, re.S)
    # the original's similarity was hidden: it is what joined it to the story
    assert {int(i): (relation, sim) for i, relation, sim in rows} == {published_first: ("original", "0.75"),
                                                                      crawled_first: ("first stored", "")}


def test_html_pages_are_not_cached_and_feeds_may_be(site) -> None:
    engine, client = site
    sign_in(client)
    assert client.get("/inbox").headers["cache-control"] == "no-store"
    assert client.get("/search", params={"q": "nato"}).headers["cache-control"] == "no-store"
    assert "cache-control" not in client.get("/api/sources").headers


def test_crawled_payloads_are_shown_as_text_on_every_page(site) -> None:
    engine, client = site
    sign_in(client)
    add_alert(engine, "xss", '"NATO Mission Iraq"')
    article = add_article(engine, "b2", PAYLOAD_TITLE, PAYLOAD_BODY, topics=("nato",),
                          url="javascript:alert(5)")
    match_new_articles(engine, [article])
    pages = ["/alerts/xss", f"/articles/{article}", f"/articles/{article}?q=iraq", f"/stories/{article}",
             "/search?q=iraq", "/topics/nato"]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.text
        assert "<script>window.__xss" not in body and "<svg onload" not in body and "<img src=x" not in body, path
        assert 'href="javascript:' not in body, path
        assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in body, path
        assert "default-src 'self'" in response.headers["content-security-policy"]
    article_page = client.get(f"/articles/{article}?q=%22NATO+Mission+Iraq%22").text
    assert "<mark>NATO Mission Iraq</mark> trains officers. &lt;img src=x onerror=alert(2)&gt;" in article_page
    feed = client.get("/feeds/alerts/xss.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    assert "<script>" not in feed.text and "&lt;script&gt;" in feed.text


def test_topic_page_draws_the_trend_as_inline_svg_and_sources_show_health(site) -> None:
    engine, client = site
    now = datetime.now(timezone.utc)
    for i in range(5):
        add_article(engine, "b2", f"csdp {i}", "CSDP mission", published=now - timedelta(days=i), topics=("csdp",))
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO crawl_runs (run_key, source, started, finished, status, items_stored, stats) "
            "VALUES ('r1', 'b2', :t, :t, 'finished', 5, '{\"monitor/listed\": 5, \"log_count/ERROR\": 2}')"),
            {"t": now.isoformat()})
    page = client.get("/topics/csdp?days=30").text
    assert page.count('class="bar') == 30 and 'class="baseline"' in page and "<svg" in page
    assert client.get("/api/topics/csdp/trend?days=7").json()[-1]["count"] == 1
    sources = client.get("/sources").text
    assert "B2" in sources and 'class="status' in sources
    api = {s["name"]: s for s in client.get("/api/sources").json()}
    assert api["b2"]["errors"] == 2 and api["b2"]["runs"] == 1 and api["b2"]["last_success"] is None
    assert client.get("/topics/not-a-topic").status_code == 404



def test_a_trend_alert_page_lists_its_spikes_with_their_baseline(site) -> None:
    engine, client = site
    sign_in(client)
    today = datetime.now(timezone.utc).replace(hour=0, minute=30)
    for back in range(1, 29):
        add_article(engine, "b2", "x", "y", topics=("csdp",), published=today - timedelta(days=back))
    for _ in range(6):
        add_article(engine, "b2", "x", "y", topics=("csdp",), published=today)
    add_alert(engine, "csdp-spike", trend={"dimension": "topic", "key": "csdp", "z": 3})
    assert evaluate_trends(engine) == 1
    page = client.get("/alerts/csdp-spike").text
    assert "<h2>Spikes</h2>" in page and "<td>6</td><td>1.0</td><td>1.0</td>" in page and "<td>5.0</td>" in page
    start = (today - timedelta(days=28)).date().isoformat()
    assert f"28 days, {start} to" in page

def test_search_api_and_page_filter_and_explain_bad_input(site) -> None:
    engine, client = site
    day = datetime(2025, 3, 4, 10, tzinfo=timezone.utc)
    add_article(engine, "b2", "Iraq training", "NATO trains in Iraq.", language="en", published=day, topics=("nato",))
    add_article(engine, "b2", "Irak formation", "L'OTAN en Irak.", language="fr", published=day)
    body = client.get("/api/search", params={"q": "iraq OR irak", "language": "fr"}).json()
    assert [h["language"] for h in body["hits"]] == ["fr"]
    assert client.get("/api/search", params={"q": "iraq", "since": "2025-03-05"}).json()["hits"] == []
    assert len(client.get("/api/search", params={"q": "iraq", "until": "2025-03-04"}).json()["hits"]) == 1
    assert client.get("/api/search", params={"since": "yesterday"}).status_code == 422
    bad_day = client.get("/search", params={"since": "yesterday"})  # shown as an error on the search page
    assert bad_day.status_code == 400 and "is not a date" in bad_day.text and 'id="search-form"' in bad_day.text
    assert client.get("/api/search", params={"q": "a AND"}).status_code == 400
    for hostile in ("(" * 3000 + "nato" + ")" * 3000, "NOT " * 5000 + "x", " OR ".join(["nato"] * 6000)):
        assert client.get("/api/search", params={"q": hostile}).status_code == 400  # not a RecursionError 500
        assert "too" in client.get("/search", params={"q": hostile}).text
    assert client.get("/api/search", params={"limit": 0}).status_code == 422
    page = client.get("/search", params={"q": "iraq OR irak", "topic": "nato"}).text
    assert "<mark>Iraq</mark>" in page and "Irak formation" not in page
    assert client.get("/api/articles/999999").status_code == 404
    spec = client.get("/api/openapi.json").json()
    assert {"/api/search", "/api/articles/{article_id}", "/api/topics/{topic}/trend"} <= set(spec["paths"])


def test_server_errors_show_a_page_without_traceback(db_url: str) -> None:
    engine = connect(db_url)
    app = create_app(engine=engine, secret="s")
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE crawl_runs"))
    with TestClient(app, raise_server_exceptions=False) as client:
        page = client.get("/sources")
        api = client.get("/api/sources")
    assert page.status_code == 500 and "Something went wrong" in page.text
    assert "Traceback" not in page.text and "crawl_runs" not in page.text
    assert api.status_code == 500 and "crawl_runs" not in api.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_users_cli_stores_a_hash_and_serve_has_help(db_url: str) -> None:
    added = run_monitor("users", "add", "carla", "--db", db_url, env={"MONITOR_WEB_PASSWORD": "pass-word-1"})
    assert added.returncode == 0, added.stderr
    again = run_monitor("users", "add", "carla", "--db", db_url, env={"MONITOR_WEB_PASSWORD": "pass-word-1"})
    assert again.returncode != 0 and "already exists" in again.stderr and "Traceback" not in again.stderr
    engine = connect(db_url)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT password_hash FROM web_users WHERE name='carla'")).scalar()
    assert check_password("pass-word-1", stored) and "pass-word-1" not in stored
    assert "--port" in run_monitor("serve", "--help").stdout


def test_login_redirect_target_stays_on_this_site(site) -> None:
    _, client = site
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"name": "ana", "password": "correct horse", "csrf_token": token,
                                           "next": "//evil.example/x"}, follow_redirects=False)
    assert response.headers["location"] == "/inbox"


def test_filters_are_read_and_checked_as_the_cli_does(site) -> None:
    """Language "french" was stored as typed (the CLI stores "fr") and matched nothing; unknown languages,
    sources and topics gave empty answers instead of saying what is wrong."""
    engine, client = site
    sign_in(client)
    day = datetime(2025, 3, 4, 10, tzinfo=timezone.utc)
    add_article(engine, "b2", "Irak formation", "L'OTAN en Irak.", language="fr", published=day)
    token = csrf_of(client.get("/inbox").text)
    created = client.post("/alerts", data={"name": "fr", "query": "otan", "language": "French", "csrf_token": token},
                          follow_redirects=False)
    assert created.status_code == 303
    with engine.connect() as connection:
        assert connection.execute(text("SELECT filters FROM alerts WHERE name = 'fr'")).scalar() in (
            {"languages": ["fr"]}, '{"languages": ["fr"]}')
    refused = client.post("/alerts", data={"name": "zz", "query": "otan", "language": "zz", "csrf_token": token})
    assert refused.status_code == 400 and "language: &#39;zz&#39; is not a language code" in refused.text
    assert [a["name"] for a in client.get("/api/alerts").json()] == ["fr"]

    page = client.get("/search", params={"q": "otan", "language": "french"})
    assert page.status_code == 200 and "Irak formation" in page.text and '<option value="fr" selected>' in page.text
    hits = client.get("/api/search", params={"q": "otan", "language": "FR"}).json()["hits"]
    assert [h["language"] for h in hits] == ["fr"]
    for name, value, says in (("language", "zz", "language: &#39;zz&#39; is not a language code"),
                              ("source", "nosuch", "source: unknown source &#39;nosuch&#39;"),
                              ("topic", "natoo", "topic: unknown topic &#39;natoo&#39;")):
        page = client.get("/search", params={"q": "otan", name: value})
        assert page.status_code == 400 and says in page.text and 'id="search-form"' in page.text, name
        api = client.get("/api/search", params={"q": "otan", name: value})
        assert api.status_code == 400 and api.json()["detail"].startswith(f"{name}: "), name
        assert value in api.json()["detail"], name


def test_dashboard_errors_link_pages_instead_of_cli_commands(site) -> None:
    engine, client = site
    sign_in(client)
    add_alert(engine, "<b>nmi&", "nato")
    token = csrf_of(client.get("/inbox").text)
    again = client.post("/alerts", data={"name": "<B>NMI&", "query": "nato", "csrf_token": token})
    assert again.status_code == 400 and "monitor alerts" not in again.text
    assert ('already exists (names ignore case and spaces: &#39;&lt;b&gt;nmi&amp;&#39;): '
            '<a href="/alerts/%3Cb%3Enmi%26">open &lt;b&gt;nmi&amp;</a>') in again.text
    missing = client.get("/alerts/nope")
    assert missing.status_code == 404 and "`monitor" not in missing.text
    assert "no alert named &#39;nope&#39; (see <a href=\"/inbox\">the alert inbox</a>)" in missing.text
    unknown = client.get("/search", params={"source": "zzzzzz"}).text
    assert '(see <a href="/sources">the sources</a>)' in unknown and "`monitor" not in unknown
    # the CLI keeps its hint
    assert "(use `monitor alerts edit`)" in run_monitor("alerts", "add", "<b>nmi&", "nato", "--db",
                                                        str(engine.url.render_as_string(hide_password=False))).stderr


def test_the_article_page_lists_its_story_copies_by_title_and_date(site) -> None:
    """Four copies from one outlet were four identical outlet links."""
    engine, client = site
    first = add_article(engine, "b2", "NATO Iraq mission", "The mission.",
                        published=datetime(2025, 3, 4, 9, tzinfo=timezone.utc))
    copy = add_article(engine, "b2", "<em>Copy</em> of the NATO Iraq mission", "The mission.",
                       published=datetime(2025, 3, 5, 9, tzinfo=timezone.utc), story_id=first)
    panel = client.get(f"/articles/{first}").text.split("<h3>Story")[1].split("<h3>Versions")[0]
    assert f'<a href="/articles/{copy}">&lt;em&gt;Copy&lt;/em&gt; of the NATO Iraq mission</a>' in panel
    assert "B2 · 2025-03-05" in panel and "B2 · 2025-03-04" in panel and "<em>" not in panel


def test_an_unknown_story_and_the_favicon(site) -> None:
    _, client = site
    api = client.get("/api/stories/99999")
    assert api.status_code == 404 and api.json() == {"detail": "no story 99999"}
    page = client.get("/stories/99999")
    assert page.status_code == 404 and "no story 99999" in page.text
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.startswith("<svg") and client.get("/static/favicon.svg").status_code == 200
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in client.get("/login").text


def test_an_alert_created_on_the_dashboard_can_start_with_stored_stories(site) -> None:
    engine, client = site
    add_article(engine, "b2", "Frontex report", "The Frontex report was published.",
                published=datetime.now(timezone.utc) - timedelta(days=10))
    add_article(engine, "b2", "Frontex archive", "An old Frontex report.",
                published=datetime.now(timezone.utc) - timedelta(days=100))
    sign_in(client)
    page = client.get("/inbox").text
    assert 'name="backfill_days"' in page and 'value="30"' in page
    token = csrf_of(page)
    for name, days, expected in (("filled", "30", ["Frontex report"]), ("empty", "0", [])):
        made = client.post("/alerts", data={"name": name, "query": "frontex", "backfill_days": days,
                                            "csrf_token": token}, follow_redirects=False)
        assert made.status_code == 303, made.text
        assert [e["title"] for e in inbox(engine, name)] == expected
    refused = client.post("/alerts", data={"name": "x", "query": "frontex", "backfill_days": "-1",
                                           "csrf_token": token})
    assert refused.status_code == 422 and [a["name"] for a in list_alerts(engine)] == ["empty", "filled"]
