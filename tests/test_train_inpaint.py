"""Seconds-long training runs of the inpainting models on a few tunes: they learn, save and resume."""

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("music21")

from export.data.folk import Tune, save_splits  # noqa: E402
from export.train_inpaint import TrainConfig, train  # noqa: E402
from tests.test_folk_data import ABC  # noqa: E402


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    from export.data.folk import parse_file

    directory = tmp_path_factory.mktemp("folk")
    abc = directory / "tiny.abc"
    abc.write_text(ABC)
    tunes, _ = parse_file(str(abc), "tiny")
    long_tunes = [Tune(t.title, t.source, t.tokens.repeat(2, axis=0)) for t in tunes]  # long enough for windows
    return save_splits({"train": long_tunes * 4, "valid": long_tunes, "test": long_tunes}, directory, {})


def test_measure_vae_latent_rnn_and_arnn_train_save_and_resume(tiny_data, tmp_path):
    out = tmp_path / "run"
    common = dict(data=tiny_data, out=out, batch=8, save_every=5, valid_every=5, threads=1)
    vae_path = train("measure_vae", TrainConfig(steps=10, **common))
    history = json.loads((out / "measure_vae_history.json").read_text())["history"]
    assert [h["step"] for h in history] == [5, 10] and history[-1]["nll"] < history[0]["nll"] + 0.5
    train("measure_vae", TrainConfig(steps=15, **common))  # resumes at step 10
    assert torch.load(vae_path, weights_only=False)["step"] == 15
    for kind in ("latent_rnn", "arnn"):
        path = train(kind, TrainConfig(steps=5, vae=vae_path, **common))
        checkpoint = torch.load(path, weights_only=False)
        assert checkpoint["step"] == 5 and checkpoint["best_weights"] is not None


def test_copy_by_distance_finds_the_bars_a_tune_repeats():
    import numpy as np

    from export.evaluate_inpaint import Window, copy_by_distance

    a, b = np.full(24, 30), np.full(24, 31)
    a[0], b[0] = 5, 9
    window = Window(np.stack([a, b, a, b, a, b, a, b]), past=3, gap=2)  # ABA [BA] BAB
    copies = copy_by_distance([window])
    assert copies["-2"]["accuracy"] == 1.0 and copies["+2"]["accuracy"] == 1.0
    assert copies["-1"]["accuracy"] < 1.0 and copies["-1"]["bars"] == 1 and copies["+1"]["bars"] == 1
