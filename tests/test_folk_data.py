"""The folk-melody pipeline on small ABC files written here (the real corpora take minutes)."""

import numpy as np
import pytest

pytest.importorskip("music21")

from bridge.score import HOLD, PITCH_LOW, REST, tokens_to_notes  # noqa: E402
from export.data.folk import load_splits, parse_file, save_splits, split_by_title, title_key, transpose  # noqa: E402

ABC = """
X:1
T:The Test Reel
M:4/4
L:1/8
K:G
D|:G2B2 d2B2|c2A2 A4:|
|:d2B2 G2B2|A2c2 B4:|

X:2
T:A Jig Left Out
M:6/8
L:1/8
K:D
DFA dAF|GBd gdB|

X:3
T:Too Low
M:4/4
L:1/4
K:C
C,2 D,2|E,4|G,2 A,2|B,4|

X:4
T:Triplets
M:2/2
L:1/8
K:D
(3ABc d2 f2 a2|g8|(3fed c2 B2 A2|d8|
"""


@pytest.fixture
def abc_file(tmp_path):
    path = tmp_path / "tunes.abc"
    path.write_text(ABC)
    return path


def test_tunes_are_filtered_padded_expanded_and_encoded(abc_file):
    tunes, dropped = parse_file(str(abc_file), "test")
    assert [t.title for t in tunes] == ["The Test Reel", "Triplets"] and dropped == {"meter": 1, "range": 1}
    reel = tunes[0].tokens
    assert reel.shape == (9, 24)  # pickup bar + A part twice + B part twice
    assert list(reel[0, :21]) == [REST] * 21 and reel[0, 21] == 62 - PITCH_LOW  # the pickup D, padded
    assert np.array_equal(reel[1:3], reel[3:5]) and np.array_equal(reel[5:7], reel[7:9])  # repeats, expanded
    notes = tokens_to_notes(reel[1])
    assert [n.pitch for n in notes] == [67, 71, 74, 71] and all(n.duration_ticks == 6 for n in notes)
    triplets = tunes[1].tokens[0]
    assert [n.start_tick for n in tokens_to_notes(triplets)][:4] == [0, 2, 4, 6]  # eighth-note triplets on the grid


def test_split_keeps_every_version_of_a_title_on_one_side(abc_file):
    tunes, _ = parse_file(str(abc_file), "a") + ()
    many = [t.__class__(f"{name} {i % 7}", "x", t.tokens) for i, t in enumerate(tunes * 30) for name in ["Reel of"]]
    renamed = [t.__class__(t.title.replace("Reel of", "The Reel of") if i % 2 else t.title, "y", t.tokens)
               for i, t in enumerate(many)]
    splits = split_by_title(many + renamed, seed=3)
    sides = {name: {title_key(t.title) for t in tunes_} for name, tunes_ in splits.items()}
    assert not (sides["train"] & sides["valid"]) and not (sides["train"] & sides["test"])
    assert not (sides["valid"] & sides["test"])


def test_transposition_stays_in_range_and_keeps_holds_and_rests():
    tokens = np.array([[0, HOLD, REST, 29]])
    assert transpose(tokens, 1) is None and transpose(tokens, -1) is None
    tokens = np.array([[5, HOLD, REST, 20]])
    assert transpose(tokens, 3).tolist() == [[8, HOLD, REST, 23]]


def test_cache_round_trip(abc_file, tmp_path):
    tunes, _ = parse_file(str(abc_file), "test")
    path = save_splits({"train": tunes, "valid": tunes[:1], "test": []}, tmp_path / "cache", {"n": 2})
    loaded = load_splits(path)
    assert [t.shape for t in loaded["train"]] == [t.tokens.shape for t in tunes] and loaded["test"] == []
    assert np.array_equal(loaded["valid"][0], tunes[0].tokens)
