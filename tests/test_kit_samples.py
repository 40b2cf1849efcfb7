"""Which recordings the held-out drum kits share with the training kits."""

import json

import numpy as np
import pytest

from export.data.drum_kits import AVL_KITS, SampleKit
from export.kit_samples import class_one_shots, kit_options, report_table, shared_one_shots, soundfont_of

RATE_HZ = 22050


def one_shot(seed: int, length: int = 8000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(length) * np.exp(-np.arange(length) / 2000)).astype(np.float32)


def test_a_held_out_hi_hat_cut_later_and_played_softer_is_found_in_the_training_kit_that_plays_it():
    # Synthetic one-shots, so that which are one recording is known; the real kits are read in the last test.
    hat, kick, other_hat = one_shot(1), one_shot(2), one_shot(3)
    training = [SampleKit("hydrogen:Trainer", True, RATE_HZ, {42: [(0.0, 1.0, hat)], 36: [(0.0, 1.0, one_shot(4))]}),
                SampleKit("hydrogen:Other", True, RATE_HZ, {44: [(0.0, 1.0, other_hat)]})]
    later_and_softer = 0.3 * np.concatenate((np.zeros(66, np.float32), hat))  # 3 ms later
    held_out = SampleKit("hydrogen:Held", True, RATE_HZ, {46: [(0.0, 0.5, later_and_softer), (0.5, 1.0, one_shot(5))],
                                                           36: [(0.0, 1.0, kick)]})
    report = shared_one_shots([held_out], training)["hydrogen:Held"]
    assert report["hihat"] == {"one_shots": 2, "shared": 1, "kits": ["hydrogen:Trainer"]}
    assert report["kick"] == {"one_shots": 1, "shared": 0, "kits": []}
    table = report_table({"hydrogen:Held": report})
    assert "| hydrogen:Held | 0 of 1 | - | 1 of 2 | - | - | - | hydrogen:Trainer |" in table


def test_only_soundfont_kits_are_read_from_their_soundfont():
    assert soundfont_of("hydrogen:BJA_Pacific") is None and soundfont_of("sonic_pi:menegass") is None
    assert soundfont_of("avl:Black_Pearl_4_LV2") == (AVL_KITS[0], 0, 0)
    font, bank, program = soundfont_of("fluidsynth:TimGM6mb:25")
    assert font.name == "TimGM6mb.sf2" and (bank, program) == (128, 25)


@pytest.mark.skipif(not AVL_KITS[0].exists(), reason="avldrums.lv2-soundfont is not installed")
def test_a_soundfont_kit_gives_its_own_samples_by_class_not_its_renders():
    kit = SampleKit("avl:Black_Pearl_4_LV2", True, RATE_HZ)  # no renders: the samples come from the soundfont
    shots = class_one_shots(kit)
    assert len(shots["hihat"]) == 15 and len(shots["kick"]) == 5  # closed, pedal, open: five layers each
    assert all(shot.ndim == 1 and len(shot) > RATE_HZ // 20 for shot in shots["snare"])


def test_the_kits_a_build_played_beyond_the_default_ones_come_from_its_summary(tmp_path):
    assert kit_options(tmp_path) == {"csound": False, "lmms": False}  # no build here: the default kits
    (tmp_path / "drums.json").write_text(json.dumps({"kits": ["hydrogen:GMkit", "lmms:0", "fluidsynth:FluidR3_GM:0"]}))
    assert kit_options(tmp_path) == {"csound": False, "lmms": True}
    (tmp_path / "drums.json").write_text(json.dumps({"kits": ["fluidsynth:sf_GMbank:8"]}))
    assert kit_options(tmp_path) == {"csound": True, "lmms": False}
