"""Character n-gram extraction shared by the profile builder and the detector.

Why: the profiles in ``profiles/`` are counts of these exact n-grams, so training and
detection must cut text the same way. Text is lower-cased, everything that is not a
letter becomes a word break, and each word is padded with spaces so that prefixes and
suffixes ("-ija ", " og ") become features of their own.
"""

from __future__ import annotations

import re
from collections import Counter

MAX_N = 4
_NON_LETTER = re.compile(r"[\W\d_]+")


def words(text: str) -> list[str]:
    """Lower-cased letter-only words of ``text`` (digits and punctuation are breaks)."""
    return [w for w in _NON_LETTER.split(text.lower()) if w]


def ngrams(text: str, max_n: int = MAX_N) -> tuple[list[str], list[int]]:
    """Every 1..max_n character n-gram occurrence over the space-padded words of ``text``,
    and how many there are of each order (index 0 = 1-grams)."""
    grams: list[str] = []
    per_order = [0] * max_n
    for word in words(text):
        padded = f" {word} "
        size = len(padded)
        grams.extend(word)  # 1-grams: the letters, without the padding
        per_order[0] += size - 2
        for n in range(2, min(max_n, size) + 1):
            grams.extend([padded[i : i + n] for i in range(size - n + 1)])
            per_order[n - 1] += size - n + 1
    return grams, per_order


def ngram_counts(text: str, max_n: int = MAX_N) -> Counter[str]:
    """Counts of the n-grams of ``ngrams(text)`` (used to build profiles)."""
    return Counter(ngrams(text, max_n)[0])
