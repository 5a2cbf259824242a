"""Topic tagger: taxonomy checks, hard cases, evidence, and precision/recall on
the labelled dev set (tests/fixtures/topics/devset.jsonl) and on a held-out
slice written before the rules were tuned (devset-holdout.jsonl)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.topics import Document, Tagger, Taxonomy, TaxonomyError, explain

FIXTURES = Path(__file__).parent / "fixtures" / "topics"
LANGUAGES = {"en", "fr", "de", "es", "it", "nl", "pl"}
REQUIRED = [
    "nato", "nato-iraq-mission", "coalition-against-daesh", "iraq", "iran", "syria", "csdp", "sahel",
    "ukraine-war", "eu-defence-industry", "eu-sanctions", "terrorism", "arms-control", "middle-east",
    "eu-council", "european-parliament",
]


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return Taxonomy.load()


@pytest.fixture(scope="module")
def tagger(taxonomy: Taxonomy) -> Tagger:
    return Tagger(taxonomy)


def load(name: str) -> list[dict]:
    with open(FIXTURES / name, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def closed(labels, taxonomy: Taxonomy) -> set[str]:
    """Gold labels plus their ancestors (the tagger implies parents too)."""
    out = set(labels)
    for label in labels:
        out.update(taxonomy.ancestors(label))
    return out


def evaluate(items: list[dict], tagger: Tagger, taxonomy: Taxonomy) -> dict[str, tuple[float, float, float, int]]:
    """Per-topic (precision, recall, F1, support) over ``items``; prints a table and the errors."""
    tp: dict[str, int] = {}
    fp: dict[str, int] = {}
    fn: dict[str, int] = {}
    for item in items:
        gold = closed(item["topics"], taxonomy)
        got = {h.id for h in tagger.tag(Document(title=item["title"], text=item["text"], language=item["language"]))}
        for t in gold & got:
            tp[t] = tp.get(t, 0) + 1
        for t in got - gold:
            fp[t] = fp.get(t, 0) + 1
            print(f"  FP {item['id']}: {t}")
        for t in gold - got:
            fn[t] = fn.get(t, 0) + 1
            print(f"  FN {item['id']}: {t}")
    scores = {}
    for t in sorted(set(tp) | set(fp) | set(fn)):
        a, b, c = tp.get(t, 0), fp.get(t, 0), fn.get(t, 0)
        p = a / (a + b) if a + b else 1.0
        r = a / (a + c) if a + c else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        scores[t] = (p, r, f, a + c)
        print(f"  {t:28s} P={p:.2f} R={r:.2f} F1={f:.2f} n={a + c}")
    return scores


def macro_f1(scores, ids) -> float:
    return sum(scores.get(t, (0, 0, 0.0, 0))[2] for t in ids) / len(ids)


# ------------------------------------------------------------------ taxonomy


def test_taxonomy_has_required_topics_in_seven_languages(taxonomy: Taxonomy) -> None:
    assert len(taxonomy.topics) >= 40
    assert set(REQUIRED) <= set(taxonomy.topics)
    for topic in taxonomy.topics.values():
        assert LANGUAGES <= topic.languages, (topic.id, sorted(LANGUAGES - topic.languages))
    assert taxonomy.topics["nato-iraq-mission"].parent == "nato"
    assert taxonomy.ancestors("nato-iraq-mission") == ["nato"]


def test_nato_set_covers_the_usual_names(taxonomy: Taxonomy) -> None:
    items = {i.casefold() for i in taxonomy.sets["nato"]}
    for name in ["nato", "otan", "navo", "north atlantic treaty organization", "nordatlantikpakt*"]:
        assert name in items


def test_bad_taxonomy_file_names_file_and_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[topic]]\nid = "x"\nname = "X"\nquery = "nato AND ("\n', encoding="utf-8")
    with pytest.raises(TaxonomyError, match=r"bad\.toml.*topic 'x'.*line 1, column"):
        Taxonomy.load([bad])
    bad.write_text('[[topic]]\nid = "Not A Slug"\nname = "X"\nquery = "a"\n', encoding="utf-8")
    with pytest.raises(TaxonomyError, match="kebab-case"):
        Taxonomy.load([bad])
    bad.write_text('[[topic]]\nid = "x"\nname = "X"\nquery = "@nope"\n', encoding="utf-8")
    with pytest.raises(TaxonomyError, match="unknown term set.*@nope"):
        Taxonomy.load([bad])
    bad.write_text('[[topic]]\nid = "x"\nname = "X"\nparent = "y"\nquery = "a"\n', encoding="utf-8")
    with pytest.raises(TaxonomyError, match="unknown parent 'y'"):
        Taxonomy.load([bad])


# ------------------------------------------------------------------ hard cases


def ids(tagger: Tagger, title: str, text: str) -> set[str]:
    return {h.id for h in tagger.tag(Document(title=title, text=text))}


def test_french_nato_mission_in_iraq_is_tagged(tagger: Tagger) -> None:
    got = ids(tagger, "Défense", "Le ministre a rendu visite à la mission de l'OTAN en Irak, qui forme les instructeurs.")
    assert "nato-iraq-mission" in got
    assert "nato" in got  # parent implied


def test_nato_summit_on_ukraine_with_one_line_on_iraq_is_not_the_mission(tagger: Tagger) -> None:
    text = (
        "NATO leaders meeting in Washington pledged long-term military support to Ukraine and agreed on new air "
        "defence deliveries for Kyiv as Russia's war continues. The summit declaration says Ukraine's future is in "
        "NATO. Allies also reviewed their defence spending. In a single line, the text mentions Iraq."
    )
    got = ids(tagger, "NATO summit pledges support for Ukraine", text)
    assert "nato-iraq-mission" not in got and "iraq" not in got
    assert {"nato-summit", "nato", "ukraine-war"} <= got


def test_2003_war_anniversary_is_not_the_mission(tagger: Tagger) -> None:
    text = (
        "Twenty years after the 2003 invasion, Iraqis look back at the war. NATO's later training mission in Iraq "
        "is a footnote for most people in Baghdad."
    )
    assert "nato-iraq-mission" not in ids(tagger, "Iraq war anniversary", text)


def test_passing_mention_does_not_tag_but_title_does(tagger: Tagger) -> None:
    filler = " ".join(["The committee discussed the municipal budget and local schools."] * 8)
    assert "iran" not in ids(tagger, "Council budget", filler + " A delegate had just returned from Iran.")
    assert "iran" in ids(tagger, "Delegate returns from Iran", filler)


def test_evidence_offsets_point_into_original_text(tagger: Tagger) -> None:
    doc = Document(title="Irak : la mission de l'OTAN prolongée", text="Les Alliés prolongent la mission de l'OTAN en Irak.")
    hit = next(h for h in tagger.tag(doc) if h.id == "nato-iraq-mission")
    assert hit.score > 0
    assert {e.field for e in hit.evidence} == {"title", "text"}
    for ev in hit.evidence:
        source = doc.title if ev.field == "title" else doc.text
        assert source[ev.start : ev.end].casefold().startswith(ev.term.rstrip("*").casefold()[:3]), ev
    assert "[OTAN]" in explain(hit, doc)


def test_hits_sorted_by_score_and_parents_marked(tagger: Tagger) -> None:
    hits = tagger.tag(Document(title="NATO Mission Iraq gets new commander", text="NATO Mission Iraq advises Iraqi forces in Baghdad."))
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    nato = next(h for h in hits if h.id == "nato")
    assert nato.implied_by in (None, "nato-iraq-mission")


# ------------------------------------------------------------------ dev set


def test_devset_precision_recall(tagger: Tagger, taxonomy: Taxonomy) -> None:
    items = load("devset.jsonl")
    assert 60 <= len(items) <= 120
    scores = evaluate(items, tagger, taxonomy)
    macro = macro_f1(scores, REQUIRED)
    print(f"devset: macro-F1 over required ids = {macro:.3f}")
    p, r, _, _ = scores["nato-iraq-mission"]
    assert p >= 0.9 and r >= 0.9
    assert macro >= 0.85


def test_holdout_macro_f1(tagger: Tagger, taxonomy: Taxonomy) -> None:
    items = load("devset-holdout.jsonl")
    assert len(items) >= 25
    scores = evaluate(items, tagger, taxonomy)
    present = [t for t in REQUIRED if scores.get(t, (0, 0, 0, 0))[3] > 0]
    macro = macro_f1(scores, present)
    print(f"holdout: macro-F1 over required ids present ({len(present)}) = {macro:.3f}")
    assert macro >= 0.7


# ------------------------------------------------------------------ unseen real articles

# Measured when the set was added (micro, ancestors included): precision 0.91, recall 0.78.
# The bars leave room for taxonomy edits; the rules were NOT tuned on this set.
PRECISION_BAR = 0.8
RECALL_BAR = 0.65

def micro_precision_recall(items: list[dict], tagger: Tagger, taxonomy: Taxonomy) -> tuple[float, float]:
    """Micro-averaged precision and recall over all (article, topic) pairs, ancestors included."""
    tp = fp = fn = 0
    for item in items:
        gold = closed(item["topics"], taxonomy)
        got = {h.id for h in tagger.tag(Document(title=item["title"], text=item["text"], language=item["language"]))}
        tp, fp, fn = tp + len(gold & got), fp + len(got - gold), fn + len(gold - got)
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)


def test_real_articles_in_several_languages(tagger: Tagger, taxonomy: Taxonomy) -> None:
    """The same scoring on real news excerpts the rules were never tuned on (fundus and
    trafilatura-eval pages, 7 languages, a fifth without any topic), labelled by reading
    them before the tagger was run on them."""
    items = load("real-articles.jsonl")
    assert len(items) >= 20 and len({i["language"] for i in items}) >= 5
    assert all(set(i["topics"]) <= set(taxonomy.topics) for i in items)
    evaluate(items, tagger, taxonomy)  # prints per-topic scores and each error
    precision, recall = micro_precision_recall(items, tagger, taxonomy)
    print(f"real articles: micro precision {precision:.2f}, recall {recall:.2f}")
    assert precision >= PRECISION_BAR and recall >= RECALL_BAR
