"""Drum training, seconds long on tiny data: targets, a few steps, resume, ONNX export with streaming parity."""

import json
from dataclasses import replace

import numpy as np
import pytest

from bridge.engines.drums import DrumEngine, DrumModel, transcribe
from bridge.features import DRUM_FEATURES, log_mel
from bridge.models import load_manifest_entry
from export.data.drum_kits import HYDROGEN, hydrogen_kit
from export.data.drums import SAMPLE_RATE_HZ, feature_spec, load_features, make_track, save_features
from export.feature_augment import augment_log_mel
from export.pfnmf import fit
from export.release_drums import release
from export.train_drums import (DrumTrainConfig, class_look_aheads, delayed, distilled_targets, ensemble_targets,
                                onset_targets, train)

pytestmark = pytest.mark.skipif(not (HYDROGEN / "BJA_Pacific").is_dir(), reason="hydrogen-drumkits is not installed")


def test_an_onset_marks_the_frame_it_starts_in_and_the_next():
    hop_s = DRUM_FEATURES.hop_s
    targets = onset_targets([np.array([0.5 * hop_s, 10.2 * hop_s]), np.array([])], 20)
    assert targets[:, 0].nonzero()[0].tolist() == [0, 1, 10, 11]
    assert not targets[:, 1].any()
    first_alone = onset_targets([np.array([0.5 * hop_s, 10.2 * hop_s])], 20, frames_each=1)  # --target-frames 1
    assert first_alone[:, 0].nonzero()[0].tolist() == [0, 10]


def test_a_look_ahead_delays_the_targets_by_its_frames():
    targets = onset_targets([np.array([0.0, 18.5 * DRUM_FEATURES.hop_s])], 20)
    assert delayed(targets, 2)[:, 0].nonzero()[0].tolist() == [2, 3]  # the onset in frame 18 falls off the end
    assert delayed(targets, 0) is targets
    assert np.array_equal(onset_targets([np.array([0.0, 18.5 * DRUM_FEATURES.hop_s])], 20, look_ahead=2), delayed(targets, 2))


def test_a_fractional_look_ahead_fires_in_the_first_frame_that_has_heard_enough():
    hop_s = DRUM_FEATURES.hop_s
    onsets = np.array([0.3, 10.7]) * hop_s
    targets = onset_targets([onsets], 20, hop_s, look_ahead=1.5)
    first = targets[:, 0].nonzero()[0][[0, 2]]
    assert first.tolist() == [1, 12]
    heard_hops = (first + 1) - onsets / hop_s  # frame k ends at (k + 1) hops
    assert np.all((heard_hops > 1.5) & (heard_hops <= 2.5))


def test_a_class_with_a_look_ahead_of_its_own_fires_later_than_the_others():
    hop_s = DRUM_FEATURES.hop_s
    look_ahead = class_look_aheads(1.25, {"snare": 1.75})
    assert look_ahead.tolist() == [1.25, 1.75, 1.25, 1.25, 1.25, 1.25]
    stroke = np.array([0.4 * hop_s])  # a kick and a snare together
    targets = onset_targets([stroke, stroke], 10, hop_s, look_ahead[:2])
    assert targets[:, 0].nonzero()[0].tolist() == [1, 2] and targets[:, 1].nonzero()[0].tolist() == [2, 3]
    with pytest.raises(ValueError, match="no drum class 'cowbell'"):
        class_look_aheads(1.25, {"cowbell": 2.0})
    with pytest.raises(ValueError, match="at least 0"):
        class_look_aheads(1.25, {"snare": -1.0})


def test_augmentation_recolours_a_chunk_within_its_limits():
    features = np.random.default_rng(0).uniform(0, 4, (192, DRUM_FEATURES.n_mels)).astype(np.float32)
    untouched = augment_log_mel(features, np.random.default_rng(1), max_eq_db=0.0, max_shift_bands=0.0, max_notch_bands=0)
    assert np.allclose(untouched, features, atol=1e-4)
    loud = np.full((10, DRUM_FEATURES.n_mels), 5.0, np.float32)  # where log10(1 + g * p) is log10(g * p)
    for seed in range(20):
        recoloured = augment_log_mel(loud, np.random.default_rng(seed), max_eq_db=9.0, max_shift_bands=1.5,
                                     max_notch_bands=0)
        assert recoloured.shape == loud.shape and recoloured.dtype == np.float32
        assert np.abs(recoloured - loud).max() <= 0.9 + 1e-3  # 9 dB of power is 0.9 in log10
        assert np.allclose(recoloured, recoloured[0])  # the same EQ in every frame: onsets stay where they are


def tiny_build(directory, spec=DRUM_FEATURES):
    """Four training and two validation tracks of one kit, as ``python -m export data drums`` lays them out."""
    kit = hydrogen_kit(HYDROGEN / "BJA_Pacific", SAMPLE_RATE_HZ)
    for split, seeds in (("train", range(4)), ("valid", range(100, 102))):
        results = []
        for seed in seeds:
            audio, hits = make_track(seed, kit, 4.0, None)
            results.append((log_mel(audio, SAMPLE_RATE_HZ, spec).astype(np.float16), hits, kit.name))
        save_features(directory / f"{split}.npz", results)
    (directory / "drums.json").write_text(json.dumps({"features": spec.as_dict()}))
    return directory


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    return tiny_build(tmp_path_factory.mktemp("drums"))


def test_features_and_onsets_are_saved_per_track(tiny_data):
    tracks, onsets = load_features(tiny_data / "train.npz")
    assert len(tracks) == 4 and tracks[0].shape[1] == DRUM_FEATURES.n_mels
    assert all(len(o[0]) > 0 for o in onsets)  # every track has kicks


def test_a_short_run_trains_resumes_and_exports_a_streamable_onnx_model(tiny_data, tmp_path):
    runs = tmp_path / "runs"
    config = DrumTrainConfig(data=tiny_data, out=runs, steps=4, batch=2, save_every=2, threads=1, augment=True)
    best = train(config)
    assert best.exists()
    config.steps = 6
    train(config)  # resumes from step 4
    history = (runs / "drums_history.json").read_text()
    assert '"step": 6' in history
    out = tmp_path / "models"
    out.mkdir()
    paths, tuning = release(runs, tiny_data, out)
    assert paths[0].exists() and all(0.0 < t < 1.0 for t in tuning["thresholds"])
    model = DrumModel(out, "cpu")
    assert model.classes[:3] == ("kick", "snare", "hihat")
    silence = np.zeros(48000, np.float32)
    assert isinstance(transcribe(silence, 48000, model), list)


def _train_and_release(tiny_data, tmp_path, **options) -> tuple[dict, DrumModel]:
    """Two steps of training with ``options`` (of ``DrumTrainConfig``), then ``release`` into ``tmp_path/models``,
    which raises unless ONNX, streamed in blocks of 1-7 frames, matches PyTorch; the tuning and the loaded model."""
    runs = tmp_path / "runs"
    train(DrumTrainConfig(data=tiny_data, out=runs, steps=2, batch=2, save_every=2, threads=1, **options))
    out = tmp_path / "models"
    out.mkdir()
    _, tuning = release(runs, tiny_data, out)
    return tuning, DrumModel(out, "cpu")


def test_the_crnn_variant_trains_and_streams_its_gru_state_through_onnx(tiny_data, tmp_path):
    _, model = _train_and_release(tiny_data, tmp_path, recurrent=8)
    assert len(model.session.get_inputs()) == 7  # features, five convolution states and the GRU's
    noise = np.random.default_rng(0).standard_normal(48000).astype(np.float32) * 0.1
    assert isinstance(transcribe(noise, 48000, model), list)


def test_a_look_ahead_model_reports_it_and_shifts_its_onsets_back(tiny_data, tmp_path):
    tuning, model = _train_and_release(tiny_data, tmp_path, look_ahead=2)
    assert load_manifest_entry("drums", tmp_path / "models")["look_ahead_frames"] == 2
    assert model.time_offset_s == pytest.approx(tuning["time_offset_s"]) and (model.time_offset_s > 0.01).all()


def test_a_class_with_its_own_look_ahead_ships_its_own_time_offset(tiny_data, tmp_path):
    tuning, model = _train_and_release(tiny_data, tmp_path, look_ahead=1, class_look_ahead={"snare": 2})
    entry = load_manifest_entry("drums", tmp_path / "models")
    assert entry["look_ahead_frames"] == [1, 2, 1, 1, 1, 1] and entry["time_offset_s"] == tuning["time_offset_s"]
    offsets = model.time_offset_s
    assert offsets[1] - offsets[0] == pytest.approx(DRUM_FEATURES.hop_s, abs=1e-4)  # one hop later, shifted back
    assert model.look_ahead_s == pytest.approx(2 * DRUM_FEATURES.hop_s)


def test_two_seeds_ship_as_one_graph_that_averages_their_logits(tiny_data, tmp_path):
    """``export drums --ensemble``: the networks fused, their states side by side; ``release`` checks the
    streamed ONNX graph against PyTorch."""
    for seed in (0, 1):
        train(DrumTrainConfig(data=tiny_data, out=tmp_path / f"seed{seed}", steps=2, batch=2, save_every=2,
                              threads=1, look_ahead=1, seed=seed))
    out = tmp_path / "models"
    out.mkdir()
    release(tmp_path / "seed0", tiny_data, out, ensemble=(tmp_path / "seed1",))
    entry = load_manifest_entry("drums", out)
    assert len(entry["networks"]) == 2 and entry["look_ahead_frames"] == 1
    model = DrumModel(out, "cpu")
    assert len(model.session.get_inputs()) == 6  # features and five convolution states, as one network has
    noise = np.random.default_rng(0).standard_normal(48000).astype(np.float32) * 0.1
    assert isinstance(transcribe(noise, 48000, model), list)


def test_release_refuses_to_average_networks_of_different_look_ahead(tiny_data, tmp_path):
    for look_ahead in (1, 2):
        train(DrumTrainConfig(data=tiny_data, out=tmp_path / f"la{look_ahead}", steps=1, batch=2, save_every=1,
                              threads=1, look_ahead=look_ahead))
    with pytest.raises(ValueError, match="cannot be averaged"):
        release(tmp_path / "la1", tiny_data, tmp_path, ensemble=(tmp_path / "la2",))
    train(DrumTrainConfig(data=tiny_data, out=tmp_path / "snare2", steps=1, batch=2, save_every=1, threads=1,
                          look_ahead=1, class_look_ahead={"snare": 2}))
    with pytest.raises(ValueError, match="cannot be averaged"):
        release(tmp_path / "la1", tiny_data, tmp_path, ensemble=(tmp_path / "snare2",))


def test_a_model_distils_an_ensemble_of_its_look_ahead_and_refuses_another(tiny_data, tmp_path):
    """``train drums --teachers``: half of each target is the teachers' averaged probability."""
    for seed in (0, 1):
        train(DrumTrainConfig(data=tiny_data, out=tmp_path / f"seed{seed}", steps=1, batch=2, save_every=1,
                              threads=1, look_ahead=1, seed=seed))
    tracks, _ = load_features(tiny_data / "train.npz")
    soft = ensemble_targets(tracks, [tmp_path / f"seed{seed}" / "drums_best.pt" for seed in (0, 1)], class_look_aheads(1))
    assert [s.shape for s in soft] == [(len(t), 6) for t in tracks] and all(((s > 0) & (s < 1)).all() for s in soft)
    teachers = (tmp_path / "seed0", tmp_path / "seed1")
    best = train(DrumTrainConfig(data=tiny_data, out=tmp_path / "distilled", steps=2, batch=2, save_every=2,
                                 threads=1, look_ahead=1, teachers=teachers))
    assert best.exists()
    with pytest.raises(ValueError, match="look-aheads of"):
        train(DrumTrainConfig(data=tiny_data, out=tmp_path / "other", steps=1, batch=2, save_every=1, threads=1,
                              look_ahead=2, teachers=teachers))


def test_distilled_targets_can_keep_every_onset_frame_at_its_label():
    labels = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)
    teacher = np.array([[0.4, 0.6], [0.8, 0.2]], np.float32)
    assert np.allclose(distilled_targets(labels, teacher), [[0.2, 0.8], [0.9, 0.1]])
    assert np.allclose(distilled_targets(labels, teacher, off_onsets=True), [[0.2, 1.0], [1.0, 0.1]])


FINE_FEATURES = replace(DRUM_FEATURES, hop=DRUM_FEATURES.hop // 2)  # 5 ms


@pytest.fixture(scope="module")
def fine_data(tmp_path_factory):
    return tiny_build(tmp_path_factory.mktemp("drums-fine"), FINE_FEATURES)


def test_a_build_with_a_finer_hop_trains_and_ships_a_model_that_streams_at_that_hop(fine_data, tmp_path):
    assert feature_spec(fine_data) == FINE_FEATURES
    _, model = _train_and_release(fine_data, tmp_path, look_ahead=3)
    assert model.spec == FINE_FEATURES and model.look_ahead_s == pytest.approx(3 * FINE_FEATURES.hop_s)
    engine = DrumEngine(model, lambda onset: None)
    engine.process(np.random.default_rng(0).standard_normal(4800).astype(np.float32) * 0.1, 48000, 0.0)
    assert engine.frames_processed == pytest.approx(0.1 / FINE_FEATURES.hop_s, abs=1)


def test_release_refuses_a_model_trained_at_another_hop_than_the_build(tiny_data, fine_data, tmp_path):
    runs = tmp_path / "runs"
    train(DrumTrainConfig(data=fine_data, out=runs, steps=1, batch=2, save_every=1, threads=1))
    with pytest.raises(ValueError, match="trained on log-mel frames"):
        release(runs, tiny_data, tmp_path)


def test_a_model_at_two_phases_is_tuned_on_a_build_of_half_its_hop_and_streams_at_it(tiny_data, fine_data, tmp_path):
    """``export drums --phases 2``: the network of 10-ms frames runs every 5 ms, each phase on every other frame,
    and is tuned that way on a build whose hop is half the network's; a build of its own hop is refused."""
    runs = tmp_path / "runs"
    train(DrumTrainConfig(data=tiny_data, out=runs, steps=2, batch=2, save_every=2, threads=1))
    with pytest.raises(ValueError, match="at 2 phases streams log-mel frames"):
        release(runs, tiny_data, tmp_path, phases=2)
    out = tmp_path / "models"
    out.mkdir()
    _, tuning = release(runs, fine_data, out, phases=2)
    model = DrumModel(out, "cpu")
    assert model.phases == 2 and model.spec == DRUM_FEATURES and model.stream_spec == FINE_FEATURES
    assert all(0.0 < t < 1.0 for t in tuning["thresholds"])
    engine = DrumEngine(model, lambda onset: None)
    engine.process(np.random.default_rng(0).standard_normal(4800).astype(np.float32) * 0.1, 48000, 0.0)
    assert engine.frames_processed == pytest.approx(0.1 / FINE_FEATURES.hop_s, abs=1)


def test_pfnmf_refuses_a_build_with_other_frames_than_it_transcribes(fine_data, tmp_path):
    with pytest.raises(ValueError, match="PFNMF transcribes log-mel frames"):
        fit(fine_data, tmp_path)
