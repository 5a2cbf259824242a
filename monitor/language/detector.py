"""Detect the language of article text, using what the page declares as a prior.

Why: stored articles need a trustworthy ISO 639-1 code (alerts, search and digests
filter on it). Pages often declare a language, frequently wrongly (templates left at
"en-US"), so the declaration is a prior, not the answer, and disagreements are flagged.

How, per call (bounded cost whatever the article length):
1. sample 3 to 6 windows spread over the text (at most 720 characters);
2. classify the script; Greek, Arabic, Han/Kana/Hangul decide directly or via langdetect;
3. Latin and Cyrillic text is scored by the shipped n-gram profiles (``profiles.py``),
   plus a Maltese cue (``maltese.py``); when that is not clear-cut, langdetect
   (seeded, ``langdetect_backend.py``) adds its vote;
4. too few letters, mixed scripts or sentences in different languages give ``und``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.language.codes import normalize_language_code
from monitor.language.langdetect_backend import langdetect_probabilities
from monitor.language.maltese import maltese_share
from monitor.language.ngrams import MAX_N
from monitor.language.profiles import load_profiles

UNDETERMINED = "und"
SAMPLE_CHARS = 420  # texts up to this length are scored whole; longer ones are sampled
WINDOWS = 3  # windows of SAMPLE_CHARS / 3 characters on texts up to 4 * CHARS_PER_WINDOW long
MAX_WINDOWS = 6  # long texts: one window per CHARS_PER_WINDOW characters, up to this many
CHARS_PER_WINDOW = 400
MIN_WIDTH = 120  # characters per window when there are more than WINDOWS windows
MIN_LETTERS = 10  # fewer letters than this: "und"
SCRIPT_SHARE = 0.75  # the main script must hold this share of letters, else "und" (mixed)
CHUNK_LETTERS = 40  # sentences are merged into chunks of at least this many letters
MIXED_GAP = 0.35  # per-letter log-likelihood gap at which a chunk disagrees with the winner
MIXED_SHARE = 0.4  # share of letters in disagreeing chunks that makes the text "mixed"
PRIOR_BONUS = 2.0  # tempered log-odds added to declared languages
LANGDETECT_BELOW = 0.9  # consult langdetect when the profile posterior is below this
LANGDETECT_WEIGHT = 1.0
MALTESE_SHARE = 0.2
#: langdetect has no profile for these; its vote for the close neighbour stands in.
LANGDETECT_STAND_IN = {"bs": "hr", "sr": "hr"}

_SCRIPTS: dict[str, re.Pattern[str]] = {
    "latin": re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]"),
    "cyrillic": re.compile(r"[\u0400-\u052f]"),
    "greek": re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]"),
    "arabic": re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]"),
    "hebrew": re.compile(r"[\u0590-\u05ff]"),
    "kana": re.compile(r"[\u3040-\u30ff]"),
    "hangul": re.compile(r"[\uac00-\ud7af\u1100-\u11ff]"),
    "han": re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]"),
}
_ANY_LETTER = re.compile(r"[^\W\d_]")
_SENTENCE_END = re.compile(r"(?<=[.!?…。])\s+|\n+")


@dataclass(frozen=True, slots=True)
class LanguageResult:
    """Detected language (ISO 639-1 or "und"), confidence 0..1 and the declared prior."""

    language: str
    confidence: float
    declared: str | None
    disagrees: bool


def _sample(text: str) -> list[str]:
    """Pieces of ``text`` to score, cut at spaces: the whole text when short, else
    ``WINDOWS`` to ``MAX_WINDOWS`` windows spread evenly from the start.

    Long pages get more (narrower) windows so that one block in another language
    (a quote, a list of titles) cannot dominate the sample; the cost stays bounded
    (at most ``MAX_WINDOWS * MIN_WIDTH`` characters)."""
    text = text.strip()
    if len(text) <= SAMPLE_CHARS:
        return [text]
    windows = max(WINDOWS, min(MAX_WINDOWS, len(text) // CHARS_PER_WINDOW))
    width = max(MIN_WIDTH, SAMPLE_CHARS // windows)
    pieces = []
    for k in range(windows):  # evenly from the start: article tails are often credits/references
        start = (len(text) - width) * k // windows
        if start:
            space = text.find(" ", start, start + 40)
            start = space + 1 if space >= 0 else start
        end = text.rfind(" ", start + width - 40, start + width)
        pieces.append(text[start : end if end > start else start + width])
    return pieces


def _chunks(pieces: list[str]) -> list[str]:
    """Sentence-sized chunks of at least ``CHUNK_LETTERS`` letters (the last may be shorter)."""
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        for sentence in _SENTENCE_END.split(piece):
            current = f"{current} {sentence}" if current else sentence
            if len(_ANY_LETTER.findall(current)) >= CHUNK_LETTERS:
                chunks.append(current)
                current = ""
        if current and len(pieces) > 1:
            chunks.append(current)
            current = ""
    if current:
        if chunks and len(_ANY_LETTER.findall(current)) < CHUNK_LETTERS:
            chunks[-1] = f"{chunks[-1]} {current}"
        else:
            chunks.append(current)
    return chunks


def _script_counts(sample: str) -> dict[str, int]:
    """Letters per script; the rarer scripts are only counted when Latin/Cyrillic do not dominate."""
    counts = dict.fromkeys(_SCRIPTS, 0)
    counts["latin"] = len(_SCRIPTS["latin"].findall(sample))
    counts["cyrillic"] = len(_SCRIPTS["cyrillic"].findall(sample))
    letters = len(_ANY_LETTER.findall(sample))
    if max(counts["latin"], counts["cyrillic"]) < SCRIPT_SHARE * letters:
        for name, pattern in _SCRIPTS.items():
            if name not in ("latin", "cyrillic"):
                counts[name] = len(pattern.findall(sample))
    counts["other"] = letters - sum(counts.values())
    return counts


def _normalize_declared(declared: str | Sequence[str] | None) -> list[str]:
    if declared is None:
        return []
    values = [declared] if isinstance(declared, str) else list(declared)
    codes: list[str] = []
    for value in values:
        code = normalize_language_code(value)
        if code and code not in codes:
            codes.append(code)
    return codes


def _softmax(scores: dict[str, float]) -> dict[str, float]:
    top = max(scores.values())
    exps = {k: math.exp(v - top) for k, v in scores.items()}
    total = sum(exps.values())
    return {k: v / total for k, v in exps.items()}


def _profile_scores(script: str, chunks: list[str]) -> tuple[dict[str, float], bool]:
    """Tempered log-likelihood per language over all chunks, and whether chunks disagree."""
    profile = load_profiles()[script]
    scored = [profile.score_and_letters(chunk) for chunk in chunks]
    per_chunk = [scores for scores, _ in scored]
    letters = [n for _, n in scored]
    totals = [sum(column) for column in zip(*per_chunk)]
    winner = max(range(len(totals)), key=totals.__getitem__)
    disagreeing = sum(
        n for scores, n in zip(per_chunk, letters) if n and (max(scores) - scores[winner]) / n > MIXED_GAP
    )
    mixed = len(chunks) > 1 and disagreeing >= MIXED_SHARE * sum(letters)
    # Every character takes part in MAX_N overlapping n-grams: temper the sum accordingly.
    return {code: total / MAX_N for code, total in zip(profile.languages, totals)}, mixed


def _langdetect_vote(sample: str, scores: dict[str, float]) -> None:
    """Add langdetect's log-probability to the candidates it knows (in place)."""
    probs = langdetect_probabilities(sample)
    if not probs:
        return
    for code in scores:
        key = LANGDETECT_STAND_IN.get(code, code)
        if key in probs:
            scores[code] += LANGDETECT_WEIGHT * math.log(max(probs[key], 1e-4))
        else:  # no langdetect profile (ga, mt): neutral, as likely as the best known one
            scores[code] += LANGDETECT_WEIGHT * math.log(max(max(probs.values()), 1e-4))


def _detect_scored(sample: str, chunks: list[str], declared: list[str]) -> tuple[str, float]:
    counts = _script_counts(sample)
    letters = sum(counts.values())  # includes "other" scripts (Devanagari, Thai, ...)
    if letters < MIN_LETTERS:
        return UNDETERMINED, 0.0
    groups = {
        "latin": counts["latin"], "cyrillic": counts["cyrillic"], "greek": counts["greek"],
        "arabic": counts["arabic"], "hebrew": counts["hebrew"],
        "cjk": counts["kana"] + counts["hangul"] + counts["han"], "other": counts["other"],
    }
    script = max(groups, key=groups.__getitem__)
    share = groups[script] / letters
    if share < SCRIPT_SHARE:
        return UNDETERMINED, round(share, 3)
    if script == "greek":
        return "el", round(share, 3)
    if script == "hebrew":
        return "he", round(share, 3)
    if script == "cjk":
        if counts["hangul"] >= counts["kana"] and counts["hangul"] > counts["han"] * 0.2:
            return "ko", round(share, 3)
        return ("ja" if counts["kana"] > groups["cjk"] * 0.05 else "zh"), round(share, 3)
    if script in ("arabic", "other"):  # outside our profiles: langdetect decides
        probs = langdetect_probabilities(sample)
        if script == "arabic":
            probs = {k: v for k, v in probs.items() if k in ("ar", "fa", "ur")} or {"ar": 1.0}
        if not probs:
            return UNDETERMINED, 0.0
        best = max(probs, key=probs.__getitem__)
        return best, round(probs[best] * share, 3)
    scores, mixed = _profile_scores(script, chunks)
    if mixed:
        return UNDETERMINED, 0.0
    if script == "latin":
        share_mt = maltese_share(sample)
        if share_mt >= MALTESE_SHARE:
            return "mt", round(min(1.0, 0.5 + share_mt), 3)
    # Whether the text alone is a close call decides if langdetect is asked; the declared
    # languages come after, so declaring one can neither summon nor silence that second opinion.
    if max(_softmax(scores).values()) < LANGDETECT_BELOW:
        _langdetect_vote(sample, scores)
    for code in declared:
        if code in scores:
            scores[code] += PRIOR_BONUS
    posterior = _softmax(scores)
    best = max(posterior, key=posterior.__getitem__)
    return best, round(posterior[best], 3)


def detect_language(text: str, declared: str | Sequence[str] | None = None) -> LanguageResult:
    """Language of ``text`` (ISO 639-1, or "und" when too short or mixed).

    ``declared`` is what the page says (``<html lang>``, og:locale, feed or catalogue
    languages), in any spelling ``normalize_language_code`` accepts; it tips close
    calls towards itself and ``disagrees`` is set when the text says otherwise.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    codes = _normalize_declared(declared)
    pieces = _sample(text)
    sample = " ".join(pieces)
    language, confidence = _detect_scored(sample, _chunks(pieces), codes)
    if codes:
        declared_code = language if language in codes else codes[0]
    else:
        declared_code = None
    disagrees = bool(codes) and language != UNDETERMINED and language not in codes
    return LanguageResult(language, confidence, declared_code, disagrees)
