"""Assign topics to documents in one pass, with scores and evidence.

All topics are compiled together (matcher.Compiler) so a document is tokenized
once per field and scanned by one automaton.  The cost per article then follows
the hits, not the size of the taxonomy: each distinct weighted term (shared by
every topic citing it) is evaluated once, and only if one of its automaton keys
was hit; its score is posted to the topics citing it, and only topics that
received a score (plus query-only topics whose gate was hit, and the few that
can match without any hit) are looked at further.  A term that none of its keys
hit cannot contribute: every node yields occurrences only from hit keys
(``NOT x`` and ``lang:`` yield none), so skipping it changes nothing.

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
from operator import attrgetter

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
    best = 1.0
    for field, first in distinct:
        if field == "title":
            best = TITLE_FACTOR
            break
        if first < LEAD_WORDS:
            best = LEAD_FACTOR
    return best + min(MAX_REPEAT_BONUS, REPEAT_BONUS * (len(distinct) - 1))


class _Rule:
    """One topic compiled: its gate query, weighted term nodes and exclude queries."""

    __slots__ = ("topic", "gate", "terms", "excludes", "threshold")

    def __init__(self, topic: Topic, compiler: Compiler) -> None:
        self.topic = topic
        self.gate: CNode | None = compiler.compile_source(topic.query) if topic.query else None
        self.terms: list[tuple[CNode, float]] = [(compiler.compile_source(t), w) for t, w in topic.terms.items()]
        self.excludes = [compiler.compile_source(e) for e in topic.exclude]
        self.threshold = topic.threshold

    def gate_and_excludes(self, idx: DocIndex) -> list[Occ] | None:
        """The gate's occurrences ([] without a gate), or None when the gate fails or an exclude matches."""
        gate: list[Occ] | None = []
        if self.gate is not None:
            gate = self.gate.ev(idx, TEXT_FIELDS)
            if gate is None:
                return None
        for ex in self.excludes:
            if ex.ev(idx, TEXT_FIELDS) is not None:
                return None
        return gate

    def weighted(self, idx: DocIndex, scored: list[tuple[int, float, list[Occ] | None]]) -> _Fired | None:
        """Score and evidence of a topic with terms, given ``scored``: (term index,
        weight * term score, occurrences when the weight is positive) of each of its
        terms that matched."""
        if len(scored) > 1:
            scored.sort()  # taxonomy order (indices are distinct): the same float sum whatever the hit order
        score = 0.0
        for _, contribution, _ in scored:
            score += contribution
        if score < self.threshold or score <= 0:
            return None
        evidence = [occs for _, _, occs in scored if occs is not None]
        if self.gate is not None or self.excludes:
            gate = self.gate_and_excludes(idx)
            if gate is None:
                return None
            if self.gate is not None:
                evidence.insert(0, gate)
        return score, evidence

    def query_only(self, idx: DocIndex) -> _Fired | None:
        """A topic without terms scores its gate's evidence, weight 1 per distinct matched term."""
        gate = self.gate_and_excludes(idx)
        if gate is None:
            return None
        by_label: dict[str, list[Occ]] = defaultdict(list)
        spans: set[tuple[str, int, int]] = set()
        for occ in sorted(gate, key=lambda o: o[3]):
            if occ[:3] not in spans:  # a span matched by several items counts once
                spans.add(occ[:3])
                by_label[occ[3].casefold()].append(occ)
        score = sum(occurrence_score(o) for o in by_label.values())
        if score < self.threshold:
            return None
        return score, [gate] if self.gate is not None else []


_Fired = tuple[float, list[list[Occ]]]
_score = attrgetter("score")
_id = attrgetter("id")


class Tagger:
    """Compiles every topic of ``taxonomy`` once; ``tag`` is then cheap per document."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        compiler = Compiler(taxonomy.sets)
        self._rules = [_Rule(t, compiler) for t in taxonomy.topics.values()]
        self._automaton = compiler.automaton()
        # Distinct weighted terms (topics citing the same source share one node), with
        # the (topic, term index, weight) postings their score goes to.
        self._nodes: list[CNode] = []
        self._postings: list[list[tuple[int, int, float]]] = []
        number: dict[int, int] = {}
        for i, rule in enumerate(self._rules):
            for j, (node, weight) in enumerate(rule.terms):
                n = number.get(id(node))
                if n is None:
                    n = number[id(node)] = len(self._nodes)
                    self._nodes.append(node)
                    self._postings.append([])
                self._postings[n].append((i, j, weight))
        nodes_by_key: dict[int, list[int]] = defaultdict(list)
        for n, node in enumerate(self._nodes):
            for key in node.keys:
                nodes_by_key[key].append(n)
        self._nodes_by_key = {k: tuple(v) for k, v in nodes_by_key.items()}
        # Topics without terms: evaluated when a key of their gate was hit, or always
        # when the gate can match without a hit (``lang:fr``).
        gates_by_key: dict[int, list[int]] = defaultdict(list)
        self._always: list[int] = []
        for i, rule in enumerate(self._rules):
            if rule.terms:
                continue
            if rule.gate is None:  # neither query nor terms (only built in code): fires on nothing
                if rule.threshold <= 0:
                    self._always.append(i)
            elif rule.gate.needs_hit:
                for key in rule.gate.keys:
                    gates_by_key[key].append(i)
            else:
                self._always.append(i)
        self._gates_by_key = {k: tuple(v) for k, v in gates_by_key.items()}
        self._ancestors = {tid: taxonomy.ancestors(tid) for tid in taxonomy.topics}

    def index(self, doc: Document) -> DocIndex:
        """Tokenize and scan ``doc`` once (exposed for callers that also run queries)."""
        return DocIndex(doc, self._automaton)

    def tag(self, doc: Document) -> list[TopicHit]:
        """Topics of ``doc``, highest score first (ties by id)."""
        idx = self.index(doc)
        hit_keys = idx.hit_keys
        todo: set[int] = set()
        candidates = set(self._always)
        nodes_by_key, gates_by_key = self._nodes_by_key, self._gates_by_key
        for key in hit_keys:
            found = nodes_by_key.get(key)
            if found is not None:
                todo.update(found)
            found = gates_by_key.get(key)
            if found is not None:
                candidates.update(found)
        scored: dict[int, list[tuple[int, float, list[Occ] | None]]] = {}
        nodes, postings = self._nodes, self._postings
        for n in todo:
            occs = nodes[n].ev(idx, TEXT_FIELDS)
            if not occs:
                continue
            term_score = occurrence_score(occs)
            for i, j, weight in postings[n]:
                entry = (j, weight * term_score, occs if weight > 0 else None)
                into = scored.get(i)
                if into is None:
                    scored[i] = [entry]
                else:
                    into.append(entry)
        candidates.update(scored)
        fired: list[tuple[str, float]] = []
        groups: list[list[list[Occ]]] = []
        rules = self._rules
        for i in sorted(candidates):  # taxonomy order: ties between parents' sources stay stable
            rule = rules[i]
            result = rule.weighted(idx, scored[i]) if rule.terms else rule.query_only(idx)
            if result is not None:
                fired.append((rule.topic.id, result[0]))
                groups.append(result[1])
        hits = {tid: TopicHit(tid, score, evidence)
                for (tid, score), evidence in zip(fired, idx.evidence_lists(groups))}
        ancestors = self._ancestors
        for hit in sorted([h for h in hits.values() if ancestors[h.id]], key=_score, reverse=True):
            for anc in ancestors[hit.id]:
                if anc not in hits:
                    hits[anc] = TopicHit(anc, hit.score, list(hit.evidence), implied_by=hit.id)
        out = sorted(hits.values(), key=_id)
        out.sort(key=_score, reverse=True)  # stable: highest score first, ties by id
        return out
