"""Instrument data and training, seconds long: stems, mixes with activity labels, a few steps, ONNX export."""

import json
import shutil

import mido
import numpy as np
import pytest
import torch

from bridge.engines.instruments import InstrumentModel, detect
from bridge.features import INSTRUMENT_FEATURES, log_mel
from bridge.instrument_vocabulary import INSTRUMENT_NAMES
from export.card_instruments import (PAIR_BEFORE_DRUM_FIXES, members_phrase, record_variants, retraining_section,
                                     training_command, training_lines, variants_section)
from export.data.audio_effects import darken
from export.data.folk import BAR_TICKS
from export.data.modelled import guitar_model, piano_model, render_note
from export.data.multitrack import (CSOUND_BANK, FLUIDR3_TIMIDITY, FREEPATS, SAMPLE_RATE_HZ, SONG_S, SOUNDFONTS,
                                    PartStyle, build_stems, mix, modelled_stems, read_activity_csv, restore_pitch, songs_midi,
                                    split_plan, split_soundfonts, stretch_ratio, timbre_shifts, trio_mix,
                                    write_activity_csv)
from export.data.render import bank_programs, render_midi
from export.evaluate_instruments import (checkpoint_probabilities, evaluate, held_out_trios, markdown_tables,
                                         shipped_probabilities, trio_report, trio_windows, trios_report)
from export.musicnn_front import MUSICNN_EMBEDDING, SHARED_CLASSES, load_embedding_split, merge_classes, tag_scores
from export.release_instruments import release
from export.thresholds_instruments import best_f1_thresholds, f1_per_class, tune
from export.train_instruments import (InstrumentTrainConfig, instances, load_activity, load_split, train_activity,
                                      train_pooling)


def grid_tune(seed: int) -> np.ndarray:
    """A folk tune on the bar grid, 16 bars: a random note on every beat, held to the next."""
    rng = np.random.default_rng(seed)
    tokens = np.full((16, BAR_TICKS), 30, np.int64)  # holds
    tokens[:, ::6] = rng.integers(5, 25, (16, 4))  # a note on every beat
    return tokens


@pytest.fixture(scope="module")
def stems():
    """Stand-in stems (a different tone per class); FluidSynth renders the real ones in `export data instruments`,
    but under pytest its subprocess never returned here, so the rendering is checked through its MIDI below."""
    n = int(SONG_S * SAMPLE_RATE_HZ)
    t = np.arange(n) / SAMPLE_RATE_HZ
    rng = np.random.default_rng(0)
    songs = []
    for _ in range(2):
        gate = (np.sin(2 * np.pi * rng.uniform(0.5, 2.0) * t) > 0).astype(np.float32)
        songs.append([0.1 * np.sin(2 * np.pi * (80 + 40 * c) * t) * gate for c in range(len(INSTRUMENT_NAMES))])
    return np.array(songs, np.float32)


def test_every_pitched_class_plays_its_part_in_the_stem_render():
    midi, slot_s = songs_midi([(grid_tune(0), 120.0, 1)], [c for c in range(1, len(INSTRUMENT_NAMES))])
    messages = [m for m in midi.tracks[0] if not m.is_meta]
    programs = [m.program for m in messages if m.type == "program_change"]
    assert len(programs) == len(INSTRUMENT_NAMES) - 1 and slot_s == SONG_S + 3.0
    assert sum(m.type == "note_on" for m in messages) > 10 * len(programs)


def _notes(midi) -> list[tuple[float, int]]:
    """(time in seconds, pitch) of every note-on of a ``songs_midi`` file (120 BPM, 480 ticks a beat)."""
    ticks, notes = 0, []
    for message in midi.tracks[0]:
        ticks += message.time
        if message.type == "note_on":
            notes.append((ticks / 960, message.note))
    return notes


def test_idiomatic_parts_strum_the_guitar_and_leave_the_melody_instruments_as_they_were():
    guitar, flute = INSTRUMENT_NAMES.index("acoustic_guitar"), INSTRUMENT_NAMES.index("flute")
    song = [(grid_tune(2), 120.0, 5)]
    plain, idiomatic = songs_midi(song, [guitar])[0], songs_midi(song, [guitar], style=PartStyle(idiomatic=True))[0]
    plain_ms, idiomatic_ms = (np.diff([t for t, _ in _notes(midi)]) * 1000 for midi in (plain, idiomatic))
    assert not ((plain_ms > 0) & (plain_ms < 20)).any()  # block chords
    assert ((idiomatic_ms > 3) & (idiomatic_ms < 16)).sum() > 20  # strings of one stroke a few milliseconds apart
    assert _notes(songs_midi(song, [flute])[0]) == _notes(songs_midi(song, [flute], style=PartStyle(idiomatic=True))[0])


def test_articulated_parts_keep_their_programs_and_play_fewer_and_shorter_notes():
    """``--articulation`` changes only how the parts are played: every stem keeps its program and its notes' starts
    come from the parts without it."""
    pitched = list(range(1, len(INSTRUMENT_NAMES)))
    song = [(grid_tune(4), 120.0, 9)]
    plain = songs_midi(song, pitched, style=PartStyle(idiomatic=True))[0]
    played = songs_midi(song, pitched, style=PartStyle(idiomatic=True, articulation=1.0))[0]

    def programs(midi) -> list[int]:
        return [m.program for m in midi.tracks[0] if m.type == "program_change"]

    assert programs(played) == programs(plain)
    assert set(_notes(played)) < set(_notes(plain))
    held = [sum(m.time for m in midi.tracks[0] if not m.is_meta) for midi in (plain, played)]
    assert held[0] == held[1]  # the slots stay where they were


def test_a_timbre_shifted_stem_is_rendered_transposed_and_faster_in_a_slot_that_holds_it():
    piano = [INSTRUMENT_NAMES.index("piano")]
    song = [(grid_tune(3), 120.0, 3)]
    plain, slot_s = songs_midi(song, piano)
    down, slot_down = songs_midi(song, piano, shifts=np.array([-4]))
    up, slot_up = songs_midi(song, piano, shifts=np.array([5]))
    assert timbre_shifts(song * 50, piano, 0).tolist() == [0] * 50
    assert set(timbre_shifts([(grid_tune(0), 120.0, s) for s in range(200)], piano, 2).tolist()) == {-2, -1, 0, 1, 2}
    assert slot_up == slot_s == SONG_S + 3.0 and slot_down == pytest.approx(SONG_S * 2 ** (4 / 12) + 3.0, abs=0.01)
    for shifted, shift in ((down, -4), (up, 5)):
        pairs = list(zip(_notes(plain), _notes(shifted)))
        assert len(pairs) > 20 and all(b[1] == a[1] + shift for a, b in pairs)
        assert all(abs(b[0] - a[0] / 2 ** (shift / 12)) < 0.01 for a, b in pairs)


@pytest.mark.parametrize("shift", [-3, 4])
def test_restoring_a_shifted_render_gives_back_its_pitch_and_length(shift):
    n, f0 = SAMPLE_RATE_HZ, 440.0
    rendered = np.sin(2 * np.pi * f0 * 2 ** (shift / 12) * np.arange(int(n / stretch_ratio(shift)) + 50) / SAMPLE_RATE_HZ)
    restored = restore_pitch(rendered, shift, n)
    assert restored.shape == (n,) and np.isfinite(restored).all()
    assert abs(np.argmax(np.abs(np.fft.rfft(restored[100:-100] * np.hanning(n - 200)))) * SAMPLE_RATE_HZ / (n - 200) - f0) < 2


def test_a_patch_set_missing_programs_renders_each_class_with_a_program_it_has(tmp_path):
    """TiMidity++ sounds another instrument for a program its patches lack, so such a stem would carry a wrong label."""
    config = tmp_path / "patches.cfg"
    config.write_text("dir /patches\n\ndrumset 0\n\n 35\tDrum_000/035_Kick_1.pat\n\nbank 0\n\n"
                      " 0\tTone_000/000_Acoustic_Grand_Piano.pat amp=120\n 25\tTone_000/025_Steel_Guitar.pat\n"
                      " 73\tTone_000/073_Flute.pat\n")
    assert bank_programs(config) == {0, 25, 73} and bank_programs(CSOUND_BANK) is None
    classes = [INSTRUMENT_NAMES.index(name) for name in ("piano", "acoustic_guitar", "flute")]
    for seed in range(5):
        midi, _ = songs_midi([(grid_tune(seed), 120.0, seed)], classes, bank_programs(config))
        assert [m.program for m in midi.tracks[0] if m.type == "program_change"] == [0, 25, 73]


@pytest.mark.skipif(shutil.which("timidity") is None or not SOUNDFONTS["train"][0].exists(),
                    reason="needs TiMidity++ and FluidR3 (Debian timidity, fluid-soundfont-gm)")
def test_fluidr3_through_timidity_has_every_program_and_sounds_a_flute(tmp_path):
    """The control arm for freepats: TiMidity++ plays FluidR3's recordings, every program of them."""
    assert bank_programs(FLUIDR3_TIMIDITY) is None
    midi = mido.MidiFile(ticks_per_beat=480)
    midi.tracks.append(mido.MidiTrack([mido.Message("program_change", program=73),
                                       mido.Message("note_on", note=69, velocity=100),
                                       mido.Message("note_off", note=69, time=960)]))
    midi.save(tmp_path / "flute.mid")
    audio = render_midi(tmp_path / "flute.mid", SAMPLE_RATE_HZ, FLUIDR3_TIMIDITY)
    note = audio[SAMPLE_RATE_HZ // 4: SAMPLE_RATE_HZ]
    spectrum = np.abs(np.fft.rfft(note * np.hanning(len(note))))
    assert np.sqrt(np.mean(note ** 2)) > 0.01
    assert abs(np.argmax(spectrum) * SAMPLE_RATE_HZ / len(note) - 440.0) < 5


@pytest.mark.parametrize("bank, flag", [(CSOUND_BANK, "csound_bank"), (FREEPATS, "freepats"),
                                        (FLUIDR3_TIMIDITY, "fluidr3_timidity")])
def test_an_extra_bank_joins_the_training_and_validation_soundfonts_only_when_asked_for(bank, flag):
    if not bank.exists():
        pytest.skip(f"{bank} is not installed")
    assert bank not in split_soundfonts("train") and bank not in split_soundfonts("valid")
    assert split_soundfonts("train", **{flag: True})[-1] == bank == split_soundfonts("valid", **{flag: True})[-1]
    assert split_soundfonts("test", **{flag: True}) == split_soundfonts("test")


@pytest.mark.parametrize("model", [piano_model, guitar_model])
def test_a_modelled_string_sounds_its_pitch_and_falls_silent_after_its_note_off(model):
    note = render_note(model(np.random.default_rng(1)), 69, 100, 0.5, SAMPLE_RATE_HZ, np.random.default_rng(2))
    assert np.isfinite(note).all() and len(note) > 0.6 * SAMPLE_RATE_HZ
    spectrum = np.abs(np.fft.rfft(note[: SAMPLE_RATE_HZ // 2]))
    assert abs(np.argmax(spectrum) * 2.0 - 440.0) < 10  # 2 Hz bins
    rms = [np.sqrt(np.mean(note[int(a * SAMPLE_RATE_HZ):int((a + 0.05) * SAMPLE_RATE_HZ)] ** 2)) for a in (0.0, 0.45)]
    after = note[int(0.5 * SAMPLE_RATE_HZ + 5 * 0.2 * SAMPLE_RATE_HZ):]
    assert rms[1] > 0.01 * rms[0] and (len(after) == 0 or np.abs(after).max() < 0.05 * rms[0])


def test_modelled_strings_play_the_piano_and_guitar_parts_of_their_share_of_the_songs():
    songs = [(grid_tune(0), 150.0, 4)]
    assert modelled_stems(songs, 0.0) == {}
    stems = modelled_stems(songs, 1.0)
    assert set(stems) == {(0, INSTRUMENT_NAMES.index("piano")), (0, INSTRUMENT_NAMES.index("acoustic_guitar"))}
    for stem in stems.values():
        assert stem.shape == (int(SONG_S * SAMPLE_RATE_HZ),) and np.isfinite(stem).all()
        levels = [np.abs(stem[s * SAMPLE_RATE_HZ:(s + 1) * SAMPLE_RATE_HZ]).max() for s in range(int(SONG_S))]
        assert min(levels[:18]) > 0.01  # every 1.6-s bar of the tune has notes


def test_stems_rendered_for_another_variant_are_not_reused(tmp_path):
    """A variant built into the folder of another would otherwise train on the other's stems without a word."""
    soundfonts = [tmp_path / "a.sf2"]
    settings = {"songs": 48, "seed": 0, "soundfonts": ["a.sf2"], "modelled_share": 0.0, "timbre_shift": 0}
    np.savez(tmp_path / "stems_train.npz", stems=np.zeros((1, 1, 1), np.float16), soundfonts=np.array(["a.sf2"]),
             settings=np.array(json.dumps(settings, sort_keys=True)))
    no_folk = tmp_path / "missing.npz"  # reusing the stems reads neither the tunes nor the kits
    assert build_stems(tmp_path, "train", 48, 0, [], no_folk, soundfonts) == tmp_path / "stems_train.npz"
    for change in ({"timbre_shift": 4}, {"modelled_share": 0.33}, {"count": 96}):
        arguments = {"count": 48, "timbre_shift": 0, "modelled_share": 0.0, **change}
        with pytest.raises(ValueError, match="give the variant its own --out"):
            build_stems(tmp_path, "train", arguments.pop("count"), 0, [], no_folk, soundfonts, **arguments)


def test_more_training_data_leaves_the_test_set_as_it_is():
    assert split_plan(4)["test"] == split_plan(1)["test"] == (12, 60, 20)
    assert split_plan(4)["train"] == (192, 9600, 10) and split_plan(0.01)["test"] == (2, 4, 20)


def test_a_mix_labels_each_second_from_the_stems_it_uses(stems, tmp_path):
    audio, labels = mix(stems[0], np.random.default_rng(3), 10)
    assert len(audio) == 10 * SAMPLE_RATE_HZ and np.isfinite(audio).all()
    assert labels.shape == (10, len(INSTRUMENT_NAMES)) and 1 <= labels.max(axis=0).sum() <= 6
    write_activity_csv(tmp_path / "mix.csv", labels)
    assert np.array_equal(read_activity_csv(tmp_path / "mix.csv"), labels)


def test_darkened_stems_lose_their_highs_and_a_dark_share_changes_the_mix(stems):
    noise = np.random.default_rng(0).standard_normal(SAMPLE_RATE_HZ).astype(np.float32)
    spectrum = np.abs(np.fft.rfft(darken(noise, np.random.default_rng(1), SAMPLE_RATE_HZ))) ** 2
    freqs = np.fft.rfftfreq(SAMPLE_RATE_HZ, 1 / SAMPLE_RATE_HZ)
    assert spectrum[freqs > 6000].mean() < 0.1 * spectrum[freqs < 500].mean()  # 12 dB an octave above 0.7-3 kHz
    plain, dark = (mix(stems[0], np.random.default_rng(3), 10, share)[0] for share in (0.0, 1.0))
    assert not np.array_equal(plain, dark)


@pytest.fixture(scope="module")
def tiny_data(stems, tmp_path_factory):
    directory = tmp_path_factory.mktemp("instruments")
    for split, count in (("train", 8), ("valid", 4)):
        rng = np.random.default_rng(len(split))
        results = [mix(stems[i % 2], rng, 10) for i in range(count)]
        features = np.stack([log_mel(a, SAMPLE_RATE_HZ, INSTRUMENT_FEATURES)[:500] for a, _ in results]).astype(np.float16)
        np.savez(directory / f"{split}.npz", features=features, labels=np.stack([l for _, l in results]))
    return directory


def test_instances_are_one_second_windows(tiny_data):
    data = np.load(tiny_data / "train.npz")
    windows, labels = instances(data["features"], data["labels"])
    assert windows.shape == (80, 50, INSTRUMENT_FEATURES.n_mels) and labels.shape == (80, len(INSTRUMENT_NAMES))


def test_a_trio_mixes_piano_bass_and_drums_and_labels_the_drums_off_after_they_stop(stems):
    audio, labels = trio_mix(stems[1], "double_bass")
    assert audio.shape == (12 * SAMPLE_RATE_HZ,) and np.abs(audio).max() == pytest.approx(0.8)
    playing = {INSTRUMENT_NAMES[c] for c in np.flatnonzero(labels[:8].max(axis=0))}
    assert playing == {"piano", "double_bass", "drums"} and not labels[9:, INSTRUMENT_NAMES.index("drums")].any()


def test_a_short_run_trains_every_model_and_exports_a_working_engine(tiny_data, stems, tmp_path):
    config = InstrumentTrainConfig(data=tiny_data, out=tmp_path / "runs", steps=3, batch=4, valid_every=3, threads=1)
    for kind in ("fc", "cnn", "crnn"):
        assert train_activity(kind, config).exists()
    assert train_pooling(config).exists()
    # what the evaluation reports for each activity model: the bundled trio, and the trio of each test song
    cnn = checkpoint_probabilities(load_activity(config.out / "activity_cnn.pt"))
    windows = trio_windows()
    trio = trio_report(cnn, windows)
    activity = list(trio["mean_activity"].values())
    assert len(activity) == len(INSTRUMENT_NAMES) and activity == sorted(activity, reverse=True)
    assert set(trio["rank"]) == {"piano", "electric_bass", "drums"} and len(set(trio["rank"].values())) == 3
    assert shipped_probabilities()(windows[:2]).shape == (2, len(INSTRUMENT_NAMES))  # the graph beside the checkpoints
    np.savez(tmp_path / "stems_test.npz", stems=stems.astype(np.float16))
    trios = trios_report(cnn, held_out_trios(tmp_path / "stems_test.npz"))
    assert set(trios) == {"electric_bass", "double_bass"}
    for counts in trios.values():
        assert counts["trios"] == 2 and len(counts["piano_ranks"]) == 2 and all(1 <= r <= 17 for r in counts["piano_ranks"])
        assert 0 <= counts["top_three"] <= counts["top_three_basses_as_one"] <= 2
    out = tmp_path / "models"
    out.mkdir()
    release(config.out, tiny_data, out)
    report = tune(out, tiny_data, [])  # what `export instruments` does after the release
    model = InstrumentModel(out, "cpu")
    assert list(model.thresholds.round(2)) == list(report["thresholds"].values())
    noise = np.random.default_rng(0).standard_normal(48000 * 2).astype(np.float32) * 0.1
    updates = detect(noise, 48000, model)
    assert len(updates) >= 10 and updates[-1].clip is not None


def test_fine_tuning_starts_from_the_checkpoint_it_is_given_and_refuses_another_kind(tiny_data, tmp_path):
    first = train_activity("cnn", InstrumentTrainConfig(data=tiny_data, out=tmp_path / "first", steps=2, batch=4,
                                                        valid_every=2, threads=1))
    still = InstrumentTrainConfig(data=tiny_data, out=tmp_path / "tuned", steps=1, batch=4, valid_every=1, threads=1,
                                  lr=0.0, init=first)  # no step moves a weight: the start is what is saved
    tuned = torch.load(train_activity("cnn", still), weights_only=False)
    start = torch.load(first, weights_only=False)["model"]
    weights = [k for k in start if "running_" not in k and "num_batches" not in k]  # batch norm's statistics move
    assert all(torch.equal(start[k], tuned["model"][k]) for k in weights) and tuned["config"]["init"] == str(first)
    command = training_command("cnn", tmp_path / "tuned", tmp_path / "runs")  # as the card gives it
    assert command.startswith(f"train instruments_cnn --steps 1 --init {first} --lr 0 --data {tiny_data} --threads 1")
    with pytest.raises(ValueError, match="cnn activity model, not a fc"):
        train_activity("fc", still)


def test_a_wider_cnn_is_loaded_at_its_width_and_its_command_says_so(tiny_data, tmp_path):
    config = InstrumentTrainConfig(data=tiny_data, out=tmp_path / "wide", steps=1, batch=4, valid_every=1, threads=1,
                                   width=8)
    model = load_activity(train_activity("cnn", config))
    assert model.blocks[0][0].out_channels == 8 and model.blocks[-1][0].out_channels == 32
    logits, embedding = model(torch.zeros(2, 50, INSTRUMENT_FEATURES.n_mels))
    assert logits.shape == (2, len(INSTRUMENT_NAMES)) and embedding.shape == (2, 128)
    assert training_command("cnn", tmp_path / "wide", tmp_path / "runs").endswith(
        f"--threads 1 --width 8 --out {tmp_path / 'wide'}")


def test_augmented_training_is_named_in_its_command_and_refused_for_the_musicnn_head(tiny_data, tmp_path):
    config = InstrumentTrainConfig(data=tiny_data, out=tmp_path / "recoloured", steps=1, batch=4, valid_every=1,
                                   threads=1, augment=True, augment_shift_bands=0.5)
    assert load_activity(train_activity("cnn", config)) is not None
    assert training_command("cnn", tmp_path / "recoloured", tmp_path / "runs").endswith(
        f"--augment --threads 1 --augment-shift-bands 0.5 --out {tmp_path / 'recoloured'}")
    with pytest.raises(ValueError, match="musicnn head learns from embeddings"):
        train_activity("musicnn", config)


def test_two_seeds_ship_as_one_graph_that_averages_their_logits_and_keeps_the_first_embedding(tiny_data, tmp_path):
    import onnxruntime as ort

    seeds = []
    for seed in (0, 1):
        config = InstrumentTrainConfig(data=tiny_data, out=tmp_path / f"seed{seed}", steps=3, batch=4, valid_every=3,
                                       threads=1, seed=seed)
        train_activity("cnn", config)
        seeds.append(config.out)
    train_pooling(InstrumentTrainConfig(data=tiny_data, out=seeds[0], steps=3, batch=4, valid_every=3, threads=1))
    out = tmp_path / "models"
    out.mkdir()
    release(seeds[0], tiny_data, out, ensemble=(seeds[1],))
    windows = instances(*load_split(tiny_data, "valid"))[0][:4].astype(np.float32)
    session = ort.InferenceSession(str(out / "instruments_activity.onnx"), providers=["CPUExecutionProvider"])
    logits, embedding = session.run(None, {"windows": windows})
    with torch.no_grad():
        first, second = (load_activity(folder / "activity_cnn.pt")(torch.from_numpy(windows)) for folder in seeds)
    np.testing.assert_allclose(logits, (first[0] + second[0]).numpy() / 2, atol=1e-4)
    np.testing.assert_allclose(embedding, first[1].numpy(), atol=1e-4)
    entry = json.loads((out / "manifest.json").read_text())
    assert [m for m in entry["models"] if m["name"] == "instruments"][0]["networks"] == [str(f) for f in seeds]
    # the card's training bullets: each command read from its checkpoint, kept for machines without the run folders
    record = tmp_path / "instruments_training.json"
    lines = training_lines(seeds[0], seeds[1:], record)
    assert lines[0].startswith("- `python -m export train instruments_cnn --steps 3 --threads 1`: ")
    assert " seconds on 2 CPU cores; best validation loss " in lines[0]
    assert lines[1].startswith(f"- `python -m export train instruments_cnn --steps 3 --seed 1 --threads 1 --out {seeds[1]}`")
    assert lines[1].endswith("(another CNN of the shipped graph).") and len(lines) == 2
    shutil.rmtree(seeds[1])
    assert training_lines(seeds[0], seeds[1:], record) == lines


def test_each_class_gets_the_top_of_its_best_f1_range():
    rng = np.random.default_rng(0)
    truth = rng.random((400, 3)) < 0.3
    probabilities = np.where(truth, rng.uniform(0.2, 0.6, truth.shape), rng.uniform(0.0, 0.25, truth.shape))
    probabilities[:, 2] = np.where(truth[:, 2], 0.9, 0.1)  # any threshold above 0.1 and up to 0.9 is perfect
    truth[:, 1] = False  # a class that never occurs keeps the untuned threshold
    thresholds = best_f1_thresholds(truth, probabilities)
    assert 0.2 <= thresholds[0] <= 0.26 and thresholds[1] == 0.5 and thresholds[2] == 0.9
    scores = f1_per_class(truth, probabilities, thresholds, ["a", "b", "c"])
    assert scores["a"] > f1_per_class(truth, probabilities, 0.5, ["a", "b", "c"])["a"] and scores["c"] == 1.0


@pytest.fixture(scope="module")
def musicnn_data(stems, tmp_path_factory):
    """Mixes laid out as `export data instruments --audio` writes them, with embeddings and tags where
    export/musicnn_peer.py puts them. The peer runs musicnn in a TensorFlow environment of its own, which CI
    does not install, so the embeddings here are stand-ins: noise plus a class-dependent direction."""
    from scipy.io import wavfile

    directory = tmp_path_factory.mktemp("musicnn")
    rng = np.random.default_rng(0)
    directions = rng.standard_normal((len(INSTRUMENT_NAMES), MUSICNN_EMBEDDING))
    for split, count in (("train", 8), ("valid", 4), ("test", 2)):
        (directory / split).mkdir()
        (directory / "musicnn" / split).mkdir(parents=True)
        for i in range(count):
            audio, labels = mix(stems[i % 2], rng, 10)
            wavfile.write(directory / split / f"{split}_{i}.wav", SAMPLE_RATE_HZ, audio.astype(np.float32))
            write_activity_csv(directory / split / f"{split}_{i}.csv", labels)
            embedding = labels @ directions + 0.5 * rng.standard_normal((10, MUSICNN_EMBEDDING))
            tags = rng.uniform(0, 1, (10, 50))
            np.savez(directory / "musicnn" / split / f"{split}_{i}.npz", embedding=embedding.astype(np.float16), tags=tags,
                     tag_names=np.array(MTT_TAGS))
    return directory


MTT_TAGS = ["drums", "piano", "guitar", "strings", "violin", "cello", "flute", "synth", "choir", "choral", "voice", "vocal",
            "vocals", "singing"] + [f"other{i}" for i in range(36)]


def test_the_musicnn_front_end_trains_its_heads_and_is_scored_beside_its_own_tags(musicnn_data, tmp_path):
    config = InstrumentTrainConfig(data=musicnn_data, out=tmp_path / "runs", steps=3, batch=4, valid_every=3, threads=1)
    features, labels = load_embedding_split(musicnn_data, "train")
    assert features.shape == (8, 10, MUSICNN_EMBEDDING) and labels.shape == (8, 10, len(INSTRUMENT_NAMES))
    assert instances(features, labels)[0].shape == (80, 1, MUSICNN_EMBEDDING)
    assert train_activity("musicnn", config).exists() and train_pooling(config, "musicnn").exists()

    report = evaluate([musicnn_data / "test"], config.out)
    assert "musicnn" in report["activity"] and "attention" in report["tagging_musicnn"]
    shared = report["shared_classes"]
    assert set(shared) == {"musicnn MTT tags", "musicnn head", "shipped"}  # the graph in models_onnx, always scored
    assert set(shared["musicnn head"]["1s"]) <= set(SHARED_CLASSES)
    assert "shipped" in report["activity"] and "shipped" in report["front_end_latency"]
    families = report["families"]["shipped"]["1s"]  # the live graph's /instrument/family_activity, per second
    assert set(families["auc"]) <= {"drums", "bass", "keys", "guitars", "strings", "winds", "synths", "voice"}
    tables = markdown_tables(report)
    assert "| musicnn MTT tags |" in tables and "| shipped, 1 s |" in tables
    per_class = "| 10-s clip tagging per class, musicnn embeddings | clips | attention P | attention R | attention F1 |"
    assert per_class in tables  # then mean, max, rnn and random forest F1, a row per class in the test clips
    rows = tables.split(per_class)[1].split("\n\n")[0].splitlines()[2:]
    assert [row.split(" | ")[0][2:] for row in rows] == list(report["tagging_musicnn"]["attention"]["classes"])
    cut = evaluate([musicnn_data / "test"], config.out, dropouts_per_s=5.0)  # musicnn's files hold the clean tracks
    assert cut["dropouts_per_s"] == 5.0 and cut["tracks"] == 2 and "shared_classes" not in cut


def test_the_card_compares_the_cnn_trained_on_each_data_variant_evaluated_here_or_before(tmp_path):
    def scores(macro, drums):
        return {"activity": {"cnn": {"1s": {"auc_macro": macro, "auc": {"drums": drums, "piano": 0.7},
                                            "false_on": {"drums": 1 - drums}}}}, "dropouts_per_s": 5.0}

    runs, record = tmp_path / "instruments", tmp_path / "variants.json"
    plain, baseline = tmp_path / "instruments-plain", tmp_path / "instruments-no-dropouts"
    for folder in (runs, plain):  # the shipped model's own evaluation is on other mixes: not a row
        folder.mkdir()
        (folder / "evaluation.json").write_text(json.dumps(scores(0.86, 0.99)))
        (folder / "evaluation_dropouts.json").write_text(json.dumps(scores(0.85, 0.98)))
    assert variants_section(runs, record_variants(runs, record)) == []  # nothing to compare with
    baseline.mkdir()
    (baseline / "evaluation.json").write_text(json.dumps(scores(0.86, 0.99)))
    (baseline / "evaluation_dropouts.json").write_text(json.dumps(scores(0.8, 0.7)))
    table = "\n".join(variants_section(runs, record_variants(runs, record)))
    assert ("| the model shipped before: half the training mixes with dropouts | 0.860 | 0.990 | 0.700 | 0.850 | "
            "0.980 | 1.0% | 2.0% |") in table
    assert "as the models before | 0.860 | 0.990 | 0.700 | 0.800 | 0.700 | 1.0% | 30.0% |" in table
    assert "csound's GM bank among" not in table
    for path in baseline.iterdir():  # evaluated on another machine: the record keeps its row
        path.unlink()
    assert "\n".join(variants_section(runs, record_variants(runs, record))) == table


def test_musicnn_tags_and_project_classes_merge_to_the_instruments_both_name():
    tags = np.zeros((1, len(MTT_TAGS)))
    tags[0, MTT_TAGS.index("cello")] = 0.7
    tags[0, MTT_TAGS.index("singing")] = 0.4
    merged = dict(zip(SHARED_CLASSES, tag_scores(tags, MTT_TAGS)[0]))
    assert merged["strings"] == 0.7 and merged["voice"] == 0.4 and merged["drums"] == 0
    ours = np.zeros((1, len(INSTRUMENT_NAMES)))
    ours[0, INSTRUMENT_NAMES.index("distorted_electric_guitar")] = 0.9
    assert dict(zip(SHARED_CLASSES, merge_classes(ours)[0]))["guitar"] == 0.9


def test_the_card_sets_the_graph_trained_again_against_the_pair_before_on_the_same_mixes():
    def report(macro: float) -> dict:
        level = {"auc_macro": macro, "auc": {"drums": 0.99, "piano": 0.7}}
        trios = {bass: {"top_three": 9} for bass in ("electric_bass", "double_bass")}
        return {"activity": {"shipped": {"1s": level, "track": level}}, "trios": {"shipped": trios}}

    text = " ".join(retraining_section(report(0.87), report(0.86)))
    assert "the graph shipped now scores 0.870 and 0.870 (0.860), drums 0.990 and piano 0.700, and passes it in 9 and 9." in text
    assert f"{PAIR_BEFORE_DRUM_FIXES['auc_1s']:.3f} per second" in text
    assert retraining_section(report(0.87), {}) == []  # not evaluated with dropouts yet: no paragraph


def test_the_card_names_the_networks_of_the_shipped_graph_from_its_manifest_entry():
    """Run folders stand for their CNN (seeds), checkpoints for their own network."""
    assert members_phrase(["runs/instruments"]) == "the CNN"
    assert members_phrase(["runs/instruments", "runs/instruments-x4-seed2"]) == "two seeds of the CNN"
    assert (members_phrase(["runs/instruments", "runs/instruments-x4-seed2", "runs/instruments/activity_crnn.pt"])
            == "two seeds of the CNN and the CRNN")
    networks = ["runs/instruments", "runs/instruments-x4-seed1", "runs/instruments-x4-seed2",
                "runs/instruments/activity_crnn.pt"]
    widths = {"runs/instruments": 32, "runs/instruments-x4-seed1": 16, "runs/instruments-x4-seed2": 16}
    assert members_phrase(networks, widths) == "a CNN of width 32, two CNNs of width 16 and the CRNN"
