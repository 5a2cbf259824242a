"""Benchmark: topic tagging time per ~5,000-character article with 10, 100 and
500 topics, against a naive one-regex-per-topic baseline.

    .venv/bin/python bench/tagging.py [--articles 20] [--repeat 15] [--before REV] [--quick]

``--before REV`` also loads ``monitor/topics`` as of git revision REV (as a
separate package) and measures both taggers alternately in the same run, so the
before/after comparison sees the same machine load.

Articles are built from the labelled dev set texts (tests/fixtures/topics) so
they contain real hits.  Topics beyond the 43 bundled ones are synthetic: each
takes 8 random items from the bundled term sets as weighted terms, so the
automaton and the number of candidate topics grow realistically.  The baseline
compiles one case-insensitive alternation regex per topic (all its terms, sets
expanded) and runs every regex over the text, normalized once.
"""

from __future__ import annotations

import argparse
import atexit
import importlib.util
import io
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # measure this checkout's package, not whichever one is installed

from monitor.topics import Document, Tagger, Taxonomy, Topic  # noqa: E402
from monitor.topics.normalize import normalize_word  # noqa: E402
from monitor.topics.query import Phrase, SetRef, Term, parse_query  # noqa: E402

DEVSET = ROOT / "tests" / "fixtures" / "topics" / "devset.jsonl"


def articles(n: int, size: int = 5000, seed: int = 1) -> list[Document]:
    items = [json.loads(line) for line in DEVSET.read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = random.Random(seed)
    docs = []
    for _ in range(n):
        rng.shuffle(items)
        text, i = "", 0
        while len(text) < size:
            text += items[i % len(items)]["text"] + "\n\n"
            i += 1
        docs.append(Document(title=items[0]["title"], text=text[:size]))
    return docs


FUNDUS = Path("/work/shared/corpora/fundus-parser-testdata/index.jsonl")


def real_articles(n: int, size: int = 5000) -> list[Document]:
    """Single-subject news articles (fundus test data, read in place), cut to ``size`` chars."""
    if not FUNDUS.exists():
        return []
    docs = []
    for line in FUNDUS.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        body = d.get("body_text") or ""
        if len(body) >= size:
            docs.append(Document(title=d.get("title") or "", text=body[:size]))
    return docs[:n]


def load_before(rev: str) -> ModuleType:
    """``monitor/topics`` as of git revision ``rev``, imported as package ``topics_before``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "monitor/topics"],
                             capture_output=True, check=True).stdout
    target = Path(tempfile.mkdtemp(prefix="tagging-before-"))
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    package = target / "monitor" / "topics"
    spec = importlib.util.spec_from_file_location("topics_before", package / "__init__.py",
                                                  submodule_search_locations=[str(package)])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["topics_before"] = module
    spec.loader.exec_module(module)
    return module


def taxonomy_with(n_topics: int, base: Taxonomy, seed: int = 2, pkg: ModuleType | None = None) -> Taxonomy:
    """The first ``n_topics`` bundled topics plus synthetic ones (built with ``pkg``'s
    classes when given, for the tagger of another revision)."""
    Topic_, Taxonomy_ = (pkg.Topic, pkg.Taxonomy) if pkg is not None else (Topic, Taxonomy)
    rng = random.Random(seed)
    real = list(base.topics.values())
    topics = {t.id: t for t in real[:n_topics]}
    pool = sorted({item for items in base.sets.values() for item in items if not item.startswith("@")})
    k = 0
    while len(topics) < n_topics:
        terms = {f'"{item}"': rng.choice([0.5, 1.0, 2.0]) for item in rng.sample(pool, 8)}
        topics[f"synthetic-{k}"] = Topic_(id=f"synthetic-{k}", name=f"Synthetic {k}", terms=terms, threshold=2.0)
        k += 1
    if pkg is not None:
        topics = {tid: Topic_(**vars(t)) if not isinstance(t, Topic_) else t for tid, t in topics.items()}
    return Taxonomy_(topics, base.sets, base.set_languages)


def _leaves(source: str, sets: dict[str, list[str]]) -> list[str]:
    node = parse_query(source)
    out = []

    def walk(n) -> None:
        if isinstance(n, (Term, Phrase)):
            out.append(n.text)
        elif isinstance(n, SetRef):
            for item in sets[n.name]:
                out.extend(_leaves(item, sets) if item.startswith("@") else [item])
        else:
            for attr in ("items", "item", "left", "right"):
                child = getattr(n, attr, None)
                for c in child if isinstance(child, tuple) else [child] if child is not None else []:
                    walk(c)

    walk(node)
    return out


def naive_regexes(tax: Taxonomy) -> list[re.Pattern[str]]:
    pats = []
    for t in tax.topics.values():
        terms = []
        for src in [*t.terms, *([t.query] if t.query else [])]:
            for leaf in _leaves(src, tax.sets):
                words = [re.escape(normalize_word(w.rstrip("*"))) + (r"\w*" if w.endswith("*") else "") for w in re.findall(r"\w+\*?", leaf)]
                terms.append(r"\W+".join(words))
        pats.append(re.compile(r"\b(?:" + "|".join(terms) + r")\b"))
    return pats


def naive_tag(doc: Document, pats: list[re.Pattern[str]]) -> int:
    text = " ".join(map(normalize_word, re.findall(r"\w+", doc.title + " " + doc.text)))
    return sum(1 for p in pats if len(p.findall(text)) >= 2)


def per_article_ms(fn, docs: list[Document], repeat: int) -> float:
    """Best of ``repeat`` runs, CPU time: the machine is shared, so wall time and the
    median mostly measure the neighbours; the minimum is the reproducible cost."""
    runs = []
    for _ in range(repeat):
        start = time.process_time()
        for d in docs:
            fn(d)
        runs.append((time.process_time() - start) * 1000 / len(docs))
    return min(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--before", metavar="REV", help="also measure the tagger of this git revision")
    ap.add_argument("--quick", action="store_true", help="5 articles, best of 3 runs")
    args = ap.parse_args()
    if args.quick:
        args.articles, args.repeat = 5, 3
    before = load_before(args.before) if args.before else None
    base = Taxonomy.load()
    for label, docs in (("real single-subject news (fundus)", real_articles(args.articles)),
                        ("worst case: mash-up of all dev-set texts", articles(args.articles))):
        if docs:
            run(label, docs, base, args.repeat, before, args.before)


def _tag_fn(tagger, pkg: ModuleType | None):
    """``tagger.tag`` taking this package's Documents (converted for another revision's tagger)."""
    if pkg is None:
        return tagger.tag
    converted: dict[int, object] = {}

    def tag(d: Document):
        doc = converted.get(id(d))
        if doc is None:
            doc = converted[id(d)] = pkg.Document(**vars(d))
        return tagger.tag(doc)

    return tag


def run(label: str, docs: list[Document], base: Taxonomy, repeat: int,
        before: ModuleType | None = None, rev: str | None = None) -> None:
    print(f"\n{label}: {len(docs)} articles of {len(docs[0].text)} chars; best of {repeat} runs; CPU ms per article")
    cols = f"{'topics':>6} | {'keys':>6} | {'tagger ms':>9}"
    if before is not None:
        cols += f" | {'before ms':>9}"
    print(cols + f" | {'hits/art':>8} | {'naive regex ms':>14} | {'compile s':>9}")
    results: dict[str, dict[int, float]] = {"after": {}, "before": {}}
    for n in (10, 100, 500):
        tax = taxonomy_with(n, base)
        t0 = time.perf_counter()
        tagger = Tagger(tax)
        compile_s = time.perf_counter() - t0
        fns = {"after": tagger.tag}
        if before is not None:
            old = before.Tagger(taxonomy_with(n, base, pkg=before))
            fns["before"] = _tag_fn(old, before)
            for d in docs:  # the same topics, scores and evidence, or the comparison is void
                new_hits, old_hits = tagger.tag(d), fns["before"](d)
                assert [h.to_dict() for h in new_hits] == [h.to_dict() for h in old_hits], f"{rev} differs"
        for fn in fns.values():
            for d in docs[:3]:  # warm caches (word normalization) as in a long crawl
                fn(d)
        runs: dict[str, list[float]] = {name: [] for name in fns}
        for _ in range(repeat):  # alternate, so both see the same machine load
            for name, fn in fns.items():
                runs[name].append(per_article_ms(fn, docs, 1))
        for name in fns:
            results[name][n] = min(runs[name])
        hits = statistics.mean(len(tagger.tag(d)) for d in docs)
        pats = naive_regexes(tax)
        naive = per_article_ms(lambda d: naive_tag(d, pats), docs, 2)
        keys = len(tagger._automaton) if tagger._automaton is not None else 0
        row = f"{n:>6} | {keys:>6} | {results['after'][n]:>9.3f}"
        if before is not None:
            row += f" | {results['before'][n]:>9.3f}"
        print(row + f" | {hits:>8.1f} | {naive:>14.3f} | {compile_s:>9.2f}")
    for name, res in results.items():
        if res:
            who = "" if before is None else f"{name + (f' ({rev})' if name == 'before' else ''):<17} "
            print(f"{who}ratio 500/10 topics: {res[500] / res[10]:.2f}x (target <= 2x); "
                  f"500 topics: {res[500]:.3f} ms (target <= 1 ms)")


if __name__ == "__main__":
    main()
