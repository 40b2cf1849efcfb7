"""The real drum recording: the Amen break from Debian's sonic-pi-samples, annotated from its notation."""

from collections import Counter

import numpy as np
import pytest

from bridge.drum_vocabulary import read_annotations
from export.data.drum_kits import SONIC_PI_SAMPLES
from export.data.recorded_drums import build, notated_onsets
from export.evaluate_drums import by_class, evaluate, false_alarms, unscored_onsets


def test_the_notation_gives_every_stroke_of_the_four_bars_on_the_16th_grid():
    onsets = notated_onsets(duration_s=6.4)  # 4 bars of 150 BPM: a 16th every 0.1 s
    assert Counter(label for _, label in onsets) == {"KD": 14, "SD": 19, "RD": 31, "CY": 1}
    assert onsets[0] == (0.0, "KD")
    assert np.allclose([t * 10 for t, _ in onsets], np.round([t * 10 for t, _ in onsets]))
    # the last bar: no kick on the one, the crash on the "and" of three where the ride would be
    assert (4.8, "KD") not in onsets and any(abs(t - 5.8) < 1e-9 and label == "CY" for t, label in onsets)


def test_onsets_in_a_class_the_annotation_lacks_are_counted_apart():
    """Each is counted by the annotated strokes it falls on, within 50 ms: what the transcriber took for it.
    Estimates written by hand, not the drum model, on purpose: the counts must be known exactly; the shipped
    model's are scored on the real break below."""
    reference = [np.array([0.5]), np.zeros(0), np.zeros(0), np.zeros(0), np.array([0.51]), np.zeros(0)]
    estimate = [np.array([0.5]), np.zeros(0), np.array([0.2, 0.52]), np.zeros(0), np.zeros(0), np.array([1.0])]
    counts = unscored_onsets(reference, estimate)
    assert counts == {("hihat", "none"): 1, ("hihat", "kick+crash"): 1, ("ride", "none"): 1}
    assert by_class(counts) == {"hihat": {"kick+crash": 1, "none": 1}, "ride": {"none": 1}}


def test_false_alarms_of_annotated_classes_are_counted_by_the_strokes_they_fall_on():
    """The unmatched onsets of the classes a track has; a matched one (the kick at 0.51, the snare at 1.0) is no
    false alarm, and one stroke matches one onset only (the second kick near 0.5 is one)."""
    reference = [np.array([0.5]), np.array([1.0]), np.array([0.5, 2.0]), np.zeros(0), np.zeros(0), np.zeros(0)]
    estimate = [np.array([0.51, 0.53, 2.01]), np.array([1.0, 0.49]), np.array([0.5]), np.zeros(0), np.zeros(0),
                np.array([3.0])]
    counts = false_alarms(reference, estimate)
    assert counts == {("kick", "kick+hihat"): 1, ("kick", "hihat"): 1, ("snare", "kick+hihat"): 1}


@pytest.mark.skipif(not SONIC_PI_SAMPLES.exists(), reason="needs the Debian package sonic-pi-samples "
                                                          "(scripts/install.sh installs it with the train extra)")
def test_the_shipped_model_transcribes_the_real_break(tmp_path):
    """The built folders hold the break alone and under four recorded bands, with the notated onsets; an onset
    detector agrees with the grid; the live default finds its kicks and snares (0.84 and 0.80 when it was
    shipped: a floor well below, against a broken model or a shifted annotation)."""
    import json

    from export.drum_transcribers import transcribers

    summary = json.loads(build(tmp_path).read_text())
    assert summary["tempo_bpm"] == 140.0 and summary["notation_check"]["share_within_30_ms"] >= 0.9
    assert len(list((tmp_path / "recorded_mix").glob("*.wav"))) == 4
    reference = read_annotations(tmp_path / "recorded_alone" / "amen_break.txt")
    assert [len(times) for times in reference] == [14, 19, 0, 0, 1, 31]

    report = evaluate([tmp_path / "recorded_alone", tmp_path / "recorded_mix"],
                      transcribers(tmp_path, ["model"]))
    alone, mix = report["recorded_alone"]["methods"]["model"], report["recorded_mix"]["methods"]["model"]
    assert "hihat" not in alone["classes"] and alone["f_main"] >= 0.7 and mix["f_main"] >= 0.6
    assert mix["tracks"] == 4
    assert report["recorded_alone"]["strokes"] == {"kick": 14, "snare": 19, "crash": 1, "ride": 31}
    assert report["recorded_mix"]["strokes"]["kick"] == 4 * 14  # the strokes of all the set's tracks
