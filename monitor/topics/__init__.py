"""Topic tagging and the query language shared by topics, alerts and search.

    from monitor.topics import Taxonomy, Tagger, Document
    tagger = Tagger(Taxonomy.load())
    hits = tagger.tag(Document(title=..., text=...))

See docs/query-language.md.
"""

from .explain import explain, snippet
from .matcher import CompiledQuery, compile_query
from .model import Document, Evidence, TopicHit
from .normalize import normalize_word, tokenize
from .query import Query, QuerySyntaxError, parse_query
from .tagger import Tagger
from .taxonomy import Taxonomy, TaxonomyError, Topic

__all__ = [
    "CompiledQuery",
    "Document",
    "Evidence",
    "Query",
    "QuerySyntaxError",
    "Tagger",
    "Taxonomy",
    "TaxonomyError",
    "Topic",
    "TopicHit",
    "compile_query",
    "explain",
    "normalize_word",
    "parse_query",
    "snippet",
    "tokenize",
]
