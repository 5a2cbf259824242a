"""The tagger evaluates a weighted term only when one of its automaton keys was hit,
and a topic only when one of its terms (or its gate) matched.  These tests check
that the shortcut never changes what is tagged: a reference that scores EVERY
topic on every document, following the rules documented in tagger.py, must give
the same topics, scores and evidence on random topics (negative and zero weights,
``NOT`` terms, metadata and field scopes, ``NEAR``, gates, excludes, parents,
thresholds down to 0) and random documents."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.topics import Document, Evidence, Tagger, Taxonomy, Topic
from monitor.topics.matcher import Compiler, DocIndex, Occ
from monitor.topics.query import TEXT_FIELDS
from monitor.topics.tagger import occurrence_score

SETS = {"army": ["soldier", "troops", "armée"], "talks": ["summit", "peace talks", "@army"], "pre": ["negot*"]}
WORDS = ["soldier", "troops", "Armée", "summit", "peace", "talks", "negotiation", "negotiate", "nato", "iraq",
         "Irak", "filler", "other"]

ATOMS = st.sampled_from(["soldier", "troops", "nato", "iraq", "irak*", '"peace talks"', "@army", "@talks", "@pre",
                         "armee", "negot*"])
TERMS = st.one_of(
    ATOMS,
    ATOMS.map(lambda a: f"NOT {a}"),
    st.tuples(ATOMS, ATOMS).map(lambda t: f"{t[0]} AND NOT {t[1]}"),
    st.tuples(ATOMS, ATOMS).map(lambda t: f"({t[0]} OR NOT {t[1]})"),
    st.tuples(ATOMS, st.integers(0, 3), ATOMS).map(lambda t: f"{t[0]} NEAR/{t[1]} {t[2]}"),
    st.tuples(st.sampled_from(["title:", "text:"]), ATOMS).map("".join),
    st.sampled_from(["lang:fr", "lang:en", "source:example*"]),
)
TOPICS = st.fixed_dictionaries(
    {
        "terms": st.dictionaries(TERMS, st.sampled_from([-2.0, -0.5, 0.0, 0.5, 1.0, 2.0]), max_size=4),
        "query": st.one_of(st.none(), TERMS),
        "exclude": st.lists(TERMS, max_size=1).map(tuple),
        "threshold": st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.5]),
        "parent": st.booleans(),
    }
)
TEXTS = st.lists(st.sampled_from(WORDS), max_size=60).map(" ".join)
DOCS = st.builds(Document, title=st.lists(st.sampled_from(WORDS), max_size=4).map(" ".join), text=TEXTS,
                 source=st.sampled_from(["", "example.org"]), language=st.sampled_from(["", "fr", "en"]))


def taxonomy_of(specs: list[dict]) -> Taxonomy:
    topics = {}
    for k, spec in enumerate(specs):
        query = spec["query"] if spec["query"] is not None or spec["terms"] else "nato"
        parent = f"t{k - 1}" if spec["parent"] and k else None
        topics[f"t{k}"] = Topic(id=f"t{k}", name=f"T{k}", parent=parent, query=query, terms=spec["terms"],
                                exclude=spec["exclude"], threshold=spec["threshold"])
    return Taxonomy(topics, SETS, {})


def reference(taxonomy: Taxonomy, doc: Document) -> dict[str, tuple[float, list[Evidence], str | None]]:
    """Every topic evaluated in full: gate, excludes, every term, score, threshold."""
    compiler = Compiler(taxonomy.sets)
    compiled = {
        t.id: (compiler.compile_source(t.query) if t.query else None,
               [(compiler.compile_source(s), w) for s, w in t.terms.items()],
               [compiler.compile_source(e) for e in t.exclude])
        for t in taxonomy.topics.values()
    }
    idx = DocIndex(doc, compiler.automaton())
    fired: dict[str, tuple[float, list[Evidence], str | None]] = {}
    for topic in taxonomy.topics.values():
        gate, terms, excludes = compiled[topic.id]
        groups: list[list[Occ]] = []
        if gate is not None:
            occs = gate.ev(idx, TEXT_FIELDS)
            if occs is None:
                continue
            groups.append(occs)
        if any(e.ev(idx, TEXT_FIELDS) is not None for e in excludes):
            continue
        if terms:
            score = 0.0
            for node, weight in terms:
                occs = node.ev(idx, TEXT_FIELDS)
                if occs:
                    score += weight * occurrence_score(occs)
                    if weight > 0:
                        groups.append(occs)
            if score < topic.threshold or score <= 0:
                continue
        else:  # query only: weight 1 per distinct label, a span counted once
            by_label: dict[str, list[Occ]] = defaultdict(list)
            seen: set[tuple[str, int, int]] = set()
            for occ in sorted((o for g in groups for o in g), key=lambda o: o[3]):
                if occ[:3] not in seen:
                    seen.add(occ[:3])
                    by_label[occ[3].casefold()].append(occ)
            score = sum(occurrence_score(o) for o in by_label.values())
            if score < topic.threshold:
                continue
        fired[topic.id] = (score, idx.evidence_of(groups), None)
    for tid, (score, evidence, _) in sorted(fired.items(), key=lambda item: -item[1][0]):
        for anc in taxonomy.ancestors(tid):
            if anc not in fired:
                fired[anc] = (score, evidence, tid)
    return fired


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TOPICS, min_size=1, max_size=8), st.lists(DOCS, min_size=1, max_size=4))
def test_tagger_equals_evaluating_every_topic(specs: list[dict], docs: list[Document]) -> None:
    taxonomy = taxonomy_of(specs)
    tagger = Tagger(taxonomy)
    for doc in docs:
        got = {h.id: (h.score, h.evidence, h.implied_by) for h in tagger.tag(doc)}
        assert got == reference(taxonomy, doc), doc


def test_a_topic_is_found_through_any_of_its_terms_and_a_set_shared_with_others() -> None:
    taxonomy = taxonomy_of([
        {"terms": {"@army": 1.0, "iraq": 1.0}, "query": None, "exclude": (), "threshold": 1.0, "parent": False},
        {"terms": {"@talks": 2.0}, "query": None, "exclude": ("NOT nato",), "threshold": 1.0, "parent": True},
        {"terms": {}, "query": "lang:fr", "exclude": (), "threshold": 0.0, "parent": False},
    ])
    tagger = Tagger(taxonomy)
    doc = Document(title="NATO summit", text="The troops stay in Iraq.", language="fr")
    hits = {h.id: h for h in tagger.tag(doc)}
    assert set(hits) == {"t0", "t1", "t2"}
    assert [doc.text[e.start:e.end] for e in hits["t0"].evidence] == ["troops", "Iraq"]
    assert [(e.field, e.term) for e in hits["t1"].evidence] == [("title", "summit"), ("text", "troops")]
    assert hits["t2"].score == 0.0 and hits["t2"].evidence == []
    assert {h.id: h for h in tagger.tag(doc)} == hits  # nothing carried over between documents
    assert {tid: score for tid, (score, _, _) in reference(taxonomy, doc).items()} == {
        h.id: h.score for h in hits.values()}
    assert [h.id for h in tagger.tag(Document(title="Summit", text="other words", language="en"))] == []
