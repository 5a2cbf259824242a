"""The dashboard in headless Chromium (Debian's, driven by Playwright): sign in, create an alert, watch
it fill after a real crawl of the replica, read an article with highlights, view the trend chart; and a
stored article full of script payloads executes nothing on any page that shows it.

Set MONITOR_SCREENSHOTS=1 to (re)write docs/screenshots/*.png.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from monitor.alerts import add_alert, match_new_articles
from monitor.db import connect
from monitor.web import create_app
from monitor.web.auth import add_user
from tests.conftest import REPO, require_service, run_monitor
from tests.test_search_fixtures import add_article

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SHOTS = REPO / "docs" / "screenshots"
PAYLOAD_TITLE = '<script>window.__xss=1</script>"><svg onload="window.__xss=2;alert(2)"> Payload story'
PAYLOAD_BODY = ('NATO Mission Iraq trains officers <img src=x onerror="window.__xss=3;alert(3)"> and '
                '<a href="javascript:window.__xss=4">click me</a> then "><svg onload=alert(5)> ends.')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """uvicorn serving the dashboard on 127.0.0.1:<free port> in a background thread; yields (base URL, DB URL)."""
    if not Path(CHROMIUM).exists():
        require_service("chromium", f"{CHROMIUM} not found (apt-get install chromium)")
    import uvicorn

    db_url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'monitor.sqlite'}"
    engine = connect(db_url)
    add_user(engine, "ana", "correct horse")
    port = _free_port()
    config = uvicorn.Config(create_app(engine=engine, secret="browser-test"), host="127.0.0.1", port=port,
                            log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", db_url
    uv.should_exit = True
    thread.join(10)
    engine.dispose()


@pytest.fixture(scope="module")
def browser(server) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def shot(page, name: str) -> None:
    if os.environ.get("MONITOR_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def sign_in(page, base: str) -> None:
    page.goto(f"{base}/inbox")
    assert "/login" in page.url
    shot(page, "login")
    page.fill("input[name=name]", "ana")
    page.fill("input[name=password]", "correct horse")
    page.click("button[type=submit]:has-text('Sign in')")
    page.wait_for_url(f"{base}/inbox")


def test_alert_fills_after_a_crawl_and_its_article_is_highlighted(server, page, replica) -> None:
    base, db_url = server
    problems: list[str] = []  # console errors and failed requests (a missing favicon was one on every page)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    sign_in(page, base)
    page.fill("input[name=name]", "nato-iraq")
    page.fill("input[name=query]", '"NATO Mission Iraq"')
    page.click("button:has-text('Create alert')")
    page.wait_for_url(f"{base}/alerts/nato-iraq")
    assert page.locator("li.entry").count() == 0

    crawl = run_monitor("crawl", "--catalogue", str(REPO / "monitor/replica/catalogue.toml"),
                        "--base-url", replica.base_url, "--db", db_url)
    assert crawl.returncode == 0, crawl.stderr[-2000:]

    page.goto(f"{base}/inbox")
    unread = int(page.locator("tr:has-text('nato-iraq') .badge").inner_text())
    assert unread > 0
    shot(page, "inbox")
    page.click("a:has-text('nato-iraq')")
    entries = page.locator("li.entry.unread")
    assert entries.count() == unread
    snippet_marks = page.locator("blockquote.snippet mark")  # the evidence marked, not the CLI's [brackets]
    assert snippet_marks.count() >= 1 and "[" not in page.locator("blockquote.snippet").first.inner_text()
    assert all(m.lower() == "nato mission iraq" for m in snippet_marks.all_inner_texts())
    shot(page, "alert")
    assert unread > 1  # one entry a page: "Older entries" reaches the next
    page.goto(f"{base}/alerts/nato-iraq?limit=1")
    assert page.locator("#entries-shown").inner_text() == f"showing 1–1 of {unread}"
    page.click("#older-entries")
    assert page.locator("#entries-shown").inner_text() == f"showing 2–2 of {unread}"
    page.goto(f"{base}/alerts/nato-iraq")
    page.locator("li.entry form button:has-text('Mark read')").first.click()
    page.wait_for_url(f"{base}/alerts/nato-iraq")
    assert page.locator("li.entry.unread").count() == unread - 1

    page.locator("li.entry a.title").first.click()
    marks = page.locator("#article-body mark, #article-title mark")
    assert marks.count() >= 1
    assert all(m.lower() == "nato mission iraq" for m in marks.all_inner_texts())
    shot(page, "article")

    page.goto(f"{base}/search?q=%22NATO+Mission+Iraq%22")
    assert page.locator("li.result").count() >= 1 and page.locator("li.result mark").count() >= 1
    shot(page, "search")
    story = page.locator("li.result a:has-text('story')").first
    story.click()
    assert page.locator("table.list tbody tr").count() >= 1
    shot(page, "story")
    page.goto(f"{base}/sources")
    assert page.locator("span.status").count() >= 4
    shot(page, "sources")
    assert page.evaluate("fetch('/favicon.ico').then(r => r.status)") == 200
    assert problems == [], problems


def test_trend_chart_shows_daily_volume_baseline_and_spike(server, page) -> None:
    base, db_url = server
    engine = connect(db_url)
    today = datetime.now(timezone.utc).replace(hour=9, minute=0, second=0, microsecond=0)
    for back in range(1, 50, 4):
        add_article(engine, "trend-src", f"Sanctions update {back}", "sanctions", published=today - timedelta(days=back),
                    topics=("eu-sanctions",))
    for i in range(9):
        add_article(engine, "trend-src", f"Sanctions package {i}", "sanctions", published=today, topics=("eu-sanctions",))
    engine.dispose()
    page.goto(f"{base}/topics/eu-sanctions?days=60")
    chart = page.locator("#trend svg.chart")
    assert chart.is_visible()
    assert page.locator("#trend rect.bar").count() == 60
    assert page.locator("#trend rect.bar.spike").count() == 1
    assert page.locator("#trend polyline.baseline").count() == 1
    shot(page, "trend")
    page.goto(f"{base}/topics")
    assert page.locator("tr.spiking a:has-text('eu-sanctions')").count() == 1


def test_script_payloads_in_a_stored_article_execute_nothing(server, page) -> None:
    base, db_url = server
    engine = connect(db_url)
    add_alert(engine, "payload", '"NATO Mission Iraq" AND payload')
    article = add_article(engine, "xss-src", PAYLOAD_TITLE, PAYLOAD_BODY, topics=("nato",),
                          url="javascript:window.__xss=6")
    assert match_new_articles(engine, [article]) >= 1
    engine.dispose()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.add_init_script("window.__xss = 0;")
    sign_in(page, base)
    pages = ["/alerts/payload", f"/articles/{article}", f"/articles/{article}?q=payload", f"/stories/{article}",
             "/search?q=payload", "/topics/nato", "/search?source=xss-src"]
    for path in pages:
        page.goto(base + path)
        page.wait_for_load_state("load")
        for link in page.locator("a").all():  # a javascript: href would run on click: there must be none
            assert not (link.get_attribute("href") or "").lower().startswith("javascript:"), path
        assert page.evaluate("window.__xss") == 0, path
        assert page.locator("img[src=x], svg[onload], script:not([src])").count() == 0, path
        visible = page.locator("main").inner_text()
        assert "<script>window.__xss=1</script>" in visible, path
    page.goto(f"{base}/articles/{article}")
    assert '<img src=x onerror="window.__xss=3;alert(3)">' in page.locator("#article-body").inner_text()
    assert dialogs == []
