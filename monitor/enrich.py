"""The per-article stages as plain functions over an ``ArticleItem``.

Pipelines call these one by one during a crawl; ``monitor fetch`` and the
benchmarks call the same functions, so there is one code path for an article.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from monitor.dedupe.normalize import content_hash
from monitor.dedupe.signature import Signature, signature
from monitor.extract.document import extract_document
from monitor.extract.authors import clean_authors
from monitor.items import ArticleItem
from monitor.language import detect_language
from monitor.topics import Document, Tagger, Taxonomy
from monitor.urls import InvalidURLError, canonicalize_url

if TYPE_CHECKING:  # the database side stays out of extract worker processes (memory)
    from monitor.db.store import ArticleStore
    from monitor.dedupe.stories import StoryResolver

MIN_TEXT_CHARS = 80


class EmptyArticleError(ValueError):
    """Extraction found no article text on the page."""


def analyse_article(item: ArticleItem, selectors: dict[str, str] | None = None) -> ArticleItem:
    """All the CPU-heavy work on one page, in one call: extract, fingerprint, language, topics.

    Needs no database and no crawler, takes and returns plain (picklable) data,
    so the extract pipeline can run it in a worker process (``MONITOR_PROCESS_POOL``)
    or in this one, with the same result. Raises ``EmptyArticleError`` when the
    page has no article text.
    """
    apply_extraction(item, selectors)
    apply_fingerprint(item)
    apply_language(item)
    apply_topics(item)
    return item


def apply_fingerprint(item: ArticleItem) -> ArticleItem:
    """The exact-duplicate hash and the near-duplicate signature (bytes; None for very short texts)."""
    item.content_hash = content_hash(item.text)
    sig = signature(item.text)
    item.signature = sig.to_bytes() if sig is not None else None
    return item


def apply_extraction(item: ArticleItem, selectors: dict[str, str] | None = None) -> ArticleItem:
    """Fill title, authors, published, text and declared language from the page.

    The page's metadata wins, except for fields the source's catalogue selectors
    name; the feed's title, authors and date fill the gaps. A same-site
    ``rel=canonical`` replaces the URL-derived identity key.
    """
    try:
        extracted = extract_document(item.html, item.url, selectors=selectors)
    except ValueError as exc:
        raise EmptyArticleError(str(exc)) from exc
    if len(extracted.text.strip()) < MIN_TEXT_CHARS:
        raise EmptyArticleError(f"no article text found ({len(extracted.text.strip())} characters)")
    item.title = extracted.title or item.feed_title
    item.authors = list(extracted.authors) or feed_person_names(item.feed_authors, exclude=[item.source])
    item.published = extracted.published or item.feed_published
    item.text = extracted.text
    item.declared_language = extracted.language
    item.description = extracted.description
    if extracted.canonical_url and same_site(extracted.canonical_url, item.url):
        try:
            item.canonical_url = canonicalize_url(extracted.canonical_url)
        except InvalidURLError:
            pass
    item.html = ""  # the page is no longer needed; keep items small in memory
    return item


INSTITUTIONAL = re.compile(
    r"\b(press|team|office|service|ministry|desk|staff|newsroom|department|secretariat|bureau|"
    r"presse|équipe|rédaction|redaktion|ministerium|ministère|pressestelle|spokesperson's)\b",
    re.IGNORECASE,
)


def feed_person_names(names: list[str], exclude: list[str]) -> list[str]:
    """Feed author fields that name people, not the outlet ("NATO", "EEAS Press Team", "B2").

    Feeds credit institutions far more often than pages do, so the feed fallback
    keeps only full names (two words or more) without an institutional word.
    """
    return [name for name in clean_authors(names, exclude=exclude)
            if len(name.split()) >= 2 and not INSTITUTIONAL.search(name)]


def same_site(a: str, b: str) -> bool:
    """True when two URLs share a host (ignoring www./m. prefixes): a page may not claim another site's URL."""
    try:
        return urlsplit(canonicalize_url(a)).netloc == urlsplit(canonicalize_url(b)).netloc
    except InvalidURLError:
        return False


class DuplicateArticleError(ValueError):
    """The article is an exact copy of a stored (or pending) one."""

    def __init__(self, item: ArticleItem, reason: str) -> None:
        super().__init__(f"{item.url}: exact duplicate by {reason} of article {item.duplicate_of}")
        self.reason = reason


def apply_dedupe(item: ArticleItem, store: ArticleStore, stories: StoryResolver, *, dry_run: bool = False) -> ArticleItem:
    """Exact duplicates raise; a changed refetch becomes a revision; new articles join a story.

    Exact: same canonical URL or same normalized-text hash as a stored or pending
    article. A stored URL whose title or text changed is a revision of that
    article. Anything else gets its id now and its story from the near-duplicate
    index (its own id when it is an original). A dry run reserves no id and
    leaves the index as it was.
    """
    if item.content_hash is None:
        apply_fingerprint(item)
    assert item.canonical_url
    duplicate = store.exact_duplicate(item.canonical_url, item.content_hash)
    if duplicate:
        reason, original = duplicate
        stored = store.stored_identity(original) if reason == "url" else None
        if stored is not None and stored != (item.title, item.content_hash):
            item.revision_of = item.article_id = original
            return item
        item.duplicate_of = original
        raise DuplicateArticleError(item, reason)
    sig = Signature.from_bytes(item.signature) if item.signature else None
    if dry_run:
        peeked = stories.peek_signature(sig)
        if peeked:
            item.story_id, item.duplicate_of, item.similarity = peeked.story_id, peeked.duplicate_of, peeked.similarity
        return item
    item.article_id = store.new_id()
    story = stories.assign_signature(item.article_id, sig)
    item.story_id, item.duplicate_of, item.similarity, item.signature = (
        story.story_id, story.duplicate_of, story.similarity, story.signature)
    return item


def apply_language(item: ArticleItem) -> ArticleItem:
    """Detect the language, with what the page, feed and catalogue declare as a prior."""
    declared = [code for code in [item.declared_language, *item.declared_languages] if code]
    result = detect_language(f"{item.title or ''}\n{item.text}", declared=declared or None)
    item.language = result.language
    item.language_confidence = round(result.confidence, 4)
    item.language_disagrees = result.disagrees
    return item


@lru_cache(maxsize=1)
def default_tagger() -> Tagger:
    """The tagger over the bundled taxonomy, compiled once per process."""
    return Tagger(Taxonomy.load())


def warm_up() -> None:
    """Load what every page needs (taxonomy, tagger, language profiles) once, before the first page.

    Called by each extract worker when it starts (``monitor.crawl.worker``).
    """
    default_tagger()
    detect_language("Warm-up text so the language profiles are loaded before the first page arrives.")


def apply_topics(item: ArticleItem, tagger: Tagger | None = None) -> ArticleItem:
    """Tag topics, keeping each tag's score and evidence."""
    tagger = tagger or default_tagger()
    document = Document(title=item.title or "", text=item.text, source=item.source, language=item.language or "")
    item.topics = [hit.to_dict() for hit in tagger.tag(document)]
    item.taxonomy_version = tagger.taxonomy.version
    return item
