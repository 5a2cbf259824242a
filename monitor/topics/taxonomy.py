"""Load topics and named term sets from TOML files (``taxonomy/*.toml``).

A file may hold ``[sets.<name>]`` tables (one list of items per language code,
``any`` for language-neutral items) and ``[[topic]]`` entries.  Everything is
validated on load so a bad file fails with its path, the topic id and the
reason, never later while tagging.  See docs/query-language.md.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from monitor.suggest import did_you_mean

from .matcher import check_topics
from .query import (
    And,
    Field,
    Near,
    Not,
    Or,
    Query,
    QuerySyntaxError,
    SetRef,
    _check_words,
    parse_query,
)

BUNDLED_DIR = Path(__file__).with_name("taxonomy")
ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
SET_RE = re.compile(r"[A-Za-z0-9_-]+\Z")
LANG_RE = re.compile(r"(?:[a-z]{2}|any)\Z")
_TOPIC_KEYS = {"id", "name", "parent", "query", "terms", "threshold", "exclude", "description"}


class TaxonomyError(ValueError):
    """A taxonomy file that cannot be used; the message names the file and the topic."""


@dataclass(frozen=True)
class Topic:
    """One topic: a boolean ``query`` gate and/or weighted ``terms`` with a
    ``threshold``, plus ``exclude`` queries that veto it."""

    id: str
    name: str
    parent: str | None = None
    query: str | None = None
    terms: Mapping[str, float] = field(default_factory=dict)
    threshold: float = 1.0
    exclude: tuple[str, ...] = ()
    description: str = ""
    languages: frozenset[str] = frozenset()  # languages covered by the term sets it uses
    path: str = ""


class Taxonomy:
    """Topics and term sets loaded from TOML files."""

    _default: Taxonomy | None = None

    def __init__(self, topics: dict[str, Topic], sets: dict[str, list[str]], set_languages: dict[str, set[str]],
                 version: str = "") -> None:
        self.topics = topics
        self.sets = sets
        self.set_languages = set_languages
        self.version = version  # hash of the files' contents: stored articles tagged with another one need a retag

    @classmethod
    def default(cls) -> Taxonomy:
        """The bundled taxonomy, loaded once per process."""
        if cls._default is None:
            cls._default = cls.load()
        return cls._default

    @classmethod
    def load(cls, paths: Iterable[Path] | None = None) -> Taxonomy:
        """Load ``paths`` (default: every bundled ``taxonomy/*.toml``)."""
        files = sorted(BUNDLED_DIR.glob("*.toml")) if paths is None else [Path(p) for p in paths]
        raw_topics: list[tuple[Path, dict]] = []
        sets: dict[str, list[str]] = {}
        set_langs: dict[str, set[str]] = {}
        digest = hashlib.blake2b(digest_size=8)
        for path in files:
            try:
                raw = path.read_bytes()
                digest.update(path.name.encode() + b"\0" + raw)
                data = tomllib.loads(raw.decode("utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise TaxonomyError(f"{path}: cannot read taxonomy file: {exc}") from exc
            unknown = set(data) - {"sets", "topic"}
            if unknown:
                raise TaxonomyError(f"{path}: unknown top-level keys {sorted(unknown)} (expected 'sets', 'topic')")
            for name, by_lang in data.get("sets", {}).items():
                _load_set(path, name, by_lang, sets, set_langs)
            for entry in data.get("topic", []):
                raw_topics.append((path, entry))
        topics: dict[str, Topic] = {}
        topic_ids = {entry["id"] for _, entry in raw_topics if isinstance(entry.get("id"), str)}  # for topic:
        for path, entry in raw_topics:
            topic = _load_topic(path, entry, sets, set_langs, topic_ids)
            if topic.id in topics:
                raise TaxonomyError(f"{path}: topic '{topic.id}' is defined twice (also in {topics[topic.id].path})")
            topics[topic.id] = topic
        tax = cls(topics, sets, set_langs, version=digest.hexdigest())
        for topic in topics.values():
            if topic.parent is not None and topic.parent not in topics:
                raise TaxonomyError(f"{topic.path}: topic '{topic.id}' has unknown parent '{topic.parent}'")
            tax.ancestors(topic.id)  # raises on cycles
        return tax

    def ancestors(self, topic_id: str) -> list[str]:
        """Parent, grandparent, ... of ``topic_id``."""
        out: list[str] = []
        current = self.topics[topic_id].parent
        while current is not None:
            if current in out or current == topic_id:
                raise TaxonomyError(f"topic '{topic_id}' has a parent cycle: {' -> '.join([topic_id, *out, current])}")
            out.append(current)
            current = self.topics[current].parent
        return out

    def children(self, topic_id: str) -> list[str]:
        return sorted(t.id for t in self.topics.values() if t.parent == topic_id)


def _load_set(path: Path, name: str, by_lang: object, sets: dict, set_langs: dict) -> None:
    where = f"{path}: set '{name}'"
    if not SET_RE.match(name):
        raise TaxonomyError(f"{where}: a set name may only hold letters, digits, '-' and '_'")
    if name in sets:
        raise TaxonomyError(f"{where} is defined twice")
    if not isinstance(by_lang, dict):
        raise TaxonomyError(f"{where}: expected a table of language code -> list of terms")
    items: list[str] = []
    langs: set[str] = set()
    for lang, terms in by_lang.items():
        if not LANG_RE.match(lang):
            raise TaxonomyError(f"{where}: '{lang}' is not an ISO 639-1 code or 'any'")
        if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
            raise TaxonomyError(f"{where}: '{lang}' must be a list of strings")
        for term in terms:
            if not term.startswith("@"):
                _check_words(term, lambda msg: TaxonomyError(f"{where} [{lang}]: {msg}"), phrase=True)
        items.extend(t for t in terms if t not in items)
        if terms and lang != "any":
            langs.add(lang)
    sets[name] = items
    set_langs[name] = langs


def _set_refs(node: Query, positive: bool = True) -> set[str]:
    """Names of the sets a query uses outside NOT."""
    if isinstance(node, SetRef):
        return {node.name} if positive else set()
    if isinstance(node, (And, Or)):
        return set().union(*(_set_refs(i, positive) for i in node.items))
    if isinstance(node, Near):
        return _set_refs(node.left, positive) | _set_refs(node.right, positive)
    if isinstance(node, Not):
        return _set_refs(node.item, False)
    if isinstance(node, Field):
        return _set_refs(node.item, positive)
    return set()


def _parse(where: str, source: object, sets: dict, topic_ids: set[str]) -> Query:
    """The parsed rule; TaxonomyError naming ``where`` for a syntax error, an unknown @set or ``topic:``."""
    if not isinstance(source, str) or not source.strip():
        raise TaxonomyError(f"{where}: expected a non-empty query string, got {source!r}")
    try:
        node = parse_query(source)
        check_topics(node, topic_ids)
    except QuerySyntaxError as exc:
        raise TaxonomyError(f"{where}: {exc}") from exc
    missing = _set_refs_any(node) - set(sets)
    if missing:
        raise TaxonomyError(f"{where}: unknown term set(s) {', '.join('@' + m for m in sorted(missing))}")
    return node


def _set_refs_any(node: Query) -> set[str]:
    if isinstance(node, SetRef):
        return {node.name}
    if isinstance(node, (And, Or)):
        return set().union(*(_set_refs_any(i) for i in node.items))
    if isinstance(node, Near):
        return _set_refs_any(node.left) | _set_refs_any(node.right)
    if isinstance(node, (Not, Field)):
        return _set_refs_any(node.item)
    return set()


def _expand_langs(names: set[str], sets: dict, set_langs: dict) -> set[str]:
    langs: set[str] = set()
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen or name not in sets:
            continue
        seen.add(name)
        langs |= set_langs[name]
        todo.extend(i[1:] for i in sets[name] if i.startswith("@"))
    return langs


def _load_topic(path: Path, entry: dict, sets: dict, set_langs: dict, topic_ids: set[str]) -> Topic:
    tid = entry.get("id")
    where = f"{path}: topic '{tid}'"
    if not isinstance(tid, str) or not ID_RE.match(tid):
        raise TaxonomyError(f"{path}: topic id {tid!r} is not a kebab-case slug (e.g. 'nato-iraq-mission')")
    unknown = set(entry) - _TOPIC_KEYS
    if unknown:
        raise TaxonomyError(f"{where}: unknown keys {sorted(unknown)} (expected {sorted(_TOPIC_KEYS)})")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise TaxonomyError(f"{where}: 'name' is required")
    query, terms = entry.get("query"), entry.get("terms", {})
    if query is None and not terms:
        raise TaxonomyError(f"{where}: needs a 'query' and/or weighted 'terms'")
    used: set[str] = set()
    if query is not None:
        used |= _set_refs(_parse(f"{where} query", query, sets, topic_ids))
    if not isinstance(terms, dict):
        raise TaxonomyError(f"{where}: 'terms' must be a table of query -> weight")
    for term, weight in terms.items():
        if not isinstance(weight, (int, float)) or isinstance(weight, bool):
            raise TaxonomyError(f"{where}: weight of term {term!r} must be a number")
        node = _parse(f"{where} term {term!r}", term, sets, topic_ids)
        if weight > 0:
            used |= _set_refs(node)
    exclude = entry.get("exclude", [])
    if isinstance(exclude, str):
        exclude = [exclude]
    for ex in exclude:
        _parse(f"{where} exclude", ex, sets, topic_ids)
    threshold = entry.get("threshold", 1.0 if terms else 0.0)
    if not isinstance(threshold, (int, float)) or threshold < 0:
        raise TaxonomyError(f"{where}: 'threshold' must be a number >= 0")
    parent = entry.get("parent") or None
    return Topic(
        id=tid,
        name=name,
        parent=parent,
        query=query,
        terms={k: float(v) for k, v in terms.items()},
        threshold=float(threshold),
        exclude=tuple(exclude),
        description=entry.get("description", ""),
        languages=frozenset(_expand_langs(used, sets, set_langs)),
        path=str(path),
    )


def unknown_topic(values: Iterable[str], taxonomy: Taxonomy | None = None) -> str | None:
    """Why the first of ``values`` that is no topic of ``taxonomy`` (default: the bundled one) is unknown,
    with close matches, or None: a filter on it would match nothing, silently."""
    known = (taxonomy or Taxonomy.default()).topics
    for value in values:
        if value in known:
            continue
        hint = did_you_mean(value, known)
        return f"unknown topic {value!r}: not a topic of the taxonomy{hint} (see `monitor topics list`)"
    return None
