"""Instrument data and training, seconds long: stems, mixes with activity labels, a few steps, ONNX export."""

from pathlib import Path

import numpy as np
import pytest

from bridge.engines.instruments import InstrumentModel, detect
from bridge.features import INSTRUMENT_FEATURES, log_mel
from bridge.instrument_vocabulary import INSTRUMENT_NAMES
from export.data.folk import BAR_TICKS
from export.data.multitrack import (SAMPLE_RATE_HZ, SONG_S, mix, read_activity_csv, render_stems,
                                    write_activity_csv)
from export.release_instruments import release
from export.train_instruments import InstrumentTrainConfig, instances, train_activity, train_pooling

SOUNDFONT = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")
pytestmark = pytest.mark.skipif(not SOUNDFONT.exists(), reason="timgm6mb-soundfont is not installed")


def _tune(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    tokens = np.full((16, BAR_TICKS), 30, np.int64)  # holds
    tokens[:, ::6] = rng.integers(5, 25, (16, 4))  # a note on every beat
    return tokens


@pytest.fixture(scope="module")
def stems():
    rendered = render_stems([(_tune(0), 120.0, 1), (_tune(1), 100.0, 2)], SOUNDFONT)
    drums = np.random.default_rng(0).standard_normal((2, 1, rendered.shape[2])).astype(np.float32) * 0.05
    return np.concatenate((drums, rendered), axis=1)


def test_every_pitched_class_renders_a_stem_of_the_song_length(stems):
    assert stems.shape == (2, len(INSTRUMENT_NAMES), int(SONG_S * SAMPLE_RATE_HZ))
    audible = [np.abs(stems[0, c]).max() > 1e-3 for c in range(len(INSTRUMENT_NAMES))]
    assert sum(audible) >= len(INSTRUMENT_NAMES) - 2


def test_a_mix_labels_each_second_from_the_stems_it_uses(stems, tmp_path):
    audio, labels = mix(stems[0], np.random.default_rng(3), 10)
    assert len(audio) == 10 * SAMPLE_RATE_HZ and np.isfinite(audio).all()
    assert labels.shape == (10, len(INSTRUMENT_NAMES)) and 1 <= labels.max(axis=0).sum() <= 6
    write_activity_csv(tmp_path / "mix.csv", labels)
    assert np.array_equal(read_activity_csv(tmp_path / "mix.csv"), labels)


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


def test_a_short_run_trains_every_model_and_exports_a_working_engine(tiny_data, tmp_path):
    config = InstrumentTrainConfig(data=tiny_data, out=tmp_path / "runs", steps=3, batch=4, valid_every=3, threads=1)
    for kind in ("fc", "cnn", "crnn"):
        assert train_activity(kind, config).exists()
    assert train_pooling(config).exists()
    out = tmp_path / "models"
    out.mkdir()
    release(config.out, tiny_data, out)
    model = InstrumentModel(out, "cpu")
    noise = np.random.default_rng(0).standard_normal(48000 * 2).astype(np.float32) * 0.1
    updates = detect(noise, 48000, model)
    assert len(updates) >= 10 and updates[-1].clip is not None
