"""How far any headline-choosing rule could go on the title gold of bench/extraction.py.

Every page offers up to six headline fields (``<h1>``, og:title, JSON-LD headline and
alternativeHeadline, twitter:title, ``<title>``). ``monitor.extract.title`` picks one
by weighted agreement. This script asks whether the fundus title target (0.95) is
within reach of such a rule at all, and prints per corpus:

- *now*: what ``choose_title`` scores (the figure in bench/extraction.py);
- *oracle*: pages whose gold is one of the fields or one of its shortened forms
  (no kicker, no first/last separator segment): what a perfect per-page chooser gets;
- *agreement ceiling*: the best any rule can do that sees only *which* fields agree
  (the page's agreement pattern, e.g. "h1 = og = twitter, JSON-LD = title") and then
  takes one of the agreeing groups or keeps ``choose_title``'s answer (which may trim a
  kicker), with the best choice for each pattern fitted on the scored pages themselves:
  an optimistic in-sample bound;
- with ``--grid``, the best of a grid of per-field weights (about 100 s).

    python bench/title_ceiling.py [--grid] [--quick]
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from extraction import CORPORA, LOADERS, norm  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from monitor.extract import parse_html  # noqa: E402
from monitor.extract import title as title_rules  # noqa: E402
from monitor.extract.jsonld import read_jsonld  # noqa: E402
from monitor.extract.metadata import meta_map, site_names, title_candidates  # noqa: E402

CORPUS_NAMES = ("fundus", "readability", "trafilatura-eval")
GRID = {"h1": (0.5, 1.0, 1.5), "og": (0.6, 1.2, 2.0, 3.5), "jsonld": (0.6, 1.3, 2.0, 3.0, 4.0),
        "twitter": (0.2, 0.6, 1.0), "title": (0.1, 0.3, 0.8)}

Row = tuple[list[tuple[str, str | None]], list[str], str]  # candidates, site names, normalised gold


def load_rows(corpus: str) -> list[Row]:
    rows = []
    for page in LOADERS[corpus]():
        tree = parse_html(page.html)
        meta, ld = meta_map(tree), read_jsonld(tree)
        rows.append((title_candidates(tree, meta, ld), site_names(meta, ld, page.url), norm(page.gold["title"])))
    return rows


def fields(candidates: list[tuple[str, str | None]], sites: list[str]) -> dict[str, str]:
    """Each source family's first text, as ``choose_title`` sees it (cleaned, without the outlet's name)."""
    out: dict[str, str] = {}
    for source, text in title_rules.clean_candidates(candidates, sites):
        out.setdefault(source.split("-")[0], text)
    return out


def score_now(rows: list[Row]) -> float:
    return sum(norm(title_rules.choose_title(c, s) or "") == gold for c, s, gold in rows) / len(rows)


def oracle(rows: list[Row]) -> float:
    hits = 0
    for candidates, sites, gold in rows:
        forms = {norm(title_rules.clean_title(text)) for _, text in candidates if text}
        for text in fields(candidates, sites).values():
            forms |= {norm(form) for form, _ in title_rules.title_forms(text)}
        hits += gold in forms
    return hits / len(rows)


def agreement_ceiling(rows: list[Row]) -> tuple[float, int]:
    """Per agreement pattern, the best policy: take one class of agreeing fields, or keep ``choose_title``."""
    by_pattern: dict[tuple[tuple[str, int], ...], Counter[int | str]] = defaultdict(Counter)
    for candidates, sites, gold in rows:
        classes: dict[str, int] = {}
        pattern = tuple(sorted((family, classes.setdefault(norm(text), len(classes)))
                               for family, text in fields(candidates, sites).items()))
        if gold in classes:
            by_pattern[pattern][classes[gold]] += 1
        if norm(title_rules.choose_title(candidates, sites) or "") == gold:
            by_pattern[pattern]["rule"] += 1
        by_pattern[pattern]["pages"] += 0  # every pattern has at least one policy to count
    best = sum(counts.most_common(1)[0][1] for counts in by_pattern.values())
    return best / len(rows), len(by_pattern)


def best_weights(data: dict[str, list[Row]]) -> tuple[list[float], dict[str, float]]:
    saved = dict(title_rules.WEIGHTS)
    results = []
    try:
        for values in itertools.product(*GRID.values()):
            title_rules.WEIGHTS.update(dict(zip(GRID, values)))
            results.append(([score_now(data[name]) for name in CORPUS_NAMES], dict(zip(GRID, values))))
    finally:
        title_rules.WEIGHTS.clear()
        title_rules.WEIGHTS.update(saved)
    return max(results, key=lambda result: result[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", action="store_true", help="also search a grid of per-field weights")
    parser.add_argument("--quick", action="store_true", help="accepted for `make bench`; the default run is quick")
    args = parser.parse_args(argv)
    if not CORPORA.is_dir():
        parser.error(f"corpora not found at {CORPORA}")
    data = {name: load_rows(name) for name in CORPUS_NAMES}
    print(f"{'corpus':18} {'pages':>5} {'now':>6} {'oracle':>7} {'agreement ceiling (patterns)':>30}")
    for name, rows in data.items():
        ceiling, patterns = agreement_ceiling(rows)
        print(f"{name:18} {len(rows):5} {score_now(rows):6.3f} {oracle(rows):7.3f} {ceiling:22.3f} ({patterns})")
    if args.grid:
        scores, weights = best_weights(data)
        print("best grid weights (fundus first):", weights, " ".join(f"{s:.3f}" for s in scores))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
