"""Build the compact n-gram profiles shipped in ``monitor/language/profiles/``.

Why: langdetect has no profile for Irish, Bosnian or Serbian and mixes up close pairs
(hr/bs/sr, da/no, cs/sk). We close those gaps with a small naive-Bayes profile per
language trained on lingua's development sentences. To keep evaluation honest only the
first ``TRAIN_FRACTION`` of each file (by line order) is used here; the rest is the
evaluation split that ``bench/language.py`` and the tests score.

Run: ``python -m monitor.language.build_profiles [CORPORA_DIR]``.
"""

from __future__ import annotations

import gzip
import json
import math
import sys
from collections import Counter
from pathlib import Path

from monitor.language.ngrams import MAX_N, ngram_counts

TRAIN_FRACTION = 0.6
#: Profile label -> lingua test-data files it is trained on (nb and nn are both "no").
SOURCES: dict[str, tuple[str, ...]] = {
    code: (code,)
    for code in (
        "bg cs da de el en es et fi fr ga hr hu it lt lv nl pl pt ro sk sl sv "
        "ru uk ar tr sr bs sq mk"
    ).split()
}
SOURCES["no"] = ("nb", "nn")
TOP_K = 6000  # n-grams kept per language
MIN_COUNT = 2
PROFILE_PATH = Path(__file__).resolve().parent / "profiles" / "ngrams.json.gz"
DEFAULT_CORPORA = Path(__file__).resolve().parents[3] / "shared" / "corpora"


def split_lines(path: Path) -> tuple[list[str], list[str]]:
    """(train, eval) lines of one lingua file: first 60 % / last 40 % by line order."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    cut = int(len(lines) * TRAIN_FRACTION)
    return lines[:cut], lines[cut:]


def build(corpora: Path) -> dict[str, object]:
    """Per-language log-probabilities of the most frequent n-grams of the train split."""
    sentences = corpora / "lingua-language-testdata" / "sentences"
    if not sentences.is_dir():
        raise FileNotFoundError(f"lingua sentences not found at {sentences}")
    languages: dict[str, object] = {}
    for code, files in sorted(SOURCES.items()):
        counts: Counter[str] = Counter()
        for name in files:
            train, _ = split_lines(sentences / f"{name}.txt")
            for line in train:
                counts.update(ngram_counts(line))
        kept = [(g, c) for g, c in counts.most_common(TOP_K) if c >= MIN_COUNT]
        totals = [sum(c for g, c in counts.items() if len(g) == n) for n in range(1, MAX_N + 1)]
        # Laplace-style smoothing per n-gram order; the floor is what an unseen n-gram scores.
        floors = [round(math.log(0.5 / (t + 1)), 3) for t in totals]
        grams = {g: round(math.log(c / totals[len(g) - 1]), 3) for g, c in kept}
        languages[code] = {"floor": floors, "grams": grams}
    return {"max_n": MAX_N, "train_fraction": TRAIN_FRACTION, "languages": languages}


def main(argv: list[str]) -> int:
    corpora = Path(argv[0]) if argv else DEFAULT_CORPORA
    data = build(corpora)
    PROFILE_PATH.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    with gzip.GzipFile(PROFILE_PATH, "wb", mtime=0) as fh:
        fh.write(payload.encode("utf-8"))
    print(f"wrote {PROFILE_PATH} ({PROFILE_PATH.stat().st_size} bytes, {len(data['languages'])} languages)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
