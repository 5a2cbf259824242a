"""Benchmark article extraction against public gold data, side by side with trafilatura.

Body text: the Zyte article-extraction benchmark, scored like its ``evaluate.py``
(``\\w+`` tokens, 4-token shingles, per-page normalised TP/FP/FN, precision and
recall averaged over pages, F1 from the averages). Metadata: exact match of title,
author set and publication date (calendar day in the article's own offset or in
UTC) after case/punctuation/space normalisation, on fundus, Readability's test
pages and trafilatura's evaluation set. CPU time is per page (process time).

    python bench/extraction.py [--corpus NAME ...] [--limit N | --quick] [--split dev|check|all] [--json] [-v]
    python bench/extraction.py --fallbacks

``--fallbacks`` scores only the main text, with trafilatura's readability/jusText
fallbacks never, below ``FALLBACK_BELOW`` characters of first-pass text (what
``monitor.extract.body`` does), and always (trafilatura's default): shingle F1 on
the Zyte benchmark and the with/without-snippet F1 of trafilatura's evaluation set.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import re
import statistics
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from monitor.extract import extract_article  # noqa: E402

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
NAMES = ("aeb", "fundus", "readability", "trafilatura-eval")


@dataclass
class Page:
    html: bytes
    url: str | None
    gold: dict[str, Any]  # body | title | authors (list) | date | with, without (snippets); missing: not scored
    group: str = ""


# ---------------------------------------------------------------- loading

def load_aeb() -> Iterator[Page]:
    root = CORPORA / "article-extraction-benchmark"
    truth = json.loads((root / "ground-truth.json").read_text())
    for key, item in sorted(truth.items()):
        path = root / "html" / f"{key}.html.gz"
        if path.exists():
            yield Page(gzip.decompress(path.read_bytes()), item.get("url"), {"body": item["articleBody"]})


def fundus_half(publisher: str) -> str:
    """Stable dev/check split by publisher (to detect over-fitting to the dev half)."""
    return "dev" if zlib.crc32(publisher.encode()) % 2 == 0 else "check"


def load_fundus() -> Iterator[Page]:
    root = CORPORA / "fundus-parser-testdata"
    for line in (root / "index.jsonl").read_text().splitlines():
        row = json.loads(line)
        gold = {"title": row["title"], "authors": row["authors"] or [], "date": row["publishing_date"]}
        yield Page(gzip.decompress((root / row["file"]).read_bytes()), row["url"], gold, fundus_half(row["publisher"]))


def load_readability() -> Iterator[Page]:
    for folder in sorted((CORPORA / "readability-test-pages" / "pages").iterdir()):
        meta = json.loads((folder / "expected-metadata.json").read_text())
        gold: dict[str, Any] = {}
        if meta.get("title"):
            gold["title"] = meta["title"]
        if meta.get("byline"):
            gold["authors"] = [meta["byline"]]
        if meta.get("publishedTime"):
            gold["date"] = meta["publishedTime"]
        yield Page(gzip.decompress((folder / "source.html.gz").read_bytes()), None, gold)


def load_trafilatura_eval() -> Iterator[Page]:
    root = CORPORA / "trafilatura-eval"
    for url, item in json.loads((root / "evaldata.json").read_text()).items():
        path = root / "html" / f"{item['file']}.gz"
        if not path.exists():
            continue
        gold = {}
        if "title" in item:
            gold["title"] = item["title"]
        if "author" in item:
            raw = item["author"] if isinstance(item["author"], list) else re.split(r";\s*", item["author"])
            gold["authors"] = [a for a in raw if a]
        if "date" in item:
            gold["date"] = item["date"]
        gold["with"], gold["without"] = item.get("with", []), item.get("without", [])  # main-text snippets
        yield Page(gzip.decompress(path.read_bytes()), url, gold)


LOADERS: dict[str, Callable[[], Iterator[Page]]] = {
    "aeb": load_aeb, "fundus": load_fundus, "readability": load_readability, "trafilatura-eval": load_trafilatura_eval,
}

# ---------------------------------------------------------------- scoring

_TOKEN = re.compile(r"\w+")


def shingle_tp_fp_fn(true: str, pred: str, n: int = 4) -> tuple[float, float, float]:
    def shingles(text: str) -> Counter[tuple[str, ...]]:
        tokens = _TOKEN.findall(text or "")
        return Counter(tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i:i + n])
    t, p = shingles(true), shingles(pred)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s else (0.0, 0.0, 0.0)


def body_scores(rows: list[tuple[float, float, float]]) -> dict[str, float]:
    def prec(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else 0.0 if tp == fp == 0 else tp / (tp + fp)

    def rec(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else 0.0 if tp == fn == 0 else tp / (tp + fn)
    p = statistics.mean([prec(*r) for r in rows if r[0] + r[1] > 0] or [0.0])
    r = statistics.mean([rec(*r) for r in rows if r[0] + r[2] > 0] or [0.0])
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def norm(text: str | None) -> str:
    text = re.sub("[\u00ad\u200b\u200c\u200d\u2060\ufeff]", "", text or "")
    return " ".join(re.sub(r"[\W_]+", " ", text.casefold()).split())


def authors_match(gold: list[str], found: list[str]) -> bool:
    return {norm(a) for a in gold if norm(a)} == {norm(a) for a in found if norm(a)}


def date_match(gold: str, found: datetime | str | None) -> bool:
    if not found:
        return False
    gold_local = gold[:10]
    candidates = {gold_local}
    try:
        g = datetime.fromisoformat(gold.replace("Z", "+00:00"))
    except ValueError:
        g = None
    if isinstance(found, str):  # trafilatura gives a calendar date in the page's own time
        return found[:10] in candidates
    if g is not None and g.tzinfo is not None:
        candidates.add(g.astimezone(timezone.utc).date().isoformat())
        if found.astimezone(g.tzinfo).date().isoformat() == gold_local:
            return True
    return found.astimezone(timezone.utc).date().isoformat() in candidates


# ---------------------------------------------------------------- runners

def run_ours(page: Page) -> dict[str, Any]:
    e = extract_article(page.html, page.url)
    return {"body": e.text, "title": e.title, "authors": e.authors, "date": e.published}


def run_trafilatura(page: Page, body: bool) -> dict[str, Any]:
    if body:
        return {"body": trafilatura.extract(page.html) or ""}
    doc = trafilatura.extract_metadata(page.html, default_url=page.url)
    authors = [a.strip() for a in re.split(r";", doc.author or "") if a.strip()] if doc else []
    return {"title": doc.title if doc else None, "authors": authors, "date": doc.date if doc else None}


def timed(fn: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], float]:
    start = time.process_time()
    out = fn()
    return out, time.process_time() - start


def evaluate(name: str, limit: int | None, split: str, verbose: bool) -> dict[str, Any]:
    pages = [p for p in LOADERS[name]() if split == "all" or not p.group or p.group == split][:limit]
    body = name == "aeb"
    result: dict[str, Any] = {"corpus": name, "pages": len(pages)}
    for system in ("ours", "trafilatura"):
        rows: list[tuple[float, float, float]] = []
        hits: dict[str, list[bool]] = {"title": [], "authors": [], "date": []}
        cpu = 0.0
        for page in pages:
            out, secs = timed(lambda: run_ours(page) if system == "ours" else run_trafilatura(page, body))
            cpu += secs
            if body:
                rows.append(shingle_tp_fp_fn(page.gold["body"], out["body"]))
                continue
            checks = {
                "title": lambda: norm(page.gold["title"]) == norm(out["title"]),
                "authors": lambda: authors_match(page.gold["authors"], out["authors"]),
                "date": lambda: bool(page.gold["date"]) and date_match(page.gold["date"], out["date"]) or
                (not page.gold["date"] and not out["date"]),
            }
            for field, check in checks.items():
                if field in page.gold:
                    ok = check()
                    hits[field].append(ok)
                    if verbose and not ok and system == "ours":
                        print(f"  [{name}] {field}: gold={page.gold[field]!r} got={out[field]!r} ({page.url})")
        scores: dict[str, Any] = body_scores(rows) if body else {
            f: (sum(v) / len(v) if v else None) for f, v in hits.items()}
        scores["n"] = {f: len(v) for f, v in hits.items()} if not body else len(rows)
        scores["cpu_ms_per_page"] = 1000 * cpu / max(1, len(pages))
        result[system] = scores
    return result


def print_table(results: list[dict[str, Any]]) -> None:
    fmt = "{:<17} {:>5} {:<10} {:>8} {:>12}"
    print(fmt.format("corpus", "pages", "metric", "ours", "trafilatura"))
    for res in results:
        ours, traf = res["ours"], res["trafilatura"]
        metrics = ["precision", "recall", "f1"] if res["corpus"] == "aeb" else ["title", "authors", "date"]
        for metric in [*metrics, "cpu_ms_per_page"]:
            o, t = ours.get(metric), traf.get(metric)
            show = (lambda v: "-" if v is None else f"{v:.1f}") if metric == "cpu_ms_per_page" else \
                (lambda v: "-" if v is None else f"{v:.3f}")
            print(fmt.format(res["corpus"], res["pages"], metric.replace("_per_page", "/pg"), show(o), show(t)))


def fallback_table() -> None:
    """Body F1 and CPU for each fallback policy, on the two corpora with body gold, in one run."""
    from trafilatura.utils import load_html

    from monitor.extract.body import FALLBACK_BELOW, extract_body

    aeb, snippets = list(load_aeb()), list(load_trafilatura_eval())
    policies = {"never": 0.0, f"below {FALLBACK_BELOW} chars": float(FALLBACK_BELOW), "always": math.inf}
    print(f"{'fallbacks':<18} {'aeb F1':>7} {'traf-eval F1':>13} {'CPU ms/page mean':>17} {'median':>7}")
    for label, below in policies.items():
        times: list[float] = []

        def body(html: bytes, url: str | None) -> str:
            start = time.process_time()
            text = extract_body(load_html(html), url, fallback_below=below)
            times.append(time.process_time() - start)
            return text

        aeb_f1 = body_scores([shingle_tp_fp_fn(page.gold["body"], body(page.html, page.url)) for page in aeb])["f1"]
        found = {"tp": 0, "fn": 0, "fp": 0}
        for page in snippets:
            text = body(page.html, page.url)
            for snippet in page.gold["with"]:
                found["tp" if snippet in text else "fn"] += 1
            found["fp"] += sum(snippet in text for snippet in page.gold["without"])
        precision, recall = found["tp"] / (found["tp"] + found["fp"]), found["tp"] / (found["tp"] + found["fn"])
        print(f"{label:<18} {aeb_f1:7.3f} {2 * precision * recall / (precision + recall):13.3f} "
              f"{1000 * statistics.mean(times):17.1f} {1000 * statistics.median(times):7.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", action="append", choices=NAMES, help="corpus to run (repeatable; default all)")
    parser.add_argument("--limit", type=int, default=None, help="at most N pages per corpus")
    parser.add_argument("--split", choices=("dev", "check", "all"), default="all",
                        help="fundus publisher half (dev for tuning, check to detect over-fitting)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--fallbacks", action="store_true", help="only: body F1 and CPU per fallback policy")
    parser.add_argument("-v", "--verbose", action="store_true", help="print our metadata misses")
    parser.add_argument("--quick", action="store_true", help="at most 30 pages per corpus (unless --limit)")
    args = parser.parse_args(argv)
    if args.quick and args.limit is None:
        args.limit = 30
    if not CORPORA.is_dir():
        parser.error(f"corpora not found at {CORPORA}")
    if args.fallbacks:
        fallback_table()
        return 0
    results = [evaluate(name, args.limit, args.split, args.verbose) for name in (args.corpus or NAMES)]
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_table(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
