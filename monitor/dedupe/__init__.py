"""Duplicate detection: exact copies by content hash, near copies by MinHash story index.

Plain functions and classes without a database; the dedupe pipeline persists
``content_hash``, ``Signature.to_bytes()``, ``duplicate_of`` and the similarity, and
rebuilds the ``StoryIndex`` from the stored signatures on start.
"""

from monitor.dedupe.boilerplate import strip_boilerplate
from monitor.dedupe.index import Match, StoryIndex
from monitor.dedupe.normalize import content_hash, normalize_text
from monitor.dedupe.signature import Signature, signature, similarity
from monitor.dedupe.store import BandStore, InMemoryBandStore

__all__ = [
    "BandStore",
    "InMemoryBandStore",
    "Match",
    "Signature",
    "StoryIndex",
    "content_hash",
    "normalize_text",
    "signature",
    "similarity",
    "strip_boilerplate",
]
