"""Which recordings the held-out soundfont shares with the training soundfonts, read from the real Debian ones."""

import subprocess
import sys

import numpy as np
import pytest
import soundfile

from bridge.instrument_vocabulary import INSTRUMENT_CLASSES, INSTRUMENT_NAMES
from export.data.multitrack import SOUNDFONTS
from export.soundfont_samples import (SoundfontPresets, recorded_table, recordings_shared, riff_chunks, same_audio,
                                      decoded, sample_files, shared_recordings)

TEST_FONT, TRAINING_FONTS = SOUNDFONTS["test"][0], list(SOUNDFONTS["train"])
needs_fonts = pytest.mark.skipif(not all(f.exists() for f in (TEST_FONT, *TRAINING_FONTS)),
                                 reason="the training extras' soundfonts are not installed")


def test_one_recording_correlates_with_itself_and_not_with_another_or_with_silence():
    noise = np.random.default_rng(0).standard_normal((2, 4000))
    assert same_audio(noise[0], noise[0][:3000] * 0.5)  # shorter and quieter: still the same recording
    assert not same_audio(noise[0], noise[1])
    assert not same_audio(noise[0], np.zeros(4000))


def test_a_file_that_is_not_a_soundfont_is_refused_with_its_name(tmp_path):
    text = tmp_path / "notes.sf2"
    text.write_text("not a soundfont")
    with pytest.raises(ValueError, match="notes.sf2 is not a RIFF file"):
        riff_chunks(text, frozenset({"phdr"}))
    empty = tmp_path / "empty.sf2"
    empty.write_bytes(b"RIFF\x04\x00\x00\x00sfbk")
    with pytest.raises(ValueError, match="empty.sf2 has no preset table"):
        SoundfontPresets(empty)


@needs_fonts
def test_the_test_soundfont_replays_fluidr3s_clarinet_but_not_its_trumpet():
    report = shared_recordings(TEST_FONT, TRAINING_FONTS)
    clarinet, trumpet = report["clarinet"], report["trumpet"]
    assert clarinet["samples"] > 0 and clarinet["shared"]["FluidR3_GM.sf2"] == clarinet["samples"] == clarinet["shared_any"]
    assert trumpet["samples"] > 0 and trumpet["shared_any"] == 0
    assert all(row["shared"]["TimGM6mb.sf2"] == 0 for row in report.values())  # its own recordings
    assert "drums" not in report  # the drums play a held-out sampled kit, not a soundfont


@needs_fonts
def test_the_command_tables_the_shared_recordings_and_refuses_a_single_soundfont(tmp_path):
    out = subprocess.run([sys.executable, "-m", "export", "evaluate", "soundfont-samples", "-o", str(tmp_path / "r.json")],
                         capture_output=True, text=True, check=True).stdout
    assert ("| class | samples of MuseScore_General.sf3 | also in FluidR3_GM.sf2 (same class) | also in TimGM6mb.sf2 (same "
            "class) | shared |") in out
    assert "| trumpet | 12 | 0 | 0 | 0% |" in out and (tmp_path / "r.json").exists()
    alone = subprocess.run([sys.executable, "-m", "export", "evaluate", "soundfont-samples", "--data", str(TEST_FONT)],
                           capture_output=True, text=True)
    assert alone.returncode != 0 and "needs the held-out soundfont and at least one training soundfont" in alone.stderr


@needs_fonts
def test_a_recording_that_is_a_training_sample_is_found_by_its_audio_even_when_it_starts_late(tmp_path):
    font = SoundfontPresets(TRAINING_FONTS[0])
    sample = font.class_samples(INSTRUMENT_CLASSES[INSTRUMENT_NAMES.index("clarinet")].programs)[0]
    rate_hz = font.table["shdr"][sample][5]
    late = np.concatenate((np.zeros(int(0.03 * rate_hz)), font.audio(sample)))  # as a decoder's delay
    soundfile.write(tmp_path / "copied.wav", late, rate_hz)
    soundfile.write(tmp_path / "other.wav", np.random.default_rng(0).standard_normal(rate_hz) * 0.1, rate_hz)
    report = recordings_shared({"clarinet": decoded(sample_files([tmp_path]))}, [SoundfontPresets(f) for f in TRAINING_FONTS])
    assert report["clarinet"] == {"recordings": 2, "shared": {"FluidR3_GM.sf2": 1, "TimGM6mb.sf2": 0}}
    assert "| clarinet | 2 | 1 | 0 |" in recorded_table(report)


@needs_fonts
def test_a_training_recording_that_is_a_recorded_test_instrument_is_counted_as_held_out(tmp_path):
    rate_hz = 22050
    tone = np.sin(2 * np.pi * 440 * np.arange(rate_hz) / rate_hz) * np.exp(-np.arange(rate_hz) / 5000)
    soundfile.write(tmp_path / "ours.wav", tone, rate_hz)
    soundfile.write(tmp_path / "test_copy.wav", np.concatenate((np.zeros(400), tone)), rate_hz)  # the same, late
    soundfile.write(tmp_path / "test_other.wav", np.random.default_rng(1).standard_normal(rate_hz) * 0.1, rate_hz)
    ours, fonts = {"clarinet": decoded([tmp_path / "ours.wav"])}, [SoundfontPresets(f) for f in TRAINING_FONTS]
    held_out = {"clarinet": decoded([tmp_path / "test_other.wav"])}
    assert recordings_shared(ours, fonts, held_out)["clarinet"]["held_out"] == 0
    held_out["clarinet"] += decoded([tmp_path / "test_copy.wav"])
    report = recordings_shared(ours, fonts, held_out)
    assert report["clarinet"]["held_out"] == 1
    assert recorded_table(report).splitlines()[0].endswith("| also a recorded test instrument (same class) |")
