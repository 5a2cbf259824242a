"""A hand-written Maltese cue: letters ħ ċ ġ ż and very frequent function words.

Why: Maltese is an official EU language but neither langdetect nor lingua's test data
(so neither our profiles) cover it. Instead of inventing training data we use what any
Maltese reader sees first: ħ (no other covered language uses it), ċ and ġ, the article
forms il-/l-/tal-/fil-/għall- and common words. The list is written from general
knowledge of Maltese orthography, not from a corpus, and is small on purpose.
"""

from __future__ import annotations

import re

_FUNCTION_WORDS = frozenset(
    "il l tal ta fil għal għall mill lill bil sal li u jew minn fuq ma dan din dawn huwa hija "
    "huma kien kienet kienu se ser qed għandu għandha għandhom biex bħala wkoll iżda imma fejn "
    "meta kif x'inhu dwar bejn lejn għax anki jkun tkun mhux hemm kull wieħed waħda".split()
)
_SPLIT = re.compile(r"[^a-zħċġżà-ÿ'-]+")


def maltese_share(text: str) -> float:
    """Share (0..1) of words in ``text`` that are Maltese cues; 0 without Maltese letters.

    A word counts when it is a listed function word or carries ħ, ċ or ġ. Articles
    written with a hyphen ("il-gvern", "tal-UE") count by their first part.
    """
    lowered = text.lower()
    if not any(ch in lowered for ch in "ħċġ"):
        return 0.0
    words = [w for w in _SPLIT.split(lowered) if w]
    if not words:
        return 0.0
    hits = 0
    for word in words:
        head = word.split("-", 1)[0].strip("'")
        if head in _FUNCTION_WORDS or any(ch in word for ch in "ħċġ"):
            hits += 1
    return hits / len(words)
