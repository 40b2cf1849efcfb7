"""The shipped instrument graph on one piano phrase at three registers, rendered by FluidSynth and played by the
recorded piano."""

import shutil

import numpy as np
import pytest

from export.data.sampler import SALAMANDER
from export.register_check import PHRASE, RECORDED, REGISTERS, evaluate, markdown_table, phrase_midi, soundfonts

pytestmark = pytest.mark.skipif(not soundfonts() or shutil.which("fluidsynth") is None,
                                reason="needs fluidsynth and a soundfont of the instrument mixes")


def test_the_phrase_is_the_same_notes_moved_by_each_registers_shift():
    for shift in REGISTERS.values():
        notes = [m.note for m in phrase_midi(shift).tracks[0] if m.type == "note_on"]
        assert notes == [p + shift for p in PHRASE * 2]
    assert min(PHRASE) + min(REGISTERS.values()) < 36  # the lowest register reaches below C2


def test_every_register_is_rendered_through_every_soundfont_and_scored_by_the_shipped_graph():
    report = evaluate()
    assert list(report["registers"]) == list(REGISTERS) and report["phrase"] == {"notes": 32, "seconds": 8.0}
    played_by = [*soundfonts(), *([RECORDED] if any(SALAMANDER.glob("*.ogg")) else [])]  # the recorded piano's samples
    for fonts in report["registers"].values():
        assert list(fonts) == played_by
        for result in fonts.values():
            assert all(0.0 <= a <= 1.0 for a in result["activity"].values()) and len(result["top"]) == 3
            assert np.isclose(result["top"][0][1], max(v for _, v in result["top"]))
    table = markdown_table(report)
    assert table.count("\n") == 2 + len(REGISTERS) * len(played_by)
