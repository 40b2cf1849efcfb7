"""The instrument card is written from the files its commands write."""

import numpy as np

from bridge.instrument_vocabulary import INSTRUMENT_NAMES
from export.card_instruments import bundled_trio_lines, registers_section


def test_the_bundled_trio_paragraph_reads_the_times_of_the_updates():
    """Activity written by hand (not a model's, so that every figure is known): drums, electric bass and piano
    until the drums stop at 8 s (the trio's labels), a guitar that does not play after; the drums' flag on from
    1.1 s to 8.3 s. The times are the report's own, not the updates' indices."""
    times = [round(1.0 + 0.1 * i, 1) for i in range(111)]
    activity, active = [], []
    for t in times:
        row = np.zeros(len(INSTRUMENT_NAMES))
        row[[INSTRUMENT_NAMES.index(n) for n in ("electric_bass", "piano")]] = 0.6, 0.5
        row[INSTRUMENT_NAMES.index("drums")] = 0.9 if t <= 8.0 else 0.1
        row[INSTRUMENT_NAMES.index("acoustic_guitar")] = 0.3 if t >= 9.0 else 0.0
        activity.append(row.tolist())
        active.append(["drums"] if 1.1 <= t <= 8.3 else [])
    report = {"classes": list(INSTRUMENT_NAMES), "time_s": times, "activity": activity, "active": active}
    text = " ".join(bundled_trio_lines(report))
    assert "windows end 2-8 s, where all three play, it hears drums 0.90, electric bass 0.60, piano 0.50" in text
    assert "on from 1.1 s to 8.3 s and off from 8.4 s, 0.4 s after they stop at 8 s" in text
    assert "From 9 s to the end (12 s) it hears electric bass 0.60, piano 0.50, acoustic guitar 0.30 (not playing)" in text
    assert bundled_trio_lines({k: v for k, v in report.items() if k != "time_s"}) == []  # an older report: nothing


def test_the_register_section_counts_the_soundfonts_whose_lowest_register_sounds_like_a_bass():
    """A report written by hand: in the lowest register one soundfont's phrase is heard as a double bass first."""
    def result(top: str) -> dict:
        return {"activity": {"piano": 0.4, "double_bass": 0.5, "electric_bass": 0.1}, "top": [[top, 0.5], ["piano", 0.4], ["flute", 0.1]]}

    report = {"phrase": {"notes": 32, "seconds": 8.0},
              "registers": {"A1-F#2": {"one (train)": result("double_bass"), "two (test)": result("piano")},
                            "A4-F#5": {"one (train)": result("piano"), "two (test)": result("piano")}}}
    lines = registers_section(report)
    assert "| A1-F#2 | one (train) | 0.40 | 0.50 | 0.10 | double_bass 0.50, piano 0.40, flute 0.10 |" in lines[5]
    assert any("in 1 of the 2 soundfonts" in line for line in lines)
    assert registers_section({}) == []
