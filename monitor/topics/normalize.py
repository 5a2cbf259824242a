"""Tokenize and normalize text once, for matching queries and topics.

Matching is case- and accent-insensitive on word boundaries: a word is a run of
Unicode letters/digits (``\\w+``), folded with ``str.casefold`` and stripped of
diacritics (NFKD minus combining marks, plus a few letters NFKD keeps, such as
Polish ``ł``).  Apostrophes and hyphens separate words, so ``l'OTAN`` gives the
words ``l`` and ``otan`` and ``NATO-Mission`` gives ``nato`` ``mission``.

The normalized words are joined by single spaces (``" w1 w2 ... "``) so that one
Aho-Corasick automaton can find whole words (``" iran "``), word prefixes
(``" irak"``) and phrases (``" nato mission "``) in a single pass.

Speed (this runs on every article): the words are split with one compiled regex
and folded as ONE string (``casefold`` in C; only runs of non-ASCII characters go
through the cached accent stripping), because folding is per character.  Word
offsets in the original text are only needed for evidence, so they are computed
lazily, and only for the documents that produce evidence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from functools import lru_cache
from itertools import accumulate

WORD_RE = re.compile(r"\w+")
_SPLIT_RE = re.compile(r"(\w+)")
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]+")

# Letters that NFKD does not decompose but that readers treat as accented forms.
_EXTRA = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th", "ŀ": "l"}
)


@lru_cache(maxsize=65_536)
def _fold_char(char: str) -> str:
    """One casefolded character without diacritics, never whitespace.  A lone
    combining mark (casefold turns "İ" into "i" + U+0307) disappears; a letter
    that NFKD would turn into only a space and a mark (U+037A) is kept as is."""
    decomposed = unicodedata.normalize("NFKD", char.translate(_EXTRA))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c) and not c.isspace())
    return stripped or (char if char.isalnum() else "")


@lru_cache(maxsize=65_536)
def _fold_run(run: str) -> str:
    return "".join(map(_fold_char, run))


def _fold_match(match: re.Match[str]) -> str:
    return _fold_run(match.group())


def fold(text: str) -> str:
    """Casefold ``text`` and strip diacritics, character by character (length may change)."""
    folded = text.casefold()
    return folded if folded.isascii() else _NON_ASCII_RE.sub(_fold_match, folded)


def normalize_word(word: str) -> str:
    """Casefold ``word`` and strip its diacritics (``"Północ"`` -> ``"polnoc"``).

    Only words with non-ASCII letters are cached: folding an ASCII word is one
    ``casefold`` call, cheaper than a cache lookup, and a cache of every word a
    long crawl meets held ~40 MB in each process.
    """
    folded = word.casefold()
    return folded if folded.isascii() else _fold_non_ascii_word(folded)


@lru_cache(maxsize=65_536)
def _fold_non_ascii_word(folded: str) -> str:
    return _NON_ASCII_RE.sub(_fold_match, folded)


def normalize_words(text: str) -> list[str]:
    """The normalized words of ``text`` (used for query terms and set items)."""
    return [normalize_word(w) for w in WORD_RE.findall(text)]


class Tokens:
    """One field's words: the space-joined normalized string the automaton scans,
    plus (computed on first use) the normalized words and each word's character
    offsets in the original text."""

    __slots__ = ("_parts", "joined", "_words", "_starts", "_ends", "_word_at")

    def __init__(self, parts: list[str], joined: str) -> None:
        self._parts = parts  # [sep, word, sep, word, ..., sep] of the original text
        self.joined = joined
        self._words: list[str] | None = None
        self._starts: list[int] | None = None
        self._ends: list[int] | None = None
        self._word_at: dict[int, int] | None = None

    def __len__(self) -> int:
        return len(self._parts) // 2

    @property
    def words(self) -> list[str]:
        if self._words is None:
            self._words = self.joined[1:-1].split(" ") if len(self) else []
        return self._words

    def _offsets(self) -> None:
        cum = list(accumulate(map(len, self._parts)))
        self._starts, self._ends = cum[0::2][: len(self)], cum[1::2]

    @property
    def starts(self) -> list[int]:
        """Character offset of each word in the original text."""
        if self._starts is None:
            self._offsets()
        return self._starts  # type: ignore[return-value]

    @property
    def ends(self) -> list[int]:
        if self._ends is None:
            self._offsets()
        return self._ends  # type: ignore[return-value]

    def part_offsets(self, parts: Collection[int]) -> dict[int, int]:
        """Character offset in the original text where each of ``parts`` (indices into
        the split ``[sep, word, sep, ..., sep]``) begins.  One forward pass that stops
        at the last part asked for; evidence usually needs a few words, not all."""
        if self._starts is None and len(parts) * 8 > len(self._parts):
            self._offsets()  # so many that one pass over every part is cheaper
        if self._starts is not None:
            starts, ends = self._starts, self._ends
            return {k: (ends[k // 2 - 1] if k % 2 == 0 else starts[k // 2]) if k else 0 for k in parts}
        found: dict[int, int] = {}
        items = self._parts
        offset, previous = 0, 0
        for k in sorted(parts):
            offset += len("".join(items[previous:k]))  # joining is cheaper than len() per part
            previous = k
            found[k] = offset
        return found

    @property
    def word_at(self) -> dict[int, int]:
        """Position of a word's first character in ``joined`` -> word index."""
        if self._word_at is None:
            positions = accumulate((len(w) + 1 for w in self.words), initial=1)
            self._word_at = dict(zip(positions, range(len(self))))
        return self._word_at

    def word_indices(self, positions: list[int]) -> list[int]:
        """Word index of each position (a word's first character in ``joined``).

        Counting the separating spaces between the sorted positions (in C) is
        cheaper than mapping every word when, as usual, few positions are asked for."""
        if len(positions) > len(self) // 4:
            word_at = self.word_at
            return [word_at[p] for p in positions]
        count = self.joined.count
        found: dict[int, int] = {}
        spaces, previous = 0, 0
        for p in sorted(set(positions)):
            spaces += count(" ", previous, p)
            previous = p
            found[p] = spaces - 1
        return [found[p] for p in positions]


def tokenize(text: str) -> Tokens:
    """Split ``text`` into normalized words (offsets into the original text on demand)."""
    parts = _SPLIT_RE.split(text)  # [sep, word, sep, word, ..., sep]: one C-level pass
    return Tokens(parts, fold(" " + " ".join(parts[1::2]) + " "))
