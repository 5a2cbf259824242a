"""Storage: migrations match the models, writes are idempotent, dates come back in UTC."""

import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from monitor.db import connect
from monitor.db.migrate import current_revision, head_revision
from monitor.db.base import all_metadata, include_name
from monitor.db.models import Article, ArticleTopic
from monitor.db.store import ArticleStore, SourceInfo
from tests.conftest import REPO
from tests.db_fixtures import db_url, postgres_url  # noqa: F401 - every test here runs on SQLite and PostgreSQL

NOW = datetime(2024, 3, 12, 9, 30, tzinfo=timezone(timedelta(hours=1)))


def record(source_id: int, n: int, content_hash: str | None = None) -> dict:
    return {
        "id": n, "source_id": source_id, "url": f"https://a.eu/{n}?utm_source=x", "canonical_url": f"https://a.eu/{n}",
        "content_hash": content_hash or f"hash{n}", "title": f"Title {n}", "authors": ["A. Author"],
        "published": NOW, "fetched": NOW, "language": "fr", "text": "texte",
        "topics": [{"id": "nato", "score": 2.5, "evidence": [{"term": "OTAN", "field": "text", "start": 0, "end": 4}]}],
    }


def test_migrations_create_the_models_schema(db_url: str) -> None:
    engine = connect(db_url)
    assert current_revision(engine) == head_revision(engine)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection, opts={"include_name": include_name}), all_metadata()) == []
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_batches_flush_at_size_and_replays_store_nothing_twice(db_url: str) -> None:
    engine = connect(db_url)
    store = ArticleStore(engine, batch_size=3)
    sid = store.source_id(SourceInfo("b2", "B2", "feed", ("fr",)))
    assert store.add(record(sid, 1)) is None and store.add(record(sid, 2)) is None
    assert store.add(record(sid, 3)).stored == 3
    # a crash-and-replay of the same batch, plus one new article
    replay = ArticleStore(engine, batch_size=100)
    for n in (1, 2, 3, 4):
        replay.add(record(sid, n))
    result = replay.flush()
    assert (result.stored, result.skipped) == (1, 3)
    with engine.connect() as connection:
        assert connection.execute(select(func.count(Article.id))).scalar_one() == 4
        assert connection.execute(select(func.count()).select_from(ArticleTopic)).scalar_one() == 4


def test_exact_duplicates_by_url_and_content(db_url: str) -> None:
    store = ArticleStore(connect(db_url))
    sid = store.source_id(SourceInfo("b2", "B2", "feed"))
    store.add(record(sid, 1))
    assert store.exact_duplicate("https://a.eu/1", "other") == ("url", 1)
    assert store.exact_duplicate("https://a.eu/9", "hash1") == ("content", 1)
    assert store.flush().ids == {"https://a.eu/1": 1}
    assert store.flush().ids == {}  # nothing pending
    assert store.exact_duplicate("https://a.eu/9", "hash1") == ("content", 1)
    assert store.exact_duplicate("https://a.eu/9", "hash9") is None
    assert store.is_known_url("https://a.eu/1") and not store.is_known_url("https://a.eu/9")


def test_dates_round_trip_in_utc(db_url: str) -> None:
    engine = connect(db_url)
    store = ArticleStore(engine)
    store.add(record(store.source_id(SourceInfo("b2", "B2", "feed")), 1))
    store.flush()
    with engine.connect() as connection:
        published = connection.execute(select(Article.published)).scalar_one()
    assert published == NOW and published.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(db_url: str) -> None:
    store = ArticleStore(connect(db_url))
    bad = record(store.source_id(SourceInfo("b2", "B2", "feed")), 1)
    bad["published"] = datetime(2024, 1, 1)
    store.add(bad)
    with pytest.raises(Exception, match="naive datetime"):
        store.flush()


MIGRATE = "import sys; from monitor.db import connect; connect(sys.argv[1]).dispose()"


def test_processes_starting_together_on_a_new_postgresql_database_both_migrate(postgres_url: str) -> None:
    """Two workers on a fresh database: without the advisory lock one failed creating alembic_version."""
    procs = [subprocess.Popen([sys.executable, "-c", MIGRATE, postgres_url], cwd=REPO, stderr=subprocess.PIPE,
                              text=True) for _ in range(3)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [e[-800:] for e in errors]
    engine = connect(postgres_url)
    assert current_revision(engine) == head_revision(engine)
    engine.dispose()


def test_connect_without_create_refuses_a_missing_sqlite_file(tmp_path) -> None:
    """A mistyped path must not become a new, empty database for a command that only reads."""
    from monitor.db.engine import NoDatabaseError

    missing = tmp_path / "typo.sqlite"
    with pytest.raises(NoDatabaseError, match=f"^no database at {missing} \\(a crawl or `monitor demo`"):
        connect(f"sqlite:///{missing}", create=False)
    assert not missing.exists()
    connect(f"sqlite:///{missing}")  # the default creates it, as crawls do
    assert connect(f"sqlite:///{missing}", create=False).dialect.name == "sqlite"


def test_a_pg_dump_backup_restores_with_its_search_indexes(postgres_url: str, tmp_path) -> None:
    """docs/operations.md's backup: pg_restore builds indexes with an empty search_path; the full-text index
    functions name their schema's helpers (migration a006), so both GIN indexes come back and search uses them."""
    import shutil

    from sqlalchemy import text as sql

    from monitor.search import search
    from tests.conftest import require_service
    from tests.db_fixtures import postgres_database
    from tests.test_search_fixtures import add_article

    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        require_service("pg_dump/pg_restore", "the PostgreSQL client programs are not installed")
    engine = connect(postgres_url)
    add_article(engine, "b2", "L'OTAN en Irak", "La mission de l'OTAN en Irak forme les formateurs.", language="fr")
    engine.dispose()
    dump = tmp_path / "monitor.dump"
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    subprocess.run(["pg_dump", "-Fc", "-f", str(dump), plain], check=True, capture_output=True)
    for copy in postgres_database():
        restored = subprocess.run(["pg_restore", "-d", copy.replace("postgresql+psycopg://", "postgresql://"),
                                   str(dump)], capture_output=True, text=True)
        assert restored.returncode == 0, restored.stderr
        copied = connect(copy)
        with copied.connect() as connection:
            indexes = set(connection.execute(sql("SELECT indexname FROM pg_indexes WHERE tablename = 'articles'"))
                          .scalars())
            assert connection.execute(sql("SELECT count(*) FROM articles")).scalar() == 1
        assert {"ix_articles_fts", "ix_articles_title_fts"} <= indexes
        assert [h.article.title for h in search(copied, "irak")] == ["L'OTAN en Irak"]
        copied.dispose()
