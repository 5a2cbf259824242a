"""Dashboard sessions end on the server, not only in the browser.

A session cookie names the user and carries the user's random session key; a
request is signed in only while a user row with that id and that key exists.
A copied cookie therefore dies when its user signs out (the key is replaced),
when the operator removes the user (the row is gone), and never becomes a later
user who is given the same id. Real app, real SQLite and PostgreSQL databases,
the real ``monitor users`` command.
"""

from __future__ import annotations

import json
from base64 import b64decode, b64encode

import itsdangerous
import pytest
from alembic import command
from sqlalchemy import Engine, func, insert, select, text
from starlette.testclient import TestClient

from monitor.alerts import add_alert, list_alerts, match_new_articles
from monitor.db import connect, upgrade
from monitor.db.migrate import alembic_config, current_revision, head_revision
from monitor.web import create_app
from monitor.web.auth import add_user, hash_password
from monitor.web.models import ReadState, WebUser
from tests.conftest import run_monitor
from tests.db_fixtures import db_url  # noqa: F401 - the migration test runs on SQLite and PostgreSQL
from tests.test_search_fixtures import add_article, any_db_url  # noqa: F401 - fixture
from tests.test_web import csrf_of, sign_in

COOKIE = "monitor_session"
SECRET = "test-secret"
BOB = ("bob", "bob's password")
SIGNED_OUT = 'action="/logout"'  # the header's sign-out form: present only for a signed-in user


@pytest.fixture()
def site(any_db_url):  # noqa: F811
    """ana (id 1) with an alert of two unread entries, and bob (id 2, the highest: SQLite reuses it)."""
    engine = connect(any_db_url)
    add_user(engine, "ana", "correct horse")
    add_user(engine, *BOB)
    add_alert(engine, "iraq", '"NATO Mission Iraq"', owner="ana")
    first = add_article(engine, "b2", "NATO Mission Iraq extended", "The NATO Mission Iraq is extended.")
    second = add_article(engine, "nato", "Advisers", "NATO Mission Iraq advisers arrive in Baghdad.")
    assert match_new_articles(engine, [first, second]) == 2
    app = create_app(engine=engine, secret=SECRET)
    with TestClient(app) as client:
        yield any_db_url, engine, client
    engine.dispose()


def copied_session(client: TestClient) -> tuple[str, str]:
    """bob's session cookie and its CSRF token, as someone who copied them from bob's browser holds them."""
    sign_in(client, *BOB)
    token = csrf_of(client.get("/inbox").text)
    return client.cookies[COOKIE], token


def replay(client: TestClient, cookie: str) -> TestClient:
    """A fresh browser presenting ``cookie``."""
    return TestClient(client.app, cookies={COOKIE: cookie})


def user_id_of(engine: Engine, name: str) -> int | None:
    with engine.connect() as connection:
        return connection.execute(select(WebUser.id).where(WebUser.name == name)).scalar()


def read_rows(engine: Engine, uid: int) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(ReadState).where(ReadState.user_id == uid)).scalar()


def assert_signed_out(stale: TestClient, token: str) -> None:
    """Every page answers ``stale`` as a signed-out visitor: redirects to sign-in, no 500, nobody in the header."""
    for path in ("/inbox", "/alerts/iraq"):
        response = stale.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), path
    for path in ("/search?q=nato", "/topics", "/sources", "/login", "/articles/1", "/no-such-page"):
        response = stale.get(path)
        assert response.status_code < 500 and SIGNED_OUT not in response.text, path
    for path, form in (("/alerts", {"name": "bobs", "query": "nato"}), ("/alerts/iraq/read", {"all": "1"})):
        response = stale.post(path, data={**form, "csrf_token": token}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), path
    assert [a["name"] for a in list_alerts(stale.app.state.engine)] == ["iraq"]  # nothing created


def test_a_copied_cookie_stops_working_when_its_user_signs_out(site) -> None:
    _, engine, client = site
    cookie, token = copied_session(client)
    laptop = TestClient(client.app)
    sign_in(laptop, *BOB)
    assert replay(client, cookie).get("/inbox").status_code == 200
    signed_out = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/login"
    assert_signed_out(replay(client, cookie), token)
    assert laptop.get("/inbox", follow_redirects=False).status_code == 303  # signed out everywhere
    sign_in(client, *BOB)  # signing in again works, and does not revive the copied cookie
    assert client.get("/inbox").status_code == 200
    assert replay(client, cookie).get("/inbox", follow_redirects=False).status_code == 303
    assert read_rows(engine, user_id_of(engine, "bob")) == 0


def test_a_stale_session_is_dropped_from_the_cookie(site) -> None:
    _, _, client = site
    cookie, token = copied_session(client)
    client.post("/logout", data={"csrf_token": token})
    stale = replay(client, cookie)
    set_cookie = stale.get("/search").headers["set-cookie"]
    assert set_cookie.startswith(f"{COOKIE}=") and "httponly" in set_cookie
    session = json.loads(b64decode(set_cookie.split(";")[0].split("=", 1)[1].split(".")[0]))
    assert session == {"csrf_token": token}  # rewritten without the sign-in; the CSRF token stays
    assert stale.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303


def test_removing_a_user_ends_their_sessions(site) -> None:
    url, engine, client = site
    cookie, token = copied_session(client)
    bob = user_id_of(engine, "bob")
    removed = run_monitor("users", "remove", "bob", "--db", url)
    assert removed.returncode == 0, removed.stderr
    assert_signed_out(replay(client, cookie), token)
    assert read_rows(engine, bob) == 0


def test_a_new_user_given_a_removed_users_id_is_not_signed_in_by_the_old_cookie(site) -> None:
    url, engine, client = site
    cookie, token = copied_session(client)
    bob = user_id_of(engine, "bob")
    assert run_monitor("users", "remove", "bob", "--db", url).returncode == 0
    if engine.dialect.name == "postgresql":  # SQLite reuses the highest free id by itself; make PostgreSQL do it
        with engine.begin() as connection:
            connection.execute(text("SELECT setval(pg_get_serial_sequence('web_users', 'id'), :n)"), {"n": bob - 1})
    added = run_monitor("users", "add", "carol", "--db", url, env={"MONITOR_WEB_PASSWORD": "carol's password"})
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["id"] == bob
    stale = replay(client, cookie)
    assert_signed_out(stale, token)
    assert read_rows(engine, bob) == 0  # bob's cookie did not mark carol's entries read
    carol = TestClient(client.app)
    sign_in(carol, "carol", "carol's password")
    page = carol.get("/inbox").text
    assert 'data-unread="2"' in page and "<span>carol</span>" in page


def old_cookie(session: dict[str, object]) -> str:
    """A session cookie as the dashboard signed it before session keys (Starlette's format)."""
    return itsdangerous.TimestampSigner(SECRET).sign(b64encode(json.dumps(session).encode())).decode()


def test_the_migration_gives_existing_users_a_session_key(db_url: str) -> None:  # noqa: F811
    engine = connect(db_url, migrate=False)
    upgrade(engine, "w001")
    with engine.begin() as connection:
        for name, password in (("ana", "correct horse"), BOB):
            connection.execute(text("INSERT INTO web_users (name, password_hash, created) "
                                    "VALUES (:name, :hash, CURRENT_TIMESTAMP)"),
                               {"name": name, "hash": hash_password(password)})
        ana = connection.execute(text("SELECT id FROM web_users WHERE name = 'ana'")).scalar()
        connection.execute(insert(ReadState).values(user_id=ana, match_id=7, read_at=func.now()))
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    with engine.connect() as connection:
        keys = connection.execute(select(WebUser.session_key)).scalars().all()
    assert len(keys) == 2 and len(set(keys)) == 2 and all(len(k) >= 43 for k in keys)
    assert read_rows(engine, ana) == 1  # rebuilding web_users (SQLite) kept the read state
    app = create_app(engine=engine, secret=SECRET)
    with TestClient(app, cookies={COOKIE: old_cookie({"user_id": ana, "user": "ana"})}) as client:
        assert client.get("/inbox", follow_redirects=False).status_code == 303  # a pre-upgrade cookie signs out
        sign_in(client)
        assert client.get("/inbox").status_code == 200
    command.downgrade(alembic_config(engine), "w001")  # and back: the column goes, the read state stays
    assert read_rows(engine, ana) == 1
    upgrade(engine)
    engine.dispose()
