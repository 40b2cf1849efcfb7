import numpy as np
import pytest

from bridge.score import HOLD, PITCH_LOW, REST, MelodyHistory, Note, fold_pitch, notes_to_tokens, tokens_to_notes


def test_tokens_round_trip_a_bar_with_rests_holds_and_triplets():
    notes = [Note(60, 0, 6), Note(62, 6, 3), Note(64, 9, 3), Note(67, 16, 2), Note(72, 20, 4)]
    tokens = notes_to_tokens(notes, 24)
    assert tokens.shape == (24,)
    assert tokens[0] == 60 - PITCH_LOW and tokens[1] == HOLD and tokens[18] == REST
    assert tokens_to_notes(tokens) == notes


def test_notes_crossing_bar_lines_continue_as_holds():
    tokens = notes_to_tokens([Note(60, 18, 12)], 24, start_tick=24)
    assert list(tokens[:6]) == [HOLD] * 6 and tokens[6] == REST
    assert tokens_to_notes(tokens) == []  # a leading hold with no onset is silence


def test_monophony_keeps_the_top_of_a_chord_and_cuts_legato():
    tokens = notes_to_tokens([Note(60, 0, 12), Note(64, 0, 12), Note(67, 6, 12)], 24)
    assert tokens_to_notes(tokens) == [Note(64, 0, 6), Note(67, 6, 12)]


def test_out_of_range_pitches_fold_by_octaves():
    assert fold_pitch(30) == 54 + 12 and fold_pitch(100) == 76
    with pytest.raises(ValueError):
        notes_to_tokens([Note(30, 0, 6)], 24)


def test_history_quantises_played_positions_to_bar_and_tick():
    history = MelodyHistory(bar_beats=4.0)
    heard = history.note_on(64, 90, beats=4 * 2 + 1.49)  # bar 2, beat 1.5 -> tick 9
    assert (heard.bar, heard.tick, heard.folded) == (2, 9, False)
    history.note_off(64, beats=4 * 2 + 2.02)
    assert history.bar_tokens(2)[9] == 64 - PITCH_LOW
    assert list(history.bar_tokens(2)[10:12]) == [HOLD, HOLD] and history.bar_tokens(2)[12] == REST
    assert np.all(history.bar_tokens(1) == REST)
