"""Tokenize and normalize text once, for matching queries and topics.

Matching is case- and accent-insensitive on word boundaries: a word is a run of
Unicode letters/digits (``\\w+``), folded with ``str.casefold`` and stripped of
diacritics (NFKD minus combining marks, plus a few letters NFKD keeps, such as
Polish ``ł``).  Apostrophes and hyphens separate words, so ``l'OTAN`` gives the
words ``l`` and ``otan`` and ``NATO-Mission`` gives ``nato`` ``mission``.

The normalized words are joined by single spaces (``" w1 w2 ... "``) so that one
Aho-Corasick automaton can find whole words (``" iran "``), word prefixes
(``" irak"``) and phrases (``" nato mission "``) in a single pass.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

WORD_RE = re.compile(r"\w+")
_SPLIT_RE = re.compile(r"(\w+)")

# Letters that NFKD does not decompose but that readers treat as accented forms.
_EXTRA = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th", "ŀ": "l"}
)


@lru_cache(maxsize=262_144)
def normalize_word(word: str) -> str:
    """Casefold ``word`` and strip its diacritics (``"Północ"`` -> ``"polnoc"``)."""
    folded = word.casefold()
    if folded.isascii():
        return folded
    folded = unicodedata.normalize("NFKD", folded.translate(_EXTRA))
    return "".join(c for c in folded if not unicodedata.combining(c))


def normalize_words(text: str) -> list[str]:
    """The normalized words of ``text`` (used for query terms and set items)."""
    return [normalize_word(w) for w in WORD_RE.findall(text)]


@dataclass(frozen=True, slots=True)
class Tokens:
    """One field's words: normalized forms, their character offsets in the
    original text, and the space-joined string the automaton scans."""

    words: list[str]
    starts: list[int]  # character offset of each word in the original text
    ends: list[int]
    joined: str
    word_at: dict[int, int]  # position of a word's first char in ``joined`` -> word index

    def __len__(self) -> int:
        return len(self.words)


def tokenize(text: str) -> Tokens:
    """Split ``text`` into normalized words with their original offsets."""
    parts = _SPLIT_RE.split(text)  # [sep, word, sep, word, ..., sep]: one C-level pass
    cum = list(accumulate(map(len, parts)))
    words = list(map(normalize_word, parts[1::2]))
    joined = " " + " ".join(words) + " "
    at = accumulate((len(w) + 1 for w in words), initial=1)
    return Tokens(words, cum[0::2][: len(words)], cum[1::2], joined, dict(zip(at, range(len(words)))))
