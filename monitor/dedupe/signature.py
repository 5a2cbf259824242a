"""Near-duplicate fingerprints: MinHash over word shingles, persisted as compact bytes.

``signature(text)`` strips boilerplate, normalizes, cuts the text into overlapping
word 4-grams ("shingles") and keeps a 128-value MinHash of that set (datasketch,
``affine32`` scheme, fixed seed) together with the number of distinct shingles.

Knowing both set sizes turns the MinHash Jaccard estimate ``J`` into an estimate of the
*overlap relative to the smaller document*::

    |A ∩ B| ≈ J (|A| + |B|) / (1 + J)        similarity = |A ∩ B| / min(|A|, |B|)

which stays high when a copy cuts the last paragraphs or adds one (plain Jaccard drops
with every added or removed paragraph), while two different articles on the same
subject share almost no 4-grams.

Chinese and Japanese text has no spaces, so each ideograph/kana counts as one word.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import TYPE_CHECKING

import numpy as np

from monitor.dedupe.boilerplate import strip_boilerplate
from monitor.dedupe.normalize import normalize_text

if TYPE_CHECKING:
    from datasketch import MinHash

__all__ = ["Signature", "signature", "shingles", "similarity", "NUM_PERM", "SHINGLE_WORDS", "MIN_WORDS"]

NUM_PERM = 128
SHINGLE_WORDS = 4
MIN_WORDS = 25  # fewer words (after boilerplate removal) -> no signature
_SEED = 1
_FORMAT_VERSION = 1  # bump when normalization, shingling or hashing changes: old signatures are then rejected
_MAGIC = b"MH"
_HEADER = struct.Struct("<2sBBHI")  # magic, format version, shingle words, num_perm, distinct shingle count

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")


@dataclass(frozen=True, eq=False)
class Signature:
    """MinHash values (uint32, read-only) and the number of distinct shingles they summarize."""

    hashes: np.ndarray
    size: int

    def __post_init__(self) -> None:
        hashes = np.asarray(self.hashes)
        if hashes.ndim != 1 or hashes.size == 0 or hashes.size > 0xFFFF:
            raise ValueError(f"Signature.hashes must be a non-empty 1-D array, got shape {hashes.shape}")
        if hashes.dtype != np.uint32:
            if hashes.dtype.kind not in "iu" or hashes.min() < 0 or hashes.max() > 0xFFFFFFFF:
                raise ValueError(f"Signature.hashes must hold uint32 values, got dtype {hashes.dtype}")
            hashes = hashes.astype(np.uint32)
        else:
            hashes = hashes.copy()
        hashes.setflags(write=False)
        if not isinstance(self.size, (int, np.integer)) or not 0 < int(self.size) <= 0xFFFFFFFF:
            raise ValueError(f"Signature.size must be a positive shingle count, got {self.size!r}")
        object.__setattr__(self, "hashes", hashes)
        object.__setattr__(self, "size", int(self.size))

    def to_bytes(self) -> bytes:
        """Compact little-endian form: 10-byte header + 4 bytes per hash (522 bytes for 128)."""
        header = _HEADER.pack(_MAGIC, _FORMAT_VERSION, SHINGLE_WORDS, self.hashes.size, self.size)
        return header + self.hashes.astype("<u4", copy=False).tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Signature:
        """Inverse of ``to_bytes``; ``ValueError`` naming the problem for foreign or damaged input."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"Signature.from_bytes: data must be bytes, not {type(data).__name__}")
        data = bytes(data)
        if len(data) < _HEADER.size:
            raise ValueError(f"Signature.from_bytes: {len(data)} bytes is shorter than the {_HEADER.size}-byte header")
        magic, version, words, num_perm, size = _HEADER.unpack_from(data)
        if magic != _MAGIC:
            raise ValueError(f"Signature.from_bytes: bad magic {magic!r}, not a signature")
        if version != _FORMAT_VERSION or words != SHINGLE_WORDS:
            raise ValueError(
                f"Signature.from_bytes: format v{version}/{words}-word shingles is not the current "
                f"v{_FORMAT_VERSION}/{SHINGLE_WORDS}; recompute signatures from the article text"
            )
        expected = _HEADER.size + 4 * num_perm
        if len(data) != expected:
            raise ValueError(f"Signature.from_bytes: {len(data)} bytes, expected {expected} for {num_perm} hashes")
        return cls(np.frombuffer(data, dtype="<u4", offset=_HEADER.size).astype(np.uint32), size)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Signature):
            return NotImplemented
        return self.size == other.size and np.array_equal(self.hashes, other.hashes)

    def __hash__(self) -> int:
        return hash((self.size, self.hashes.tobytes()))

    def __repr__(self) -> str:
        return f"Signature(size={self.size}, num_perm={self.hashes.size})"


def words(text: str) -> list[str]:
    """Tokens of ``normalize_text(text)``: runs of letters/digits, single CJK characters."""
    return _TOKEN.findall(normalize_text(text))


def shingles(text: str, k: int = SHINGLE_WORDS) -> set[str]:
    """Distinct ``k``-word shingles of the text (no boilerplate removal here)."""
    tokens = words(text)
    return {" ".join(tokens[i : i + k]) for i in range(max(0, len(tokens) - k + 1))}


@lru_cache(maxsize=1)
def _new_minhash() -> Callable[[], MinHash]:
    """A maker of empty MinHashes that share one set of permutations (fixed seed)."""
    # Imported here, not at the top: datasketch's package loads all its sketches (scipy,
    # redis; ~45 MB, ~0.5 s), and only the process computing signatures needs MinHash.
    # The crawler, which reads and compares stored signatures, then never loads it.
    from datasketch import MinHash
    from datasketch.hashfunc import sha1_hash32

    permutations = MinHash(num_perm=NUM_PERM, seed=_SEED, scheme="affine32").permutations
    return partial(MinHash, permutations=permutations, scheme="affine32", hashfunc=sha1_hash32)


def signature(text: str) -> Signature | None:
    """Fingerprint of an article body, or ``None`` when fewer than ``MIN_WORDS`` words remain
    after ``strip_boilerplate`` (too short to tell a copy from a coincidence)."""
    if not isinstance(text, str):
        raise TypeError(f"signature: text must be str, not {type(text).__name__}")
    tokens = words(strip_boilerplate(text))
    if len(tokens) < MIN_WORDS:
        return None
    grams = {" ".join(tokens[i : i + SHINGLE_WORDS]) for i in range(len(tokens) - SHINGLE_WORDS + 1)}
    mh = _new_minhash()()
    mh.update_batch([g.encode("utf-8") for g in grams])
    return Signature(mh.hashvalues, len(grams))


def overlap(jaccard: np.ndarray | float, size_a: np.ndarray | int, size_b: np.ndarray | int) -> np.ndarray:
    """Shared-shingle fraction of the smaller set, from a Jaccard estimate and both set sizes."""
    j = np.asarray(jaccard, dtype=np.float64)
    a = np.asarray(size_a, dtype=np.float64)
    b = np.asarray(size_b, dtype=np.float64)
    return np.minimum(1.0, j * (a + b) / ((1.0 + j) * np.minimum(a, b)))


def similarity(a: Signature, b: Signature) -> float:
    """Estimated overlap of two articles relative to the shorter one, in [0, 1]."""
    if a.hashes.size != b.hashes.size:
        raise ValueError(f"similarity: signatures have {a.hashes.size} and {b.hashes.size} hashes")
    return float(overlap(np.mean(a.hashes == b.hashes), a.size, b.size))
