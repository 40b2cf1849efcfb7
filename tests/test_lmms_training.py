"""LMMS's one-note recordings (Debian lmms-common) and the training mixes made again with them."""

import json

import librosa
import numpy as np
import pytest
import soundfile

from bridge.instrument_vocabulary import INSTRUMENT_NAMES
from export.data.accompaniment import BandNote
from export.data.lmms_training import LMMS, LMMS_SAMPLES, build, lmms_samplers, replaced_songs
from export.data.multitrack import SAMPLE_RATE_HZ, split_soundfonts
from export.data.sampler import Sampler
from tests.test_recorded_stems import gated_tone_stems, tiny_folk

needs_lmms = pytest.mark.skipif(not LMMS.is_dir(), reason="needs the Debian package lmms-common (the train extras)")
REPLACED = [INSTRUMENT_NAMES.index(name) for name in LMMS_SAMPLES]


@needs_lmms
@pytest.mark.parametrize("name, pitch", [(f, p) for files in LMMS_SAMPLES.values() for f, p in files.items()])
def test_each_recording_sounds_the_pitch_it_is_listed_with(name, pitch):
    audio, rate_hz = soundfile.read(LMMS / name, always_2d=True)
    f0, voiced, _ = librosa.pyin(audio.mean(axis=1)[: 3 * rate_hz], fmin=45, fmax=2000, sr=rate_hz, frame_length=4096)
    assert voiced.mean() > 0.8
    assert abs(librosa.hz_to_midi(np.nanmedian(f0)) - pitch) < 0.25


def test_folded_notes_keep_their_pitch_class_and_sound_within_six_semitones_of_a_sample(tmp_path):
    rate_hz = 22050
    t = np.arange(rate_hz) / rate_hz
    soundfile.write(tmp_path / "a4.wav", np.sin(2 * np.pi * 440 * t) * np.exp(-t), rate_hz)
    folded = Sampler({tmp_path / "a4.wav": 69}, SAMPLE_RATE_HZ, fold_octaves=True)
    plain = Sampler({tmp_path / "a4.wav": 69}, SAMPLE_RATE_HZ)
    for pitch in range(24, 109):
        sounding = folded.sounding(pitch)
        assert (sounding - pitch) % 12 == 0 and abs(folded.shift(pitch)) <= 6 and abs(sounding - 69) <= 6
        assert plain.sounding(pitch) == pitch and plain.shift(pitch) == pitch - 69
    audio = folded.render([BandNote(0, 50, 33, 80)], 0.01, SAMPLE_RATE_HZ)  # an A1 sounds as the A4 it is folded to
    f0, _, _ = librosa.pyin(audio[: SAMPLE_RATE_HZ // 2], fmin=40, fmax=1000, sr=SAMPLE_RATE_HZ)
    assert abs(librosa.hz_to_midi(np.nanmedian(f0)) - 69) < 0.2


def test_a_third_of_the_songs_are_drawn_the_same_way_every_time():
    songs = replaced_songs(48, 0)
    assert len(songs) == 16 and songs == replaced_songs(48, 0) and songs != replaced_songs(48, 1)
    assert set(songs) <= set(range(48))


def test_missing_recordings_say_which_package_to_install(tmp_path):
    with pytest.raises(FileNotFoundError, match="lmms-common"):
        lmms_samplers(tmp_path)


@pytest.fixture(scope="module")
def tiny_training_build(tmp_path_factory):
    """A build of three training songs: stand-in stems (``gated_tone_stems``: the real ones are FluidSynth's renders,
    whose subprocess never returned under pytest here, as test_recorded_stems says), stand-in validation features
    (copied as bytes, never read), and the settings `data instruments` writes. The LMMS recordings that replace the
    stems are the real ones."""
    directory = tmp_path_factory.mktemp("build")
    tiny_folk(directory)
    np.savez(directory / "stems_train.npz", stems=gated_tone_stems(3))
    np.savez(directory / "valid.npz", features=np.zeros((2, 500, 96), np.float16),
             labels=np.zeros((2, 10, len(INSTRUMENT_NAMES)), np.float32))
    summary = {"seed": 0, "soundfonts": {"train": [font.name for font in split_soundfonts("train")]},
               "idiomatic": True, "dropout_share": 0.5, "splits": {"train": {"songs": 3, "mixes": 4, "seconds": 10}}}
    (directory / "instruments.json").write_text(json.dumps(summary))
    return directory


@needs_lmms
def test_the_training_mixes_are_made_again_with_a_third_of_the_songs_on_lmms_recordings(tiny_training_build, tmp_path):
    out = tmp_path / "lmms"
    record = json.loads(build(tiny_training_build, out, folk=tiny_training_build / "folk.npz", workers=1).read_text())
    songs = record["lmms_samples"]["songs"]
    assert songs == replaced_songs(3, 0) and len(songs) == 1
    before, after = np.load(tiny_training_build / "stems_train.npz")["stems"], np.load(out / "stems_train.npz")["stems"]
    kept_songs = [s for s in range(3) if s not in songs]
    kept_classes = [c for c in range(len(INSTRUMENT_NAMES)) if c not in REPLACED]
    assert np.array_equal(before[kept_songs], after[kept_songs])
    assert np.array_equal(before[songs][:, kept_classes], after[songs][:, kept_classes])
    assert all(not np.array_equal(before[songs, c], after[songs, c]) for c in REPLACED)
    moved = record["lmms_samples"]["moved_from_samples"]
    assert all(m["largest_shift"] <= 6 and m["notes"] > 0 for m in moved.values())
    with np.load(out / "train.npz") as train:
        assert train["features"].shape == (4, 500, 96) and train["labels"].shape == (4, 10, len(INSTRUMENT_NAMES))
    assert (out / "valid.npz").read_bytes() == (tiny_training_build / "valid.npz").read_bytes()


def test_a_build_without_training_stems_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no build"):
        build(tmp_path / "nothing", tmp_path / "out")
