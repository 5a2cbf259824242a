"""The query language's syntax tree (AST), shared by topics, alerts and search.

``query.parse_query`` builds these nodes; ``matcher`` compiles them for matching
documents and ``monitor.search.translate`` turns them into SQL.  ``to_string()``
gives a query that parses back to an equal tree.  See docs/query-language.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .normalize import WORD_RE, normalize_word

TEXT_FIELDS = ("title", "text")
META_FIELDS = ("source", "lang", "topic")
FIELDS = TEXT_FIELDS + META_FIELDS
MIN_PREFIX = 2  # a prefix wildcard needs this many letters before the '*'


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; the message names line, column and what was expected."""

    def __init__(self, message: str, line: int, column: int, source: str = "") -> None:
        self.line, self.column, self.reason, self.source = line, column, message, source
        super().__init__(f"line {line}, column {column}: {message}")


class Query:
    """Base class of AST nodes; ``to_string()`` gives a query that parses back to an equal AST."""

    def to_string(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.to_string()


def _words_of(text: str) -> tuple[tuple[str, bool], ...]:
    """(normalized word, is_prefix) for each word of a term or phrase."""
    out = []
    for m in WORD_RE.finditer(text):
        prefix = text[m.end() : m.end() + 1] == "*"
        out.append((normalize_word(m.group()), prefix))
    return tuple(out)


@dataclass(frozen=True)
class Term(Query):
    """A bare word as typed (``Irak``, ``irak*``, ``NATO-Mission``, ``l'OTAN``).
    Hyphens and apostrophes split it into words that must be adjacent."""

    text: str

    @property
    def words(self) -> tuple[tuple[str, bool], ...]:
        return _words_of(self.text)

    def to_string(self) -> str:
        return self.text


@dataclass(frozen=True)
class Phrase(Query):
    """Words in double quotes that must appear consecutively; ``*`` may end any word."""

    text: str

    @property
    def words(self) -> tuple[tuple[str, bool], ...]:
        return _words_of(self.text)

    def to_string(self) -> str:
        return f'"{self.text}"'


@dataclass(frozen=True)
class SetRef(Query):
    """``@name``: any item of a named term set from the taxonomy."""

    name: str
    line: int = field(default=0, compare=False)
    column: int = field(default=0, compare=False)

    def to_string(self) -> str:
        return f"@{self.name}"


@dataclass(frozen=True)
class And(Query):
    items: tuple[Query, ...]

    def to_string(self) -> str:
        return " AND ".join(_wrap(i) for i in self.items)


@dataclass(frozen=True)
class Or(Query):
    items: tuple[Query, ...]

    def to_string(self) -> str:
        return " OR ".join(_wrap(i) for i in self.items)


@dataclass(frozen=True)
class Not(Query):
    item: Query

    def to_string(self) -> str:
        return f"NOT {_wrap(self.item)}"


@dataclass(frozen=True)
class Near(Query):
    """Both sides occur in the same field with at most ``distance`` words between them, any order."""

    left: Query
    right: Query
    distance: int

    def to_string(self) -> str:
        return f"{_wrap(self.left)} NEAR/{self.distance} {_wrap(self.right)}"


@dataclass(frozen=True)
class Field(Query):
    """``title:x``/``text:x`` restrict matching to one field; ``source:``, ``lang:``,
    ``topic:`` compare the document's metadata with a value."""

    name: str
    item: Query
    line: int = field(default=0, compare=False)  # where the field was written, for errors found after parsing
    column: int = field(default=0, compare=False)

    def to_string(self) -> str:
        inner = self.item.to_string()
        if not isinstance(self.item, (Term, Phrase, SetRef)):
            inner = f"({inner})"
        return f"{self.name}:{inner}"


def _wrap(node: Query) -> str:
    text = node.to_string()
    return f"({text})" if isinstance(node, (And, Or, Near)) else text


def is_positional(node: Query) -> bool:
    """True when ``node`` yields word positions (usable as a NEAR operand)."""
    if isinstance(node, (Term, Phrase, SetRef)):
        return True
    if isinstance(node, Or):
        return all(is_positional(i) for i in node.items)
    if isinstance(node, Near):
        return True
    if isinstance(node, Field):
        return node.name in TEXT_FIELDS and is_positional(node.item)
    return False
