"""The alert page's entries: snippets highlighted with <mark> from each match's evidence (escaped like every
crawled text), the same highlights as offsets in the JSON API, and keyset paging (``?before=MATCH_ID``,
"showing X–Y of N", alone and with unread_only). SQLite and PostgreSQL, through the real app."""

from __future__ import annotations

import re

from monitor.alerts import add_alert, inbox, match_new_articles
from tests.test_search_fixtures import add_article, any_db_url  # noqa: F401 - fixture
from tests.test_web import csrf_of, sign_in, site  # noqa: F401 - fixture


def test_alert_snippets_mark_the_evidence_and_escape_the_rest(site) -> None:  # noqa: F811
    """The page showed the CLI's "[OTAN]" brackets; the search page already marked matches."""
    engine, client = site
    sign_in(client)
    add_alert(engine, "otan", "otan")
    article = add_article(engine, "b2", "<b>OTAN</b> au Sahel",
                          'Selon <script>x</script> l\'OTAN, "la mission" continue.', language="fr")
    assert match_new_articles(engine, [article]) == 1
    page = client.get("/alerts/otan").text
    assert "[OTAN]" not in page and "<script>x" not in page and "<b>OTAN" not in page
    assert '>&lt;b&gt;<mark>OTAN</mark>&lt;/b&gt; au Sahel</a>' in page  # the title, marked and escaped
    assert ('<blockquote class="snippet">Selon &lt;script&gt;x&lt;/script&gt; l&#39;<mark>OTAN</mark>, '
            '&#34;la mission&#34; continue.</blockquote>') in page
    assert '<blockquote class="snippet">&lt;b&gt;<mark>OTAN</mark>&lt;/b&gt; au Sahel</blockquote>' in page
    entry, = client.get("/api/alerts/otan/entries").json()
    assert any("[OTAN]" in s for s in entry["snippets"])  # unchanged for API clients that read them
    assert {(h["field"], h["text"][s:e]) for h in entry["highlights"] for s, e in h["marks"]} == {
        ("title", "OTAN"), ("text", "OTAN")}


def test_the_alert_page_pages_through_every_entry_by_key(site) -> None:  # noqa: F811
    """?limit=2 showed 2 of 6 entries with no way to the others (nor past the 50 newest)."""
    engine, client = site
    sign_in(client)
    add_alert(engine, "sahel", "sahel")
    ids = [add_article(engine, f"s{i % 3}", f"Sahel report {i}", f"Sahel news number {i}.") for i in range(6)]
    assert match_new_articles(engine, ids[:3]) == 3  # two runs: matched_at ties within each, ordered by id
    assert match_new_articles(engine, ids[3:]) == 3
    expected = [e["match_id"] for e in inbox(engine, "sahel", limit=100)]

    def walk(path: str) -> tuple[list[int], list[str]]:
        seen, shown = [], []
        while path:
            page = client.get(path)
            assert page.status_code == 200, page.text
            seen += [int(i) for i in re.findall(r'href="/articles/\d+\?match=(\d+)"', page.text)]
            shown += re.findall(r'id="entries-shown">([^<]+)<', page.text)
            older = re.search(r'href="([^"]+)" rel="next" id="older-entries"', page.text)
            path = "/alerts/sahel" + older.group(1).replace("&amp;", "&") if older else ""
        return seen, shown

    seen, shown = walk("/alerts/sahel?limit=4")
    assert seen == expected and shown == ["showing 1–4 of 6", "showing 5–6 of 6"]
    seen, shown = walk("/alerts/sahel?limit=2")
    assert seen == expected and shown == ["showing 1–2 of 6", "showing 3–4 of 6", "showing 5–6 of 6"]
    second = client.get(f"/alerts/sahel?limit=2&before={expected[1]}").text
    assert 'href="?limit=2" id="newest-entries"' in second

    # unread only: the two newest and the fifth are read; pages hold the unread ones, counted among themselves
    token = csrf_of(client.get("/alerts/sahel").text)
    for match_id in (expected[0], expected[1], expected[4]):
        client.post("/alerts/sahel/read", data={"match_id": str(match_id), "csrf_token": token})
    seen, shown = walk("/alerts/sahel?limit=2&unread_only=true")
    assert seen == [expected[2], expected[3], expected[5]]
    assert shown == ["showing 1–2 of 3 unread", "showing 3–3 of 3 unread"]

    # the API pages the same way; an entry of no such alert is a 400 naming it
    api = client.get("/api/alerts/sahel/entries", params={"limit": 2, "before": expected[1]}).json()
    assert [e["match_id"] for e in api] == expected[2:4]
    assert client.get("/alerts/sahel", params={"before": 999999}).status_code == 400
    bad = client.get("/api/alerts/sahel/entries", params={"before": 999999})
    assert bad.status_code == 400 and "no entry 999999" in bad.json()["detail"]
