"""Naive-Bayes scoring over the shipped n-gram profiles (``profiles/ngrams.json.gz``).

Why: langdetect lacks Irish, Bosnian and Serbian and confuses close pairs; these
profiles (built by ``build_profiles.py`` from the train split of lingua's sentences)
score every covered language from the same data, deterministically and cheaply.
Scores are log-likelihoods; each script has its own candidate set so Latin text is
never scored against Cyrillic profiles and vice versa.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from monitor.language.ngrams import MAX_N, ngrams

PROFILE_PATH = Path(__file__).resolve().parent / "profiles" / "ngrams.json.gz"
CYRILLIC_LANGUAGES = ("bg", "mk", "ru", "sr", "uk")


@dataclass(frozen=True, slots=True)
class ProfileSet:
    """Profiles of one script: languages, per-order floors and an inverted gram index."""

    languages: tuple[str, ...]
    floors: tuple[tuple[float, ...], ...]  # [language][order-1] log-prob of an unseen n-gram
    index: dict[str, tuple[float, ...]]  # gram -> gain over the floor, per language (dense)

    def score(self, text: str) -> list[float]:
        """Log-likelihood of ``text`` under each language (same order as ``languages``)."""
        return self.score_and_letters(text)[0]

    def score_and_letters(self, text: str) -> tuple[list[float], int]:
        """``score(text)`` and the number of letters scored (its 1-grams)."""
        grams, per_order = ngrams(text, MAX_N)
        # Column sums over dense per-gram vectors run in C (~6x a per-language loop).
        columns = zip(*filter(None, map(self.index.get, grams)))
        scores = [sum(column) for column in columns] or [0.0] * len(self.languages)
        # Every n-gram first scores its order's floor: one dot product per language.
        return [s + sum(map(float.__mul__, f, per_order)) for s, f in zip(scores, self.floors)], per_order[0]


def _build(raw: dict[str, dict], languages: tuple[str, ...]) -> ProfileSet:
    rows: dict[str, list[float]] = {}
    shared: dict[float, float] = {}  # one float object per distinct gain keeps the index small
    floors = []
    for i, code in enumerate(languages):
        floor = tuple(raw[code]["floor"])
        floors.append(floor)
        for gram, logp in raw[code]["grams"].items():
            row = rows.setdefault(gram, [0.0] * len(languages))
            gain = round(logp - floor[len(gram) - 1], 3)
            row[i] = shared.setdefault(gain, gain)
    index = {gram: tuple(row) for gram, row in rows.items()}
    return ProfileSet(languages, tuple(floors), index)


@lru_cache(maxsize=1)
def load_profiles(path: Path = PROFILE_PATH) -> dict[str, ProfileSet]:
    """Profile sets keyed by script ("latin", "cyrillic"), loaded once per process."""
    if not path.is_file():
        raise FileNotFoundError(f"language profiles missing at {path}; run python -m monitor.language.build_profiles")
    with gzip.open(path, "rb") as fh:
        raw = json.loads(fh.read().decode("utf-8"))["languages"]
    cyrillic = tuple(c for c in CYRILLIC_LANGUAGES if c in raw)
    latin = tuple(sorted(c for c in raw if c not in cyrillic and c not in ("el", "ar")))
    return {"latin": _build(raw, latin), "cyrillic": _build(raw, cyrillic)}
