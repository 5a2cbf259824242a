"""The query language shared by topics, alerts and search: lexer and parser
(the AST is in query_ast.py and re-exported here).

Grammar (EBNF; operators are upper case, ``NOT`` binds tightest, then ``NEAR``,
then ``AND`` (also implicit between adjacent operands), then ``OR``)::

    query   = or_expr EOF
    or_expr = and_expr { "OR" and_expr }
    and_expr= near { ["AND"] near }
    near    = unary { "NEAR/" digits unary }
    unary   = "NOT" unary | primary
    primary = "(" or_expr ")" | FIELD ":" primary | TERM | PHRASE | "@" SETNAME

A hand-written recursive-descent parser: the grammar is small and this gives
error messages that name the line, the column and what was expected.
See docs/query-language.md for the semantics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .normalize import WORD_RE, normalize_word
from .query_ast import (  # re-exported: the rest of the project imports the AST from here
    FIELDS,
    META_FIELDS,
    MIN_PREFIX,
    TEXT_FIELDS,
    And,
    Field,
    Near,
    Not,
    Or,
    Phrase,
    Query,
    QuerySyntaxError,
    SetRef,
    Term,
    _words_of,
    is_positional,
)

__all__ = [
    "FIELDS",
    "META_FIELDS",
    "MIN_PREFIX",
    "TEXT_FIELDS",
    "And",
    "Field",
    "Near",
    "Not",
    "Or",
    "Phrase",
    "Query",
    "QuerySyntaxError",
    "SetRef",
    "Term",
    "is_positional",
    "language_value",
    "parse_query",
]

UNDETERMINED = "und"  # the language of an article too short or mixed to tell
_NEAR_RE = re.compile(r"NEAR/(\d{1,4})\Z")
_SET_NAME_RE = re.compile(r"[A-Za-z0-9_-]+")
_WORD_STOP = set(" \t\r\n\f\v()\"")

# ------------------------------------------------------------------------- lexer


@dataclass(frozen=True)
class _Tok:
    kind: str  # LPAREN RPAREN AND OR NOT NEAR FIELD SET PHRASE TERM EOF
    value: str
    line: int
    column: int

    def describe(self) -> str:
        if self.kind == "EOF":
            return "end of query"
        if self.kind == "PHRASE":
            return f'phrase "{self.value}"'
        if self.kind == "FIELD":
            return f"'{self.value}:'"
        if self.kind == "SET":
            return f"'@{self.value}'"
        return f"'{self.value}'"


def _lex(source: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, line, line_start, n = 0, 1, 0, len(source)

    def err(msg: str, at: int) -> QuerySyntaxError:
        return QuerySyntaxError(msg, line, at - line_start + 1, source)

    while i < n:
        c = source[i]
        col = i - line_start + 1
        if c == "\n":
            i += 1
            line, line_start = line + 1, i
        elif c.isspace():
            i += 1
        elif c in "()":
            toks.append(_Tok("LPAREN" if c == "(" else "RPAREN", c, line, col))
            i += 1
        elif c == '"':
            j = source.find('"', i + 1)
            if j < 0:
                raise err('unterminated phrase: expected a closing \'"\'', i)
            body = source[i + 1 : j]
            if "\n" in body:
                raise err('expected a closing \'"\' on the same line', i)
            _check_words(body, lambda m: err(m, i), phrase=True)
            toks.append(_Tok("PHRASE", body, line, col))
            i = j + 1
        elif c == "@":
            m = _SET_NAME_RE.match(source, i + 1)
            if not m:
                raise err("expected a set name (letters, digits, '-', '_') after '@'", i + 1)
            toks.append(_Tok("SET", m.group(), line, col))
            i = m.end()
        else:
            j = i
            while j < n and source[j] not in _WORD_STOP:
                j += 1
            word = source[i:j]
            if word in ("AND", "OR", "NOT"):
                toks.append(_Tok(word, word, line, col))
            elif word == "NEAR" or word.startswith("NEAR/"):
                m = _NEAR_RE.match(word)
                if not m:
                    raise err("expected NEAR/<number of words>, e.g. NEAR/5", i)
                toks.append(_Tok("NEAR", m.group(1), line, col))
            elif ":" in word and word.split(":", 1)[0].isalpha():
                name = word.split(":", 1)[0]
                if name.lower() not in FIELDS:
                    raise err(f"unknown field '{name}': expected one of {', '.join(FIELDS)}", i)
                toks.append(_Tok("FIELD", name.lower(), line, col))
                j = i + len(name) + 1  # lex what follows the colon normally
            else:
                _check_words(word, lambda m: err(m, i), phrase=False)
                toks.append(_Tok("TERM", word, line, col))
            i = j
    toks.append(_Tok("EOF", "", line, n - line_start + 1))
    return toks


def _check_words(text: str, err, phrase: bool) -> None:
    what = "phrase" if phrase else "term"
    if not WORD_RE.search(text):
        raise err(f"expected a {what} with letters or digits, found {text!r}")
    for k, ch in enumerate(text):
        if ch != "*":
            continue
        before = text[:k]
        stem = WORD_RE.search(before[::-1])
        if not before or not (before[-1].isalnum() or before[-1] == "_"):
            raise err(f"a wildcard '*' must follow a word (prefix wildcards only), in {text!r}")
        if not phrase and k != len(text) - 1:
            raise err(f"a wildcard '*' may only end a term, in {text!r}")
        if phrase and k + 1 < len(text) and not text[k + 1].isspace():
            raise err(f"a wildcard '*' must end a word, in {text!r}")
        if stem and len(normalize_word(stem.group()[::-1])) < MIN_PREFIX:
            raise err(f"a prefix wildcard needs at least {MIN_PREFIX} letters before '*', in {text!r}")


# ------------------------------------------------------------------------ parser

_STARTS = {"LPAREN", "NOT", "FIELD", "SET", "PHRASE", "TERM"}
# Bounds on what one query may ask (anyone can send one to the dashboard's search): the taxonomy's
# longest rule is ~160 characters, a thorough alert a few dozen terms.
MAX_QUERY_CHARS = 5_000
MAX_OPERANDS = 300  # terms, phrases and @sets
MAX_DEPTH = 50  # nested parentheses and NOTs (the parser and matcher recurse this deep)
# NEAR is the dear operator (it pairs occurrences within a window): a chain of 300 once took 9 s of CPU
# on one long article. Within these bounds the dearest shapes found take 0.04-0.17 s there
# (bench/near.py). The taxonomy uses at most 2 per rule, NEAR/10 at most.
MAX_NEARS = 10
MAX_NEAR_DISTANCE = 100


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        if len(source) > MAX_QUERY_CHARS:
            raise QuerySyntaxError(f"query too long: {len(source):,} characters, at most {MAX_QUERY_CHARS:,}",
                                   1, 1, source[:200])
        self.toks = _lex(source)
        self.pos = 0
        self.depth = 0
        self.operands = 0
        self.nears = 0

    def peek(self) -> _Tok:
        return self.toks[self.pos]

    def next(self) -> _Tok:
        tok = self.toks[self.pos]
        self.pos += 1
        return tok

    def error(self, expected: str, tok: _Tok | None = None) -> QuerySyntaxError:
        tok = tok or self.peek()
        return QuerySyntaxError(f"expected {expected} but found {tok.describe()}", tok.line, tok.column, self.source)

    def parse(self) -> Query:
        if self.peek().kind == "EOF":
            raise self.error("a term, phrase, @set, field or '('")
        node = self.or_expr()
        tok = self.peek()
        if tok.kind != "EOF":
            if tok.kind == "RPAREN":
                raise self.error("end of query (no '(' is open)")
            raise self.error("AND, OR, NEAR/n or end of query")
        return node

    def or_expr(self) -> Query:
        items = [self.and_expr()]
        while self.peek().kind == "OR":
            self.next()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Query:
        items = [self.near()]
        while True:
            kind = self.peek().kind
            if kind == "AND":
                self.next()
            elif kind not in _STARTS:
                break
            items.append(self.near())
        return items[0] if len(items) == 1 else And(tuple(items))

    def near(self) -> Query:
        start = self.peek()
        left = self.unary()
        while self.peek().kind == "NEAR":
            op = self.next()
            self.nears += 1
            if self.nears > MAX_NEARS:
                raise QuerySyntaxError(f"too many NEARs: at most {MAX_NEARS} in one query", op.line, op.column,
                                       self.source)
            if int(op.value) > MAX_NEAR_DISTANCE:
                raise QuerySyntaxError(f"NEAR/{int(op.value)} is too wide: at most NEAR/{MAX_NEAR_DISTANCE}",
                                       op.line, op.column, self.source)
            right_tok = self.peek()
            right = self.unary()
            for node, tok in ((left, start), (right, right_tok)):
                if not is_positional(node):
                    raise QuerySyntaxError(
                        "expected a term, phrase, @set or an OR-group of them as NEAR operand "
                        f"but found {node.to_string()!r}",
                        tok.line,
                        tok.column,
                        self.source,
                    )
            left = Near(left, right, int(op.value))
        return left

    def unary(self) -> Query:
        if self.peek().kind == "NOT":
            tok = self.next()
            self._enter(tok)
            node = Not(self.unary())
            self.depth -= 1
            return node
        return self.primary(in_field=False)

    def _enter(self, tok: _Tok) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QuerySyntaxError(f"nested too deep: more than {MAX_DEPTH} levels of parentheses and NOT",
                                   tok.line, tok.column, self.source)

    def _operand(self, tok: _Tok) -> None:
        self.operands += 1
        if self.operands > MAX_OPERANDS:
            raise QuerySyntaxError(f"too many terms: at most {MAX_OPERANDS} terms, phrases and @sets in one query",
                                   tok.line, tok.column, self.source)

    def primary(self, in_field: bool) -> Query:
        tok = self.next()
        if tok.kind in ("TERM", "PHRASE", "SET"):
            self._operand(tok)
        if tok.kind == "LPAREN":
            self._enter(tok)
            node = self.or_expr()
            if self.peek().kind != "RPAREN":
                raise self.error(f"')' to close the '(' at line {tok.line}, column {tok.column}")
            self.next()
            self.depth -= 1
            return node
        if tok.kind == "TERM":
            return Term(tok.value)
        if tok.kind == "PHRASE":
            return Phrase(tok.value)
        if tok.kind == "SET":
            return SetRef(tok.value, tok.line, tok.column)
        if tok.kind == "FIELD":
            if in_field:
                raise self.error("a term, phrase, @set or '(' (fields cannot be nested)", tok)
            if tok.value in META_FIELDS:
                val = self.next()
                if val.kind not in ("TERM", "PHRASE"):
                    raise self.error(f"a value after '{tok.value}:'", val)
                if tok.value == "lang":
                    return Field("lang", self.language(val), tok.line, tok.column)
                item = Term(val.value) if val.kind == "TERM" else Phrase(val.value)
                return Field(tok.value, item, tok.line, tok.column)
            inner_tok = self.peek()
            inner = self.primary(in_field=True)
            if _has_field(inner):
                raise self.error("a term, phrase, @set or '(' (fields cannot be nested)", inner_tok)
            return Field(tok.value, inner, tok.line, tok.column)
        self.pos -= 1
        raise self.error("a term, phrase, @set, field or '('", tok)

    def language(self, val: _Tok) -> Term:
        """The ``lang:`` value as the ``--lang`` option reads it (FR, fr-FR, fr_FR, fra -> fr; und), so
        ``lang:fr-FR`` matches French articles; a value that is no language code is an error, not a
        filter that silently matches nothing (an alert with it would never fire)."""
        stem, star = (val.value[:-1], "*") if val.value.endswith("*") else (val.value, "")
        code = language_value(stem)
        if code is None:
            written = val.value if val.kind == "TERM" else f'"{val.value}"'
            raise QuerySyntaxError(f"lang:{written}: {stem!r} is not a language code (expected ISO 639-1 "
                                   "such as fr, de, en, optionally with a region: fr-FR; or und)",
                                   val.line, val.column, self.source)
        return Term(code + star)


def language_value(value: str) -> str | None:
    """A ``lang:`` value as ISO 639-1 (``FR``, ``fr-FR``, ``fr_FR``, ``fra``, ``French`` -> ``fr``;
    ``und``: undetermined), or None when it is no language code.

    The same reading as the ``--lang`` option (monitor.search.fulltext.language_code), from the same
    lower-level table, so a query and an option never disagree about what a code means.
    """
    # imported here: monitor.language loads the detector (~40 ms), which parsing a query without lang: never needs
    from monitor.language.codes import normalize_language_code

    if value.strip().lower() == UNDETERMINED:
        return UNDETERMINED
    return normalize_language_code(value)


def _has_field(node: Query) -> bool:
    if isinstance(node, Field):
        return True
    if isinstance(node, (And, Or)):
        return any(_has_field(i) for i in node.items)
    if isinstance(node, Not):
        return _has_field(node.item)
    if isinstance(node, Near):
        return _has_field(node.left) or _has_field(node.right)
    return False


def parse_query(source: str) -> Query:
    """Parse ``source`` into an AST; raises QuerySyntaxError naming line and column."""
    if not isinstance(source, str):
        raise TypeError(f"query must be a string, not {type(source).__name__}")
    return _Parser(source).parse()
