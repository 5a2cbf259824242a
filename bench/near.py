"""NEAR matching on worst-case queries: the shipped windowed matcher against the pairwise definition.

The dashboard's search is open to anyone who can reach it, so the query bounds
(``monitor.topics.query``: at most 10 NEARs of NEAR/100) must keep the dearest
query cheap. On one long article (5,000 words, a frequent word every 15th,
300 distinct others) this times ``CompiledQuery.matches`` for the dearest shapes
found, with ``CNear`` as shipped and with the pair-by-pair loop it replaced
(the baseline), in the same run; prints the median CPU seconds of each and the ratio.

    .venv/bin/python bench/near.py [--quick] [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.topics import Document, compile_query  # noqa: E402
from monitor.topics import nodes  # noqa: E402

QUERIES = {
    "chain of 11 frequent words, NEAR/100": " NEAR/100 ".join(["the"] * 11),
    "chain of 11 OR-groups, NEAR/100": " NEAR/100 ".join(
        "(" + " OR ".join(f"w{i + j * 27}" for i in range(27)) + ")" for j in range(11)),
    "two OR-groups of 150, NEAR/100": "(" + " OR ".join(f"w{i}" for i in range(150)) + ") NEAR/100 ("
                                      + " OR ".join(f"w{i}" for i in range(150, 299)) + ")",
}


def pairwise_ev(self: nodes.CNear, idx: object, scope: tuple[str, ...]) -> object:
    """NEAR as the docs define it, every left occurrence against every right one (the pre-session-18 code)."""
    lo = self.left.ev(idx, scope)
    if not lo:
        return None
    ro = self.right.ev(idx, scope)
    if not ro:
        return None
    used: dict = {}
    for a in lo:
        for b in ro:
            if a[0] != b[0] or (a[1] == b[1] and a[2] == b[2]):
                continue
            if max(b[1] - a[2], a[1] - b[2]) <= self.distance:
                used[a] = used[b] = None
    return list(used) or None


def cpu_seconds(query: str, doc: Document, runs: int) -> tuple[float, object]:
    compiled = compile_query(query)
    times, result = [], None
    for _ in range(runs):
        started = time.process_time()
        result = compiled.matches(doc)
        times.append(time.process_time() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 run per query instead of 5")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    words = ["the" if i % 15 == 0 else f"w{i % 300}" for i in range(5000)]
    doc = Document("t", " ".join(words), "x", "en", ())
    print(f"{'query':40} | windowed (shipped) s | pairwise (baseline) s | pairwise / windowed")
    for name, query in QUERIES.items():
        shipped, got = cpu_seconds(query, doc, runs)
        with mock.patch.object(nodes.CNear, "ev", pairwise_ev):
            baseline, expected = cpu_seconds(query, doc, runs)
        assert got == expected, f"{name}: the two matchers disagree"
        print(f"{name:40} | {shipped:20.3f} | {baseline:21.3f} | {baseline / max(shipped, 1e-9):8.1f}x")


if __name__ == "__main__":
    main()
