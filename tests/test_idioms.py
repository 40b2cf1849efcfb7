import numpy as np
import pytest

from export.data.accompaniment import TRIADS
from export.data.idioms import EIGHTH, GUITAR_STRINGS, STYLES, articulate, guitar_shape, idiomatic_part, low_line, strum

BAR_TICKS = 24
SECONDS_PER_TICK = 60.0 / 120 / 6  # 120 BPM


def _pitch_classes(chord) -> set[int]:
    root, intervals = chord
    return {(root + i) % 12 for i in intervals}


@pytest.mark.parametrize("chord", TRIADS)
def test_a_guitar_shape_has_its_root_lowest_and_one_chord_tone_per_string_played(chord):
    shape = guitar_shape(chord)
    assert shape[0] % 12 == chord[0] and shape == sorted(shape)
    assert 4 <= len(shape) <= 6 and GUITAR_STRINGS[0] <= shape[0] and shape[-1] <= GUITAR_STRINGS[-1] + 12
    assert {p % 12 for p in shape} == _pitch_classes(chord)


def test_a_down_stroke_sounds_its_strings_low_to_high_a_few_milliseconds_apart():
    notes = strum([TRIADS[0]] * 2, BAR_TICKS, np.random.default_rng(0), SECONDS_PER_TICK)
    first = [n for n in notes if n.start_tick < 1]
    gaps_ms = np.diff([n.start_tick for n in first]) * SECONDS_PER_TICK * 1000
    assert [n.pitch for n in first] == guitar_shape(TRIADS[0])
    assert ((gaps_ms >= 4) & (gaps_ms <= 15)).all()


@pytest.mark.parametrize("name", sorted(STYLES))
def test_every_style_plays_chord_tones_within_the_song_at_valid_velocities(name):
    """Chord tones of each note's bar, but for a walking line's last beat, a half step onto the next root."""
    chords = [TRIADS[3], TRIADS[14], TRIADS[20]]
    for seed in range(6):
        notes = idiomatic_part(name, chords, BAR_TICKS, np.random.default_rng(seed), SECONDS_PER_TICK)
        assert notes and all(0 <= n.start_tick < n.end_tick <= 4 * BAR_TICKS for n in notes)
        for n in notes:
            bar, beat = divmod(int(n.start_tick), BAR_TICKS)
            approach = {(chords[bar + 1][0] + step) % 12 for step in (-1, 1)} if bar < 2 and beat == 18 else set()
            assert n.pitch % 12 in _pitch_classes(chords[bar]) | approach
            assert 20 <= n.velocity <= 127 and isinstance(n.pitch, int)


@pytest.mark.parametrize("name", ["electric_bass", "double_bass"])
def test_a_bass_line_starts_every_bar_on_its_root_and_stays_below_e4(name):
    chords = [TRIADS[3], TRIADS[14], TRIADS[20]]
    for seed in range(6):
        notes = idiomatic_part(name, chords, BAR_TICKS, np.random.default_rng(seed), SECONDS_PER_TICK)
        assert all(n.pitch < 64 for n in notes)
        assert [n.pitch % 12 for n in notes if n.start_tick % BAR_TICKS == 0] == [c[0] for c in chords]


def test_a_low_piano_plays_a_bass_line_alone_and_only_when_asked():
    """``low_line`` is a bass's line: the root on every bar's first tick, in the bass register, no chord above it.
    ``stem_notes`` gives it to a piano only with ``low_piano`` (1.0: every piano that does not play the melody)."""
    from bridge.instrument_vocabulary import INSTRUMENT_CLASSES
    from export.data.multitrack import PartStyle, stem_notes

    chords = [TRIADS[3], TRIADS[14], TRIADS[20]]
    for seed in range(6):
        notes = low_line(chords, BAR_TICKS, np.random.default_rng(seed), SECONDS_PER_TICK)
        assert all(n.pitch < 64 for n in notes) and min(n.pitch for n in notes) < 48
        assert [n.pitch % 12 for n in notes if n.start_tick % BAR_TICKS == 0] == [c[0] for c in chords]
    piano = next(c for c in INSTRUMENT_CLASSES if c.name == "piano")
    tokens = np.zeros((3, BAR_TICKS), np.int64)
    parts = {"melody": ["the melody"], "chords": []}
    low, plain = [], []
    for seed in range(20):
        low.append(stem_notes(piano, tokens, parts, np.random.default_rng(seed), SECONDS_PER_TICK, PartStyle(True, 1.0)))
        plain.append(stem_notes(piano, tokens, parts, np.random.default_rng(seed), SECONDS_PER_TICK, PartStyle(True)))
    assert all(n == ["the melody"] or max(note.pitch for note in n) < 64 for n in low)
    assert any(n != ["the melody"] and max(note.pitch for note in n) >= 64 for n in plain)  # right-hand chords


def test_an_articulated_part_shortens_its_notes_and_leaves_out_whole_strokes():
    """Each note keeps its start and pitch and is held for one share of its length (a quarter to 0.9); where an
    eighth is left out, all its notes go (a strum's six strings together)."""
    notes = strum([TRIADS[0], TRIADS[5]] * 4, BAR_TICKS, np.random.default_rng(1), SECONDS_PER_TICK)
    lengths = {(n.start_tick, n.pitch): n.end_tick - n.start_tick for n in notes}
    strokes = {}
    for n in notes:
        strokes.setdefault(int(n.start_tick // EIGHTH), set()).add((n.start_tick, n.pitch))
    rests = 0
    for seed in range(10):
        played = articulate(notes, np.random.default_rng(seed))
        shares = {round((n.end_tick - n.start_tick) / lengths[n.start_tick, n.pitch], 6) for n in played}
        assert len(shares) == 1 and 0.25 <= shares.pop() <= 0.9
        kept = {(n.start_tick, n.pitch) for n in played}
        assert all(stroke <= kept or not stroke & kept for stroke in strokes.values())
        rests += sum(not stroke & kept for stroke in strokes.values())
    assert rests > 0


def test_a_part_is_articulated_only_when_asked_and_by_its_own_draw():
    """Without ``articulation`` the notes stay as they are; with it, whether and how a part is articulated is drawn
    from the song's seed and the class alone, so that the rest of a build plays as without it."""
    from export.data.multitrack import PartStyle, articulated

    notes = idiomatic_part("electric_bass", [TRIADS[0]] * 3, BAR_TICKS, np.random.default_rng(0), SECONDS_PER_TICK)
    assert articulated(notes, 0.0, 7, 1) == notes
    assert articulated(notes, 1.0, 7, 1) == articulated(notes, 1.0, 7, 1) != notes
    assert sum(n.end_tick - n.start_tick for n in articulated(notes, 1.0, 7, 1)) < sum(n.end_tick - n.start_tick for n in notes)
    shares = [articulated(notes, 0.5, seed, 1) != notes for seed in range(40)]
    assert 10 < sum(shares) < 30
    assert PartStyle(True, 0.5, 0.5).of_split("test") == PartStyle(True, 0.0, 0.5)
    assert PartStyle.of_build({"idiomatic": True}, "valid") == PartStyle(True)
