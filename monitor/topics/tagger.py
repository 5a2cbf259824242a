"""Assign topics to documents in one pass, with scores and evidence.

All topics are compiled together (matcher.Compiler) so a document is tokenized
once per field and scanned by one automaton; only topics whose keys were hit
(plus the few that can match without a hit) are then evaluated, so the cost per
article hardly grows with the number of topics.

Scoring (explainable, EMM-style).  Each weighted term contributes
``weight * (best position factor + 0.5 per further occurrence, at most +2)``
where the position factor is 3 in the title, 1.5 in the lead (first
``LEAD_WORDS`` words of the text) and 1 elsewhere.  A topic fires when its
``query`` (if any) matches, no ``exclude`` query matches and the score reaches
its ``threshold``.  A query-only topic scores its query's evidence the same
way with weight 1 per distinct matched term.  Negative weights lower the score.

Hierarchy: ancestors of a topic that fired are added too (``implied_by`` set,
same score and evidence) unless they fired on their own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from .matcher import CNode, Compiler, DocIndex, Occ
from .model import Document, TopicHit
from .query import TEXT_FIELDS
from .taxonomy import Taxonomy, Topic

TITLE_FACTOR = 3.0
LEAD_FACTOR = 1.5
LEAD_WORDS = 40
REPEAT_BONUS = 0.5
MAX_REPEAT_BONUS = 2.0


def occurrence_score(occs: Sequence[Occ]) -> float:
    """Position-and-repetition score of one term's occurrences (weight 1)."""
    distinct = {(o[0], o[1]) for o in occs}
    if not distinct:
        return 0.0
    best = max(
        TITLE_FACTOR if field == "title" else LEAD_FACTOR if first < LEAD_WORDS else 1.0 for field, first in distinct
    )
    return best + min(MAX_REPEAT_BONUS, REPEAT_BONUS * (len(distinct) - 1))


class _Rule:
    __slots__ = ("topic", "gate", "terms", "excludes", "keys", "needs_hit", "term_keys", "always_terms")

    def __init__(self, topic: Topic, compiler: Compiler) -> None:
        self.topic = topic
        self.gate: CNode | None = compiler.compile_source(topic.query) if topic.query else None
        self.terms: list[tuple[CNode, float]] = [(compiler.compile_source(t), w) for t, w in topic.terms.items()]
        self.excludes = [compiler.compile_source(e) for e in topic.exclude]
        positive = [n for n, w in self.terms if w > 0] + ([self.gate] if self.gate else [])
        self.keys = frozenset().union(*(n.keys for n in positive))
        if self.gate is not None:
            self.needs_hit = self.gate.needs_hit or (bool(self.terms) and topic.threshold > 0)
        else:
            self.needs_hit = topic.threshold > 0
        # Which terms a hit key can make match (terms that need no hit are always evaluated).
        self.always_terms = tuple(j for j, (n, _) in enumerate(self.terms) if not n.needs_hit)
        term_keys: dict[int, list[int]] = defaultdict(list)
        for j, (node, _) in enumerate(self.terms):
            if node.needs_hit:
                for key in node.keys:
                    term_keys[key].append(j)
        self.term_keys = {k: tuple(v) for k, v in term_keys.items()}

    def _hit_terms(self, hit_keys: set[int]) -> set[int]:
        """Indices of the terms whose keys were hit (``Tagger.tag`` collects these for
        all topics in one pass over the hit keys instead)."""
        keys = self.term_keys
        found: set[int] = set()
        for key in hit_keys.intersection(keys):
            found.update(keys[key])
        return found

    def evaluate(self, idx: DocIndex, hit_terms: set[int] | None = None) -> tuple[float, list[list[Occ]]] | None:
        """(score, occurrence lists behind it) when the topic fires, else None.

        ``hit_terms``: indices of the terms whose keys were hit (computed when None).
        Occurrences are only turned into Evidence by the caller, for topics that fire;
        a term's occurrences and score are computed once per document (``idx.memo``)
        however many topics cite it."""
        evidence: list[list[Occ]] = []
        if self.gate is not None:
            gate = self.gate.ev(idx, TEXT_FIELDS)
            if gate is None:
                return None
            evidence.append(gate)
        for ex in self.excludes:
            if ex.ev(idx, TEXT_FIELDS) is not None:
                return None
        if self.terms:
            score = 0.0
            hit_keys = idx.hit_keys
            memo = idx.memo
            terms = self.terms
            if hit_terms is None:
                hit_terms = self._hit_terms(hit_keys)
            # taxonomy order: scores add up in the same order whichever terms were hit
            for j in sorted(hit_terms.union(self.always_terms)) if self.always_terms else sorted(hit_terms):
                node, weight = terms[j]
                found = memo.get(node)
                if found is None:
                    occs = node.ev(idx, TEXT_FIELDS)
                    found = memo[node] = (occs, occurrence_score(occs) if occs else 0.0)
                occs, term_score = found  # type: ignore[misc]
                if occs:
                    score += weight * term_score
                    if weight > 0:
                        evidence.append(occs)
        else:
            by_label: dict[str, list[Occ]] = defaultdict(list)
            spans: set[tuple[str, int, int]] = set()
            for occ in sorted((o for occs in evidence for o in occs), key=lambda o: o[3]):
                if occ[:3] not in spans:  # a span matched by several items counts once
                    spans.add(occ[:3])
                    by_label[occ[3].casefold()].append(occ)
            score = sum(occurrence_score(o) for o in by_label.values())
        if score < self.topic.threshold or (self.terms and score <= 0):
            return None
        return score, evidence


class Tagger:
    """Compiles every topic of ``taxonomy`` once; ``tag`` is then cheap per document."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        compiler = Compiler(taxonomy.sets)
        self._rules = [_Rule(t, compiler) for t in taxonomy.topics.values()]
        self._automaton = compiler.automaton()
        self._by_key: dict[int, list[int]] = defaultdict(list)
        self._always: list[int] = []
        for i, rule in enumerate(self._rules):
            if rule.needs_hit:
                for key in rule.keys:
                    self._by_key[key].append(i)
            else:
                self._always.append(i)
        self._term_postings: dict[int, list[tuple[int, int]]] = defaultdict(list)  # key -> (rule, term)
        for i, rule in enumerate(self._rules):
            for key, terms in rule.term_keys.items():
                self._term_postings[key].extend((i, j) for j in terms)
        self._ancestors = {tid: taxonomy.ancestors(tid) for tid in taxonomy.topics}

    def index(self, doc: Document) -> DocIndex:
        """Tokenize and scan ``doc`` once (exposed for callers that also run queries)."""
        return DocIndex(doc, self._automaton)

    def tag(self, doc: Document) -> list[TopicHit]:
        """Topics of ``doc``, highest score first (ties by id)."""
        idx = self.index(doc)
        candidates = set(self._always)
        by_key, postings = self._by_key, self._term_postings
        hit_terms: dict[int, set[int]] = defaultdict(set)  # rule -> its terms whose keys were hit
        for key in idx.hit_keys:
            candidates.update(by_key.get(key, ()))
            for i, j in postings.get(key, ()):
                hit_terms[i].add(j)
        hits: dict[str, TopicHit] = {}
        for i in sorted(candidates):
            rule = self._rules[i]
            result = rule.evaluate(idx, hit_terms[i])
            if result is not None:
                score, occs = result
                hits[rule.topic.id] = TopicHit(rule.topic.id, score, idx.evidence_of(occs))
        for hit in sorted(hits.values(), key=lambda h: -h.score):
            if hit.implied_by is not None:
                continue
            for anc in self._ancestors[hit.id]:
                if anc not in hits:
                    hits[anc] = TopicHit(anc, hit.score, list(hit.evidence), implied_by=hit.id)
        return sorted(hits.values(), key=lambda h: (-h.score, h.id))
