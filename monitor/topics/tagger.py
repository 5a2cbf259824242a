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
from .query import TEXT_FIELDS, parse_query
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
    __slots__ = ("topic", "gate", "terms", "excludes", "keys", "needs_hit")

    def __init__(self, topic: Topic, compiler: Compiler) -> None:
        self.topic = topic
        self.gate: CNode | None = compiler.compile(parse_query(topic.query)) if topic.query else None
        self.terms: list[tuple[CNode, float]] = [
            (compiler.compile(parse_query(t)), w) for t, w in topic.terms.items()
        ]
        self.excludes = [compiler.compile(parse_query(e)) for e in topic.exclude]
        positive = [n for n, w in self.terms if w > 0] + ([self.gate] if self.gate else [])
        self.keys = frozenset().union(*(n.keys for n in positive))
        if self.gate is not None:
            self.needs_hit = self.gate.needs_hit or (bool(self.terms) and topic.threshold > 0)
        else:
            self.needs_hit = topic.threshold > 0

    def evaluate(self, idx: DocIndex) -> tuple[float, list[Occ]] | None:
        evidence: list[Occ] = []
        if self.gate is not None:
            gate = self.gate.ev(idx, TEXT_FIELDS)
            if gate is None:
                return None
            evidence.extend(gate)
        for ex in self.excludes:
            if ex.ev(idx, TEXT_FIELDS) is not None:
                return None
        if self.terms:
            score = 0.0
            hit_keys = idx.hit_keys
            for node, weight in self.terms:
                if node.needs_hit and node.keys.isdisjoint(hit_keys):
                    continue
                occs = node.ev(idx, TEXT_FIELDS)
                if occs:
                    score += weight * occurrence_score(occs)
                    if weight > 0:
                        evidence.extend(occs)
        else:
            by_label: dict[str, list[Occ]] = defaultdict(list)
            spans: set[tuple[str, int, int]] = set()
            for occ in sorted(evidence, key=lambda o: o[3]):
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
        self._ancestors = {tid: taxonomy.ancestors(tid) for tid in taxonomy.topics}

    def index(self, doc: Document) -> DocIndex:
        """Tokenize and scan ``doc`` once (exposed for callers that also run queries)."""
        return DocIndex(doc, self._automaton)

    def tag(self, doc: Document) -> list[TopicHit]:
        """Topics of ``doc``, highest score first (ties by id)."""
        idx = self.index(doc)
        candidates = set(self._always)
        by_key = self._by_key
        for key in idx.hit_keys:
            candidates.update(by_key.get(key, ()))
        hits: dict[str, TopicHit] = {}
        for i in sorted(candidates):
            rule = self._rules[i]
            result = rule.evaluate(idx)
            if result is not None:
                score, occs = result
                hits[rule.topic.id] = TopicHit(rule.topic.id, score, idx.evidence(occs))
        for hit in sorted(hits.values(), key=lambda h: -h.score):
            if hit.implied_by is not None:
                continue
            for anc in self._ancestors[hit.id]:
                if anc not in hits:
                    hits[anc] = TopicHit(anc, hit.score, list(hit.evidence), implied_by=hit.id)
        return sorted(hits.values(), key=lambda h: (-h.score, h.id))
