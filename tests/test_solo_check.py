"""Each class's stems heard alone by the shipped instrument graph, from two sets of stems written here."""

import subprocess
import sys

import numpy as np
import pytest

from bridge.instrument_vocabulary import INSTRUMENT_NAMES
from export.data.multitrack import SAMPLE_RATE_HZ
from export.evaluate_instruments import shipped_probabilities
from export.solo_check import class_solos, evaluate, markdown_table, playing_seconds, share_above

SECONDS = 4
FLUTE, CLARINET = INSTRUMENT_NAMES.index("flute"), INSTRUMENT_NAMES.index("clarinet")


def tone(pitch_hz: float, harmonics: int, seconds: int = SECONDS) -> np.ndarray:
    """A steady tone of ``harmonics`` equal partials (one: a sine)."""
    t = np.arange(seconds * SAMPLE_RATE_HZ) / SAMPLE_RATE_HZ
    return (0.1 * sum(np.sin(2 * np.pi * k * pitch_hz * t) for k in range(1, harmonics + 1))).astype(np.float32)


def stems_with(klass: int, audio: np.ndarray, songs: int = 2) -> np.ndarray:
    """Stems (songs, classes, samples) where only ``klass`` of the first song plays ``audio``."""
    stems = np.zeros((songs, len(INSTRUMENT_NAMES), len(audio)), np.float16)
    stems[0, klass] = audio
    return stems


def test_the_share_above_2khz_tells_a_dark_tone_from_a_bright_one():
    assert share_above(tone(440, 1)) < 0.001
    assert share_above(tone(440, 20)) > 0.5  # harmonics 5-20 lie above 2 kHz
    noise = np.random.default_rng(0).standard_normal(SAMPLE_RATE_HZ)
    assert share_above(noise) == pytest.approx((SAMPLE_RATE_HZ / 2 - 2000) / (SAMPLE_RATE_HZ / 2), abs=0.02)


def test_only_the_seconds_where_a_stem_plays_are_heard():
    stem = np.concatenate([tone(440, 3, 2), np.zeros(2 * SAMPLE_RATE_HZ, np.float32)])
    assert playing_seconds(stem).shape == (2, SAMPLE_RATE_HZ)


def test_a_class_is_heard_alone_over_its_playing_seconds_by_the_shipped_graph():
    solos = class_solos(stems_with(CLARINET, tone(294, 9)), CLARINET, shipped_probabilities())
    assert solos["seconds"] == SECONDS and 0.0 <= solos["own"] <= 1.0 and len(solos["top"]) == 3
    assert solos["top"][0][1] == max(activity for _, activity in solos["top"]) and solos["above_2khz"] > 0.05
    assert class_solos(stems_with(CLARINET, tone(294, 9)), FLUTE, shipped_probabilities()) is None  # never plays


def test_every_set_of_stems_is_reported_under_its_builds_name_and_a_missing_one_is_said(tmp_path):
    for build, klass in (("instruments", FLUTE), ("instruments-recorded-samples", CLARINET)):
        (tmp_path / build).mkdir()
        np.savez(tmp_path / build / "stems_test.npz", stems=stems_with(klass, tone(523, 2)))
    sets = (tmp_path / "instruments" / "stems_test.npz", tmp_path / "instruments-recorded-samples" / "stems_test.npz")
    report = evaluate(sets)
    assert list(report["sets"]) == ["instruments", "instruments-recorded-samples"]
    assert list(report["classes"]) == ["flute", "clarinet"]
    assert list(report["classes"]["flute"]) == ["instruments"]
    table = markdown_table(report)
    assert table.count("\n") == 3 and "| clarinet | - | - | - | " in table
    with pytest.raises(FileNotFoundError, match="data instruments"):
        evaluate((tmp_path / "nowhere" / "stems_test.npz",))
    np.savez(tmp_path / "instruments" / "stems_train.npz", stems=stems_with(FLUTE, tone(523, 2)))
    with pytest.raises(ValueError, match="share one"):  # one build's two splits would hide each other
        evaluate((sets[0], tmp_path / "instruments" / "stems_train.npz"))
    said = subprocess.run([sys.executable, "-m", "export", "evaluate", "instrument-solos", "--data",
                           str(tmp_path / "nowhere.npz")], capture_output=True, text=True)
    assert said.returncode != 0 and "evaluate instrument-solos: no stems at" in said.stderr
