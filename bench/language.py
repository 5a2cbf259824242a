"""Benchmark language detection: this project's detector vs plain langdetect vs lingua.

Prints accuracy per language and overall, mean time per item and peak memory for
(a) single sentences and (b) word pairs from the *evaluation* split (last 40 % by line
order) of lingua's test data, restricted to the covered languages, and (c) whole
articles from fundus, trafilatura-eval and Readability's test pages. Each detector runs
in its own subprocess so its peak RSS (ru_maxrss) is its own.

    python bench/language.py [--quick] [--json] [--corpora DIR]

lingua (``lingua-language-detector``) is a bench-only dependency; it runs with all
languages loaded (its default high-accuracy mode).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from html import unescape
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.language.build_profiles import SOURCES, split_lines  # noqa: E402
from monitor.language.codes import normalize_language_code  # noqa: E402

DEFAULT_CORPORA = ROOT.parent / "shared" / "corpora"
DETECTORS = ("monitor", "langdetect", "lingua")
#: trafilatura-eval has no language field; its README says DE/AT/CH pages are German,
#: Latin-American ones Spanish, plus Polish, English and French. Region -> language:
TRAFILATURA_REGION = {
    "DE": "de", "AT": "de", "CH": "de", "PL": "pl", "FR": "fr", "US": "en", "UK": "en", "HU": "hu",
    "CHL": "es", "PER": "es", "BOL": "es", "URY": "es", "ARG": "es", "COL": "es", "BRA": "pt",
}
_TAG = re.compile(r"<[^>]+>")
_LETTER = re.compile(r"[^\W\d_]")
_LATIN_CYRILLIC = re.compile(r"[A-Za-z\u00c0-\u024f\u0400-\u052f]")
TIMING_PASSES = 3  # data sets under 1,000 items are timed as the best of this many passes


def rss_mb() -> float:
    """Resident memory now (Linux /proc), in MB; ru_maxrss only gives the peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def lingua_items(corpora: Path, kind: str, per_language: int | None) -> list[tuple[str, str]]:
    items = []
    for code, files in sorted(SOURCES.items()):
        lines: list[str] = []
        for name in files:
            lines += split_lines(corpora / "lingua-language-testdata" / kind / f"{name}.txt")[1]
        if per_language:
            lines = lines[:: max(1, len(lines) // per_language)][:per_language]
        items += [(code, line) for line in lines]
    return items


#: Pages whose text is visibly in another language than their metadata says (checked by
#: reading the page). id -> (corrected label or None = no natural language, why).
LABEL_CORRECTIONS: dict[str, tuple[str | None, str]] = {
    "fundus:de/DW_2023_04_28.html.gz": ("de", "DW German service; publisher configured en, body is German"),
    "fundus:de/DW_2023_06_13.html.gz": ("de", "DW German service; publisher configured en, body is German"),
    "fundus:de/DW_2024_01_30.html.gz": ("de", "DW German service; publisher configured en, body is German"),
    "fundus:my/MalayMail_2024_11_22.html.gz": ("en", "Malay Mail English edition; configured ms, body is English"),
    "trafilatura:anarc.at.cdpath.html": ("en", "AT-region blog, but this post is written in English"),
    "readability:data-url-image": (None, "Lorem-ipsum placeholder text, not a natural language"),
}


def article_items(corpora: Path, limit: int | None) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(language, text, id) for whole articles, and notes about skipped pages."""
    items: list[tuple[str, str, str]] = []
    notes: list[str] = []
    skipped = 0
    for line in (corpora / "fundus-parser-testdata" / "index.jsonl").read_text().splitlines():
        row = json.loads(line)
        langs = row.get("language_per_fundus_config") or []
        code = normalize_language_code(langs[0]) if len(langs) == 1 else None
        if code and row.get("body_text", "").strip():
            items.append((code, row["body_text"], f"fundus:{row['file']}"))
        else:
            skipped += 1
    notes.append(f"fundus: skipped {skipped} pages without a single known language")
    import trafilatura

    evaldata = json.loads((corpora / "trafilatura-eval" / "evaldata.json").read_text())
    skipped = 0
    for meta in evaldata.values():
        code = TRAFILATURA_REGION.get(meta.get("region") or "")
        path = corpora / "trafilatura-eval" / "html" / f"{meta['file']}.gz"
        if not code or not path.is_file():
            skipped += 1
            continue
        text = trafilatura.extract(gzip.open(path).read().decode("utf-8", "replace")) or ""
        if len(text) >= 200:
            items.append((code, text, f"trafilatura:{meta['file']}"))
        else:
            skipped += 1
    notes.append(f"trafilatura-eval: skipped {skipped} pages (no/ambiguous region or < 200 chars extracted)")
    for folder in sorted((corpora / "readability-test-pages" / "pages").iterdir()):
        meta_path = folder / "expected-metadata.json"
        html_path = folder / "expected.html.gz"
        if not meta_path.is_file() or not html_path.is_file():
            continue
        code = normalize_language_code(json.loads(meta_path.read_text()).get("lang"))
        text = unescape(_TAG.sub(" ", gzip.open(html_path).read().decode("utf-8", "replace")))
        if code and len(text.strip()) >= 200:
            items.append((code, " ".join(text.split()), f"readability:{folder.name}"))
    if limit:
        items = items[:: max(1, len(items) // limit)][:limit]
    return items, notes


def clean_items(items: list[tuple[str, str, str]]) -> tuple[list[tuple[str, str, str]], list[str]]:
    """``items`` with LABEL_CORRECTIONS applied, minus pages without a natural language
    and pages in languages the detector does not cover (it cannot name them)."""
    profiled = set(SOURCES) | {"mt"}
    out, notes = [], []
    for code, text, item_id in items:
        if item_id in LABEL_CORRECTIONS:
            fixed, why = LABEL_CORRECTIONS[item_id]
            notes.append(f"{item_id}: {code} -> {fixed or 'excluded'} ({why})")
            if fixed is None:
                continue
            code = fixed
        letters = len(_LETTER.findall(text))
        if code not in profiled and len(_LATIN_CYRILLIC.findall(text)) > 0.75 * letters:
            # other scripts (ja, zh, hi, ...) are decided by script or langdetect and stay in
            notes.append(f"{item_id}: excluded, {code} is a Latin/Cyrillic-script language without a profile")
            continue
        out.append((code, text, item_id))
    return out, notes


def make_detector(name: str):
    if name == "monitor":
        from monitor.language import detect_language
        from monitor.language.langdetect_backend import langdetect_probabilities

        langdetect_probabilities("load the langdetect profiles before timing")
        return lambda text: detect_language(text).language
    if name == "langdetect":
        from langdetect import DetectorFactory, detect
        from langdetect.lang_detect_exception import LangDetectException

        DetectorFactory.seed = 0

        def run(text: str) -> str:
            try:
                return normalize_language_code(detect(text)) or "und"
            except LangDetectException:
                return "und"

        return run
    if name == "lingua":
        from lingua import LanguageDetectorBuilder

        lingua = LanguageDetectorBuilder.from_all_languages().build()

        def run(text: str) -> str:
            found = lingua.detect_language_of(text)
            return normalize_language_code(found.iso_code_639_1.name.lower()) if found else "und"

        return run
    raise ValueError(f"unknown detector {name!r}; choose from {DETECTORS}")


def worker(name: str, data_path: Path) -> dict:
    """Run one detector over every data set; returns accuracy, timing and memory."""
    data = json.loads(data_path.read_text())
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    resident_before = rss_mb()
    t0 = time.perf_counter()
    detect = make_detector(name)
    detect("warm up the detector with a short sentence")
    load_s = time.perf_counter() - t0
    out: dict = {"load_s": round(load_s, 2)}
    for dataset, items in data.items():
        per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        elapsed = 0.0
        misses = []
        for code, text, *item_id in items:
            got = detect(text)
            per[code][0] += got == code
            per[code][1] += 1
            if got != code and item_id:
                misses.append(f"{item_id[0]}: {code} -> {got}")
        # CPU time, best of a few passes: the machine is shared, wall time is noisy.
        for _ in range(TIMING_PASSES if len(items) < 1000 else 1):
            t = time.process_time()
            for code, text, *_ in items:
                detect(text)
            spent = time.process_time() - t
            elapsed = spent if not elapsed else min(elapsed, spent)
        ok = sum(v[0] for v in per.values())
        out[dataset] = {
            "accuracy": round(ok / len(items), 4),
            "items": len(items),
            "ms_per_item": round(elapsed / len(items) * 1000, 3),
            "per_language": {k: round(v[0] / v[1], 3) for k, v in sorted(per.items())},
            "misses": misses,
        }
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["peak_rss_mb"] = round(rss_after / 1024, 1)
    out["rss_growth_mb"] = round((rss_after - rss_before) / 1024, 1)
    out["resident_growth_mb"] = round(rss_mb() - resident_before, 1)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer items per language / articles")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--worker", choices=DETECTORS, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.data)))
        return 0
    if not (args.corpora / "lingua-language-testdata").is_dir():
        parser.error(f"corpora not found at {args.corpora}")
    per_language = 40 if args.quick else None
    articles, notes = article_items(args.corpora, 80 if args.quick else None)
    clean, corrections = clean_items(articles)
    data = {
        "sentences": lingua_items(args.corpora, "sentences", per_language),
        "word-pairs": lingua_items(args.corpora, "word-pairs", per_language),
        "articles": articles,
        "articles-clean": clean,
    }
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        data_path = Path(tmp) / "data.json"
        data_path.write_text(json.dumps(data))
        for name in DETECTORS:
            proc = subprocess.run(
                [sys.executable, __file__, "--worker", name, "--data", str(data_path)],
                capture_output=True, text=True, check=True,
            )
            results[name] = json.loads(proc.stdout)
    if args.json:
        print(json.dumps({"notes": notes, "corrections": corrections, "results": results}, indent=1))
        return 0
    for note in notes:
        print(f"note: {note}")
    print("articles-clean = articles with these label corrections/exclusions:")
    for note in corrections:
        print(f"  {note}")
    for dataset in data:
        print(f"\n== {dataset} ({len(data[dataset])} items) ==")
        print(f"{'detector':<11} {'accuracy':>8} {'cpu ms/item':>11}")
        for name in DETECTORS:
            r = results[name][dataset]
            print(f"{name:<11} {r['accuracy']:>8.4f} {r['ms_per_item']:>11.3f}")
        langs = sorted(results["monitor"][dataset]["per_language"])
        cells = []
        for code in langs:
            accs = "/".join(f"{results[n][dataset]['per_language'].get(code, 0):.2f}" for n in DETECTORS)
            cells.append(f"{code}={accs}")
        print("per language: " + " ".join(cells) + "  (monitor/langdetect/lingua)")
        if dataset.startswith("articles"):
            print("monitor misses: " + ("; ".join(results["monitor"][dataset]["misses"]) or "none"))
    print("\n== memory (own subprocess each) ==")
    for name in DETECTORS:
        r = results[name]
        print(f"{name:<11} peak RSS {r['peak_rss_mb']:>7.1f} MB (+{r['rss_growth_mb']:.1f} MB over the data load), "
              f"resident +{r['resident_growth_mb']:.1f} MB after the run, load {r['load_s']} s")
    mon, lin = results["monitor"], results["lingua"]
    print("\n== targets ==")
    print(f"sentences monitor >= lingua: {mon['sentences']['accuracy'] >= lin['sentences']['accuracy']} "
          f"({mon['sentences']['accuracy']:.4f} vs {lin['sentences']['accuracy']:.4f})")
    print(f"articles (clean labels) >= 99.5 %: {mon['articles-clean']['accuracy'] >= 0.995} "
          f"({mon['articles-clean']['accuracy']:.4f}; raw {mon['articles']['accuracy']:.4f})")
    print(f"cpu ms per article <= 2: {mon['articles']['ms_per_item'] <= 2} ({mon['articles']['ms_per_item']:.3f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
