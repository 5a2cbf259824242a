"""Tests for monitor.dedupe: hashing, boilerplate removal, signatures and the story index.

The articles below are written for these tests (not copied from any outlet).  Similarities
are printed (run ``pytest -s``) so threshold drift is visible.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.dedupe import (
    BandStore,
    InMemoryBandStore,
    Match,
    Signature,
    StoryIndex,
    content_hash,
    normalize_text,
    signature,
    similarity,
    strip_boilerplate,
)
from monitor.dedupe.index import DEFAULT_BANDS, DEFAULT_THRESHOLD
from monitor.dedupe.store import RUNS_BEFORE_MERGE

AMMO = [
    "NATO defence ministers agreed on Thursday to raise the alliance's targets for artillery ammunition stocks, "
    "after months of warnings that European arsenals had been drained by deliveries to Ukraine.",
    "The new targets, which remain classified, were adopted at a meeting in Brussels chaired by the Secretary "
    "General, who told reporters that industry must now move from peacetime production to a sustained surge.",
    "Several governments have signed multi-year framework contracts with manufacturers in Germany, France and "
    "Poland, giving factories the predictable orders they said they needed before hiring staff and adding lines.",
    "Officials said the bottleneck is no longer money but explosives and propellant, whose supply chains depend "
    "on a handful of chemical plants, some of which closed after the end of the Cold War.",
    "The ministers also reviewed plans for a joint procurement agency that would pool orders of smaller member "
    "states, an idea that has been discussed for a decade without producing a single common purchase.",
    "Diplomats expect heads of state to endorse the package at the summit in July, although two capitals have "
    "asked for more time to study the cost of replenishing their reserves within the proposed five-year window.",
]
AIR = [
    "Four fighter jets from the Italian air force arrived in Lithuania on Monday to take over the NATO air "
    "policing mission over the Baltic states, replacing a Danish detachment that completed its four-month rotation.",
    "The aircraft will be on quick reaction alert around the clock at the Siauliai air base, ready to intercept "
    "planes that fly near allied airspace without filing flight plans or switching on their transponders.",
    "Commanders said intercepts of Russian military aircraft over the Baltic Sea rose last year, most of them "
    "transport and reconnaissance flights between the Kaliningrad exclave and the Russian mainland.",
    "The Baltic states have no combat aircraft of their own and have relied on rotating allied detachments since "
    "they joined the alliance in 2004, a mission that the allies describe as a visible sign of solidarity.",
    "Lithuanian officials welcomed the Italian crews at a ceremony attended by the defence minister, who thanked "
    "Rome for its fifth deployment to the region and praised the cooperation with local air traffic controllers.",
    "The rotation is scheduled to last until the end of summer, when aircraft from another ally will take over "
    "the duty under the same arrangement agreed by NATO defence ministers.",
]
FURNITURE_HEAD = "By Jane Doe and John Smith\nPublished: 14 March 2024, 10:32\nShare this article\nFacebook Twitter Email"
FURNITURE_FOOT = "\n".join([
    "Read also: Alliance leaders meet in Washington for the anniversary summit",
    "Lire aussi : Les ministres de la Défense se retrouvent à Bruxelles",
    "Lesen Sie auch: Verteidigungsminister beraten über Munition",
    "© 2024 Defence Daily Europe. All rights reserved.",
    "We use cookies to improve your experience. By continuing to browse you accept our cookie policy.",
    "Follow us on X and LinkedIn",
    "Subscribe to our newsletter for the morning defence briefing",
])


def article(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs)


def sig_of(text: str) -> Signature:
    sig = signature(text)
    assert sig is not None, "test article too short to fingerprint"
    return sig


# ----------------------------------------------------------------------------- hashing
def test_whitespace_and_quote_variants_hash_equal() -> None:
    plain = "NATO's chief said: \"We need more shells - now.\"\nMinisters agreed."
    variant = "  NATO\u2019s   chief said:\u00a0\u201cWe need more shells \u2014 now.\u201d\n\n\nMinisters\tagreed. "
    assert content_hash(plain) == content_hash(variant)
    assert content_hash(plain) != content_hash(plain.replace("shells", "drones"))


def test_normalize_text_unifies_case_accents_quotes_dashes() -> None:
    assert normalize_text("  L\u2019OTAN  \u00ab\u00a0D\u00e9fense\u00a0\u00bb \u2013 \u00c4rger\n") == "l'otan \" defense \" - arger"
    assert normalize_text("\u0928\u092e\u0938\u094d\u0924\u0947") == "\u0928\u092e\u0938\u094d\u0924\u0947"  # Devanagari marks kept


@given(st.text(max_size=200))
def test_normalize_text_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


def test_bad_input_is_named() -> None:
    with pytest.raises(TypeError, match="normalize_text: text must be str"):
        normalize_text(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="signature: text must be str"):
        signature(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="threshold"):
        StoryIndex(threshold=0)


# ----------------------------------------------------------------------------- boilerplate
@pytest.mark.parametrize("line", [
    "By Jane Doe", "Par Jean Dupont et Marie Curie", "Von Anne-Marie Slaughter", "Di Marco Rossi",
    "Read also: NATO summit ends with pledge", "À lire aussi : L'OTAN renforce son flanc est",
    "Lesen Sie auch: Bundeswehr bestellt Munition", "Lee también: La OTAN refuerza su flanco",
    "Leggi anche: Vertice NATO a Washington", "Lees ook: NAVO-top in Den Haag", "Czytaj też: Szczyt NATO",
    "© 2024 Defense News", "Tous droits réservés", "Alle Rechte vorbehalten", "Wszelkie prawa zastrzeżone",
    "Share this article", "Partager cet article", "Artikel teilen", "Compartir", "Condividi", "Delen",
    "Udostępnij", "We use cookies to improve your experience. Accept all cookies",
    "Ce site utilise des cookies pour améliorer votre expérience.", "Diese Website verwendet Cookies.",
    "Utilizziamo i cookie per migliorare la tua esperienza.", "Photo: Reuters/John Doe", "Advertisement",
    "Reporting by Sabine Siebold; Editing by Alex Richardson",
])
def test_strip_boilerplate_drops_furniture(line: str) -> None:
    body = AMMO[0]
    assert strip_boilerplate(f"{line}\n{body}\n{line}") == body


@pytest.mark.parametrize("line", [
    "By 2030, the European Union wants to double its production of artillery shells, officials said.",
    "The Commission said the cookie rules would be reviewed next year, in a long paragraph about privacy law "
    "and how consumers across the union experience consent banners on news sites and shops.",
    "Par ailleurs, les ministres ont validé le budget.",
    "Share prices of defence companies rose sharply after the announcement, extending a rally that began in 2022.",
])
def test_strip_boilerplate_keeps_body_lines(line: str) -> None:
    assert strip_boilerplate(line) == line


def test_boilerplate_only_overlap_does_not_match() -> None:
    a = sig_of(FURNITURE_HEAD + "\n" + article(AMMO[:3]) + "\n" + FURNITURE_FOOT)
    b = sig_of(FURNITURE_HEAD + "\n" + article(AIR[:3]) + "\n" + FURNITURE_FOOT)
    sim = similarity(a, b)
    print(f"shared furniture only: similarity {sim:.3f}")
    assert sim < 0.2
    index = StoryIndex()
    index.add(1, a)
    assert index.query(b) is None


# ----------------------------------------------------------------------------- signatures
def test_signature_bytes_round_trip() -> None:
    sig = sig_of(article(AMMO))
    data = sig.to_bytes()
    assert isinstance(data, bytes) and len(data) == 10 + 4 * sig.hashes.size
    back = Signature.from_bytes(data)
    assert back == sig and back.size == sig.size and np.array_equal(back.hashes, sig.hashes)
    assert back.hashes.dtype == np.uint32


@pytest.mark.parametrize("data, reason", [
    (b"MH", "shorter than"),
    (b"XX" + bytes(8 + 512), "bad magic"),
])
def test_signature_from_bad_bytes_names_the_problem(data: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        Signature.from_bytes(data)


def test_signature_from_truncated_bytes_fails() -> None:
    with pytest.raises(ValueError, match="expected"):
        Signature.from_bytes(sig_of(article(AMMO)).to_bytes()[:-4])


def test_short_text_has_no_signature() -> None:
    assert signature("NATO ministers meet in Brussels on Thursday.") is None
    assert signature(FURNITURE_HEAD + "\n" + FURNITURE_FOOT) is None  # furniture alone is not an article


# ----------------------------------------------------------------------------- the index
COPIES = {
    "new headline": "Alliance lifts ammunition goals as stocks run low\n\n" + article(AMMO),
    "cut ending": article(AMMO[:3]),
    "inserted paragraph": article(AMMO[:3] + [AIR[3]] + AMMO[3:]),
    "furniture and typography": FURNITURE_HEAD + "\n" + article(AMMO).replace("'", "\u2019").replace(" ", "  ")
    + "\n" + FURNITURE_FOOT,
    "all at once": "Update: NATO raises shell targets\n" + FURNITURE_HEAD + "\n" + article(AMMO[:4]),
}


@pytest.mark.parametrize("edit", sorted(COPIES))
def test_copies_join_their_story(edit: str) -> None:
    index = StoryIndex()
    index.add(10, sig_of(article(AMMO)))
    index.add(11, sig_of(article(AIR)))
    match = index.query(sig_of(COPIES[edit]))
    print(f"{edit}: {match}")
    assert match is not None and match.article_id == 10
    assert DEFAULT_THRESHOLD <= match.similarity <= 1.0


def test_unrelated_same_subject_articles_do_not_match() -> None:
    ammo, air = sig_of(article(AMMO)), sig_of(article(AIR))
    print(f"unrelated NATO articles: similarity {similarity(ammo, air):.3f}")
    assert similarity(ammo, air) < 0.1
    index = StoryIndex()
    assert index.query_and_add(1, ammo) is None
    assert index.query_and_add(2, air) is None
    assert index.story_of(2) == 2


def test_earliest_stays_original() -> None:
    index = StoryIndex()
    assert index.query_and_add(1, sig_of(article(AMMO))) is None
    second = index.query_and_add(2, sig_of(article(AMMO[:4])))
    assert second == Match(1, second.similarity, 1)
    # A copy of the short copy (closest to article 2) still belongs to the story of article 1.
    third = index.query_and_add(3, sig_of(article(AMMO[:4]) + "\n\nShare prices of defence firms rose."))
    assert third is not None and third.article_id == 1
    assert [index.story_of(i) for i in (1, 2, 3)] == [1, 1, 1]
    assert len(index) == 3 and 3 in index


def test_index_rebuilt_from_persisted_signatures_gives_same_matches() -> None:
    stream = [article(AMMO), article(AIR), COPIES["cut ending"], article(AIR[:4]), COPIES["new headline"]]
    live = StoryIndex()
    persisted = []  # what the database keeps: id, signature bytes, story id
    for article_id, text in enumerate(stream, start=100):
        sig = sig_of(text)
        match = live.query_and_add(article_id, sig)
        persisted.append((article_id, sig.to_bytes(), match.article_id if match else article_id))
    assert [p[2] for p in persisted] == [100, 101, 100, 101, 100]

    rebuilt = StoryIndex()
    rebuilt.extend(persisted)
    probes = [COPIES[k] for k in sorted(COPIES)] + [article(AIR[1:]), article(AMMO[2:] + AIR[:1])]
    for text in probes:
        assert rebuilt.query(sig_of(text)) == live.query(sig_of(text))
    assert [rebuilt.story_of(p[0]) for p in persisted] == [p[2] for p in persisted]


def test_index_rejects_duplicate_ids() -> None:
    index = StoryIndex()
    index.add(1, sig_of(article(AMMO)))
    with pytest.raises(ValueError, match="already stored"):
        index.add(1, sig_of(article(AIR)))


def test_full_index_forgets_its_oldest_quarter_and_stops_matching_them() -> None:
    """With a capacity the index holds the newest articles only: memory stays flat as the database grows."""
    index = StoryIndex(capacity=8)
    index.add(1, sig_of(article(AMMO)))
    filler = [article([f"Rotation {n}, item {n * 13}: " + p for p in AIR[n % 3:]]) for n in range(8)]
    for n, text in enumerate(filler, start=2):  # copies of one AIR story, none of AMMO
        index.query_and_add(n, sig_of(text))
    # nine added, capacity eight: the oldest 9 - 6 = 3 were forgotten at once
    assert len(index) == 6 and 1 not in index and 3 not in index and 4 in index and 9 in index
    assert len(index._store) == 6  # the band store forgot them too
    assert index.query(sig_of(COPIES["cut ending"])) is None  # article 1's copy: its original is gone
    match = index.query(sig_of(filler[-1]))
    assert match is not None and match.article_id == 2 and match.closest_id in index  # story ids outlive eviction
    index.add(10, sig_of(article(AMMO)))
    again = index.query_and_add(11, sig_of(COPIES["cut ending"]))
    assert again is not None and again.article_id == 10


def test_index_capacity_is_checked() -> None:
    with pytest.raises(ValueError, match="capacity must be an int of at least 4"):
        StoryIndex(capacity=2)


def test_band_store_discard_forgets_only_those_articles() -> None:
    store = InMemoryBandStore(bands=4, buffer_size=3)
    keys = np.array([[1, 2, 3, 4], [1, 5, 6, 7], [8, 2, 9, 9], [11, 11, 11, 11]], dtype=np.uint32)
    for i, row in enumerate(keys):
        store.add(i, row)  # the last one sits in the buffer: discard must reach it too
    store.discard(np.array([0, 3]))
    assert len(store) == 2
    assert store.candidates(keys[0]).tolist() == [1, 2]
    assert store.candidates(keys[3]).tolist() == []


def test_in_memory_band_store_finds_every_shared_band() -> None:
    rng = np.random.default_rng(3)
    store = InMemoryBandStore(bands=8, buffer_size=5)  # small buffer: exercises merges
    assert isinstance(store, BandStore)
    keys = rng.integers(0, 50, size=(40, 8), dtype=np.uint32)  # few values: many collisions
    store.add_many(np.arange(20), keys[:20])
    for i in range(20, 40):
        store.add(i, keys[i])
    assert len(store) == 40
    for probe in keys[::7]:
        expected = sorted(int(i) for i in np.flatnonzero((keys == probe).any(axis=1)))
        assert store.candidates(probe).tolist() == expected


def test_in_memory_band_store_widens_ids_beyond_int32() -> None:
    store = InMemoryBandStore(bands=4, buffer_size=1)
    keys = np.array([[1, 2, 3, 4], [1, 9, 9, 9], [7, 7, 7, 4]], dtype=np.uint32)
    store.add(5, keys[0])
    store.add(2**40, keys[1])  # larger than int32: must survive exactly
    store.add(-3, keys[2])
    store.add(6, keys[2])  # triggers the merge of the buffered entries
    assert store.candidates(keys[0]).tolist() == sorted([5, 2**40, -3, 6])
    assert store.candidates(np.array([0, 9, 0, 0], dtype=np.uint32)).tolist() == [2**40]


@pytest.mark.parametrize("background", [True, False])
def test_band_store_agrees_with_a_scan_through_merges_and_forgetting(background: bool) -> None:
    """Answers stay exact whether a merge is under way, done, or taking forgotten articles out."""
    rng = np.random.default_rng(7)
    store = InMemoryBandStore(bands=4, buffer_size=4, background=background)
    keys = rng.integers(0, 60, size=(300, 4), dtype=np.uint32)
    alive = np.zeros(300, dtype=bool)
    store.add_many(np.arange(40), keys[:40])
    alive[:40] = True
    for i in range(40, 300):
        store.add(i, keys[i])
        alive[i] = True
        if i % 50 == 49:  # forget the oldest 30 still held, as the story index does when full
            oldest = np.flatnonzero(alive)[:30]
            alive[oldest] = False
            store.discard(oldest)
        if i % 17 == 0:
            probe = keys[i // 2]
            expected = sorted(int(j) for j in np.flatnonzero(alive & (keys == probe).any(axis=1)))
            assert store.candidates(probe).tolist() == expected
    assert len(store) == int(alive.sum())
    store.settle()
    assert store.runs < RUNS_BEFORE_MERGE
    assert not np.isin(store._base.ids, np.flatnonzero(~alive)).any()  # forgotten ones left the big array


def test_band_store_merges_in_its_own_thread() -> None:
    store = InMemoryBandStore(bands=2, buffer_size=2)
    keys = np.arange(80, dtype=np.uint32).reshape(40, 2)
    for i, row in enumerate(keys):
        store.add(i, row)
    assert any(thread.name.startswith("band-merge") for thread in threading.enumerate())
    store.settle()
    assert store.candidates(keys[3]).tolist() == [3] and store._base.keys.size >= 2 * 2 * RUNS_BEFORE_MERGE


def test_index_at_capacity_leaves_only_what_it_holds_in_the_band_store() -> None:
    store = InMemoryBandStore(DEFAULT_BANDS, buffer_size=2, background=False)
    index = StoryIndex(capacity=8, store=store)
    for n in range(1, 20):
        index.add(n, sig_of(article(AIR) + f" variant {n}"))
    store.settle()
    in_store = {int(i) for run in [store._base, *store._runs] for i in run.ids}
    in_store |= set(store._buf_ids[: store._buffered].tolist())
    assert in_store == {n for n in range(1, 20) if n in index} and len(store) == len(index)
