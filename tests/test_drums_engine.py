"""The shipped drum transcriber, streamed as live: accuracy on a held-out render, bad input, other rates."""

import json

import librosa
import numpy as np
import pytest

from bridge.bench import DRUM_BENCH_AUDIO
from bridge.drum_vocabulary import DRUM_NAMES, MAIN_CLASSES, read_annotations
from bridge.engines.drums import DrumEngine, DrumModel, OnsetPicker, PeakMeter, transcribe
from export.evaluate_drums import score_track


@pytest.fixture(scope="module", params=["drums", "drums_lookahead"])
def model(request):
    """Each shipped drum model: the live default, which hears 12.5-17.5 ms of a stroke (a snare 17.5-22.5) before
    naming it, and the one that hears 20-30 ms."""
    return DrumModel(provider="cpu", name=request.param)


@pytest.fixture(scope="module")
def heldout():
    audio, rate = librosa.load(DRUM_BENCH_AUDIO, sr=None)
    return audio, int(rate), read_annotations(DRUM_BENCH_AUDIO.with_suffix(".txt"))


def _per_class(onsets):
    times = [[] for _ in DRUM_NAMES]
    for onset in onsets:
        times[onset.class_index].append(onset.time_s)
    return [np.array(t) for t in times]


def test_a_held_out_render_on_the_unseen_kit_is_transcribed_at_the_cards_level(model, heldout):
    """A regression guard, not the goal: on this render of the held-out real kit the shipped models score F 1.00,
    0.69 and 0.98 (kick, snare, hi-hat; 12.5 ms of look-ahead) and 1.00, 0.81 and 1.00 (20 ms); the issue's
    goal (0.85 on real drums) is not measured here (model card)."""
    audio, rate, reference = heldout
    scores = score_track(reference, _per_class(transcribe(audio, rate, model)))
    assert all(scores[name][0] >= 0.4 for name in MAIN_CLASSES), scores
    assert np.mean([scores[name][0] for name in MAIN_CLASSES]) >= 0.55, scores


@pytest.mark.parametrize("rate", [44100, 48000, 96000])
def test_other_sample_rates_give_the_same_transcription(model, heldout, rate):
    audio, source_rate, reference = heldout
    resampled = librosa.resample(audio, orig_sr=source_rate, target_sr=rate)
    scores = score_track(reference, _per_class(transcribe(resampled, rate, model)))
    assert np.mean([scores[n][0] for n in MAIN_CLASSES]) >= 0.55


def test_silence_dc_offset_and_hum_give_no_flood_of_onsets(model):
    rate = 48000
    quiet = np.zeros(5 * rate, np.float32)
    hum = 0.2 * np.sin(2 * np.pi * 50 * np.arange(5 * rate) / rate).astype(np.float32)
    for signal in (quiet, quiet + 0.3, hum):
        onsets = transcribe(signal, rate, model)
        # The steps into and out of the offset are clicks, and may fire; the steady signal must not.
        assert not [o for o in onsets if 0.2 < o.time_s < 4.9], onsets
        assert len(onsets) <= 6


def test_clipped_drums_still_transcribe_without_a_flood(model, heldout):
    audio, rate, reference = heldout
    clipped = np.clip(audio * 8.0 / np.abs(audio).max(), -1.0, 1.0)
    onsets = transcribe(clipped, rate, model)
    assert len(onsets) < 2 * sum(len(r) for r in reference)
    scores = score_track(reference, _per_class(onsets))
    assert scores["hihat"][0] >= 0.6


def test_the_threshold_trades_onsets_for_precision(model, heldout):
    audio, rate, _ = heldout
    low = len(transcribe(audio, rate, model, threshold=0.2))
    high = len(transcribe(audio, rate, model, threshold=0.9))
    assert low > high


def test_a_threshold_set_for_one_drum_leaves_the_others(model, heldout):
    audio, rate, _ = heldout
    engine = DrumEngine(model, lambda onset: None, threshold=0.5)
    engine.set_threshold(0.3, "hihat")
    assert engine.thresholds() == {name: 0.3 if name == "hihat" else 0.5 for name in model.classes}
    for value, name, message in ((0.0, None, "between 0 and 1"), (1.0, "kick", "between 0 and 1"),
                                 (0.5, "cowbell", "no drum class 'cowbell'")):
        with pytest.raises(ValueError, match=message):
            engine.set_threshold(value, name)
    assert engine.thresholds()["kick"] == 0.5
    found = transcribe(audio, rate, model, threshold=0.9, class_thresholds={"hihat": 0.2})
    assert sum(o.name == "hihat" for o in found) > sum(o.name == "hihat" for o in transcribe(audio, rate, model, 0.9))


def test_the_picker_fires_once_per_crossing_and_respects_the_refractory_time():
    picker = OnsetPicker(1, 0.5, 0.01, refractory_s=0.04)
    curve = np.array([0.1, 0.7, 0.9, 0.2, 0.8, 0.1, 0.1, 0.1, 0.9, 0.1])[:, None]
    assert [frame for frame, _, _ in picker(curve)] == [1, 8]


def test_the_picker_at_two_phases_compares_each_frame_with_the_last_of_its_phase():
    picker = OnsetPicker(1, 0.5, 0.005, refractory_s=0.001, phases=2)
    curve = np.array([0.1, 0.6, 0.7, 0.7, 0.2, 0.9])[:, None]  # phases a, b, a, b, a, b
    assert [frame for frame, _, _ in picker(curve)] == [1, 2]  # b from 0 to 0.6, a from 0.1 to 0.7; b stays up


def test_a_model_at_two_phases_runs_the_network_on_every_other_frame_with_states_of_each_phase(tmp_path):
    """The shipped network, once at two phases and once at one, from manifests that differ in ``phases``
    alone: the activations of each phase are the network's on that phase's frames, whatever the blocks."""
    from bridge.models import MODELS_DIR, load_manifest_entry

    entry = load_manifest_entry("drums", MODELS_DIR)
    models = {}
    for phases in (1, 2):
        folder = tmp_path / str(phases)
        folder.mkdir()
        (folder / entry["files"]["model"]).symlink_to(MODELS_DIR / entry["files"]["model"])
        (folder / "manifest.json").write_text(json.dumps({"models": [{**entry, "phases": phases}]}))
        models[phases] = DrumModel(folder, "cpu", "drums")
    assert models[2].stream_spec.hop * 2 == models[2].spec.hop == models[1].stream_spec.hop
    frames = np.random.default_rng(0).normal(3.0, 1.0, (41, models[1].spec.n_mels)).astype(np.float32)
    dense = np.concatenate([models[2](block) for block in np.split(frames, [1, 4, 5, 20, 27])])
    for phase in (0, 1):
        models[1].reset()
        assert np.allclose(dense[phase::2], models[1](frames[phase::2]), atol=1e-5)


def test_single_frames_run_bound_in_place_as_the_network_runs_them_one_by_one(model):
    """A phase's one frame in a block, as live, goes through ``BoundStates`` (states bound to the session, two sets
    taking turns): bit for bit the network's ``session.run`` frame by frame with the states it returns, in blocks
    of one frame or of one frame a phase, and a reset starts from silence again."""
    frames = np.random.default_rng(2).normal(3.0, 1.0, (13, model.spec.n_mels)).astype(np.float32)
    inputs = [i.name for i in model.session.get_inputs()]
    expected, states = [], [model.silent_states] * model.phases
    for index, frame in enumerate(frames):
        phase = index % model.phases
        logits, *states[phase] = model.session.run(None, dict(zip(inputs, [frame[None, None], *states[phase]])))
        expected.append(1.0 / (1.0 + np.exp(-logits[0])))
    for block in (1, model.phases, 1):
        model.reset()
        blocks = np.split(frames, range(block, len(frames), block))
        assert np.array_equal(np.concatenate([model(part) for part in blocks]), np.concatenate(expected))
    model.reset()


def test_the_picker_gives_the_same_onsets_whatever_the_blocks():
    """Crossings and refractory times carry across blocks: a file in one block, live one frame at a time."""
    rng = np.random.default_rng(0)
    activations = (rng.random((500, 6)) ** 2).astype(np.float32)
    thresholds = np.linspace(0.3, 0.8, 6, dtype=np.float32)
    whole = OnsetPicker(6, thresholds, 0.01)(activations)
    picker = OnsetPicker(6, thresholds, 0.01)
    blocks = [picker(block) for block in np.split(activations, [1, 2, 3, 50, 51, 300])]
    assert len(whole) > 50 and [onset for block in blocks for onset in block] == whole
    assert [(frame, c) for frame, c, _ in whole] == sorted((frame, c) for frame, c, _ in whole)


def test_the_peak_meter_gives_each_stretchs_peak_whatever_the_blocks():
    rng = np.random.default_rng(1)
    activations = rng.random((95, 3)).astype(np.float32)
    meter = PeakMeter(3, 10)
    peaks = [p for block in np.split(activations, [1, 7, 30, 31, 80]) for p in meter(block)]
    assert len(peaks) == 9  # the last 5 frames wait for the next block
    assert np.array_equal(np.array(peaks), activations[:90].reshape(9, 10, 3).max(axis=1))


def test_the_engine_meters_the_peak_activations_and_silence_as_zero(model, heldout):
    """The meters of a sound check: every 10 frames (ten a second), each class's peak; the kicks that fired
    rose above the kick's threshold, and digital silence reads 0."""
    audio, rate, _ = heldout
    found, peaks = [], []
    engine = DrumEngine(model, found.append, on_peaks=peaks.append, peak_frames=10)
    engine.process(audio[: rate * 3], rate, 0.0)
    assert len(peaks) == engine.frames_processed // 10
    kick = model.classes.index("kick")
    assert any(o.name == "kick" for o in found) and max(p[kick] for p in peaks) >= engine.thresholds()["kick"]
    before = len(peaks)
    for start in range(0, rate, 220):  # a second of silence, a frame at a time as live
        engine.process(np.zeros(220, np.float32), rate, 3.0)
    assert len(peaks) - before >= 9 and not np.any(peaks[-5:])


def test_the_engine_timestamps_onsets_in_stream_time_and_resets(model, heldout):
    audio, rate, reference = heldout
    found = []
    engine = DrumEngine(model, found.append)
    engine.process(audio[: rate * 3], rate, 123.0)
    kicks = [o.time_s for o in found if o.name == "kick"]
    # In stream time, each kick found lies on a kick of the score (not on the clock time the blocks came with).
    assert kicks and np.median([np.abs(reference[0] - t).min() for t in kicks]) < 0.02
    assert all(o.detected_s == 123.0 for o in found)
    # Heard at the end of the frame that fired: after the stroke, within the model's look-ahead and a few hops.
    hop_s, frame_s = model.spec.hop_s, model.stream_spec.hop_s  # the network's hop, and its frames' at its phases
    assert all(o.time_s < o.heard_s <= o.time_s + model.time_offset_s[o.class_index] + 4 * hop_s for o in found)
    assert all(abs(o.heard_s / frame_s - round(o.heard_s / frame_s)) < 1e-6 for o in found)
    engine.reset()
    assert engine.frames_processed == 0


def test_the_evaluation_takes_thresholds_for_the_onnx_models_and_refuses_bad_ones(heldout):
    """``evaluate drums --threshold``: the shipped model transcribes with the thresholds given, as
    ``transcribe`` with the same settings does; a bad value or drum name stops before any track."""
    from bridge.models import MODELS_DIR
    from export.__main__ import main
    from export.drum_transcribers import onnx_transcriber

    audio, rate, _ = heldout
    settings = {"threshold": 0.7, "class_thresholds": {"hihat": 0.3}}
    expected = _per_class(transcribe(audio, rate, DrumModel(provider="cpu"), **settings))
    found = onnx_transcriber(MODELS_DIR, **settings)(audio, rate)
    assert all(np.array_equal(a, b) for a, b in zip(found.times, expected))
    assert all(len(h) == len(t) and np.all(h >= t) for h, t in zip(found.heard, found.times))  # heard once it began
    for bad in ("1.5", "cowbell=0.5", "loud"):
        with pytest.raises(SystemExit, match="evaluate drums"):
            main(["evaluate", "drums", "--data", str(DRUM_BENCH_AUDIO.parent), "--methods", "model", "--threshold", bad])
