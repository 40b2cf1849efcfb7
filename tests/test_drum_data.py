"""Drum training data: grooves, kits, renders with exact labels, annotation files."""

import json
from collections import Counter

import numpy as np
import pytest

from bridge.drum_vocabulary import (DRUM_CLASSES, class_of_gm_note, class_of_label, label_of_gm_note, read_annotations,
                                    read_strokes)
from export.data import drum_kits
from export.data.audio_effects import CHAIN, dropouts, recording_chain
from bridge.features import DRUM_FEATURES
from export.data.drum_kits import (ATTACK_DB, CSOUND_KITS, HELD_OUT_KITS, HYDROGEN, LMMS_DRUMS, LMMS_KIT_COUNT,
                                   LMMS_ONE_SHOTS, MORE_HELD_OUT_KITS, SONIC_PI_KIT, SONIC_PI_ONE_SHOTS,
                                   SONIC_PI_SAMPLES, SampleKit, attack_aligned, from_attack, gm_note_of, hydrogen_kit,
                                   kit_cache_name, kit_sources, kits_for, kits_without, lmms_kit, mixed_kit,
                                   sonic_pi_kit)
from export.data.drums import SAMPLE_RATE_HZ, default_plans, existing_build, make_track, write_annotated
from export.data.grooves import STYLES, generate
from export.data.synth_kits import synth_kit
from export.evaluate_drums import score_track


def test_a_seed_gives_one_performance_and_every_style_has_its_kick_snare_and_hats():
    assert generate(7, 10.0) == generate(7, 10.0)
    for style in STYLES:
        hits, feel = generate(3, 12.0, style=style)
        classes = Counter(DRUM_CLASSES[class_of_gm_note(h.note)].name for h in hits if class_of_gm_note(h.note) is not None)
        assert classes["kick"] > 0 and (classes["hihat"] + classes["ride"]) > 0, (style, classes)
        assert all(0 <= h.time_s < 12.0 and 1 <= h.velocity <= 127 for h in hits)
        assert 60 <= feel.tempo_bpm <= 200


def test_a_groove_strikes_each_drum_once_per_step():
    """A voice's random extra steps and the crash's kick on the one after a fill used to add a second stroke of
    the same drum a few ms from the first: a flam no drummer plays, and a label no transcriber can match."""
    for seed in range(300):
        hits, feel = generate(seed, 20.0, scattered_share=0.0)
        sixteenth_s = 60.0 / feel.tempo_bpm / 4
        for note in {hit.note for hit in hits}:
            gaps = np.diff([hit.time_s for hit in hits if hit.note == note])
            assert gaps.size == 0 or gaps.min() > 0.1 * sixteenth_s, (seed, note, gaps.min())  # human timing moves less


def test_scattered_drills_put_each_drum_on_its_own_clock():
    hits, feel = generate(1, 30.0, style="scattered")
    assert feel.style == "scattered" and hits
    grooves = [generate(seed, 8.0, scattered_share=0.0)[1].style for seed in range(50)]
    assert "scattered" not in grooves
    drills = [generate(seed, 8.0)[1].style for seed in range(200)]
    assert 0.1 < drills.count("scattered") / 200 < 0.4


def test_drums_follow_a_fixed_tempo_and_bar_line():
    hits, feel = generate(5, 8.0, style="rock", tempo_bpm=120.0, start_s=0.5)
    assert feel.tempo_bpm == 120.0
    assert min(h.time_s for h in hits) > 0.45  # nothing before the first bar line but human timing


@pytest.mark.parametrize("name, note", [("Kick (Tama Superstar 22\")", 36), ("Pearl Snare Rimshot", 40),
                                        ("Sabian Hat Semi-Open", 46), ("Closed HH", 42), ("Pedal HH", 44),
                                        ("Tom Low", 43), ("Paiste Ride", 51), ("Ride Bell", 53), ("crash16inch", 49),
                                        ("Cowbell", 56), ("Djembe1 Slap", None),
                                        ("Snare Roll", None), ("Sabian Hat Choke", None), ("Zildjian Splash Choke", None)])
def test_hydrogen_instrument_names_map_to_gm_notes(name, note):
    assert gm_note_of(name) == note


def test_a_kit_read_by_other_rules_is_not_taken_from_the_cache(monkeypatch):
    before = kit_cache_name("hydrogen:The Black Pearl 1.0", 22050)
    monkeypatch.setattr(drum_kits, "HYDROGEN_GESTURES", r"roll")  # chokes read as hi-hats again
    assert kit_cache_name("hydrogen:The Black Pearl 1.0", 22050) != before


def test_annotation_labels_and_aliases():
    assert class_of_label("KD") == class_of_label("bd") == 0
    assert class_of_label("OHH") == class_of_label("HH") == 2
    assert class_of_label("cowbell") is None
    # Written annotations tell the hi-hat's strokes apart, as public sets do, and read back as the hi-hat.
    assert [label_of_gm_note(note) for note in (36, 38, 42, 44, 46, 51)] == ["KD", "SD", "CHH", "PHH", "OHH", "RD"]
    assert all(class_of_label(label_of_gm_note(note)) == 2 for note in (42, 44, 46))


def test_every_effect_keeps_length_and_stays_finite():
    rng = np.random.default_rng(0)
    audio = rng.standard_normal(SAMPLE_RATE_HZ).astype(np.float32) * 0.1
    for effect, _ in CHAIN:
        out = effect(audio, rng, SAMPLE_RATE_HZ)
        assert out.shape == audio.shape and np.isfinite(out).all(), effect.__name__
    assert np.abs(recording_chain(audio, rng, SAMPLE_RATE_HZ)).max() <= 1.0


def test_dropouts_silence_or_repeat_short_stretches():
    rng = np.random.default_rng(1)
    audio = np.sin(np.arange(10 * SAMPLE_RATE_HZ) * 0.01).astype(np.float32)
    out = dropouts(audio, rng, SAMPLE_RATE_HZ)
    changed = out != audio
    assert out.shape == audio.shape and 0 < changed.mean() < 0.5  # at most 20 a second of at most 25 ms
    assert np.any(out[changed] == 0.0) and np.any(out[changed] != 0.0)  # lost, and read twice


@pytest.mark.skipif(not (HYDROGEN / "BJA_Pacific").is_dir(), reason="hydrogen-drumkits is not installed")
def test_a_rendered_track_round_trips_through_the_annotation_format(tmp_path):
    kit = hydrogen_kit(HYDROGEN / "BJA_Pacific", SAMPLE_RATE_HZ)
    assert {36, 38, 42}.issubset(kit.layers)
    audio, hits = make_track(11, kit, 6.0, None)
    assert len(audio) == 6 * SAMPLE_RATE_HZ and np.isfinite(audio).all() and np.abs(audio).max() > 0.05
    assert hits and all(h.note in kit.layers for h in hits)
    write_annotated(tmp_path, "track", audio, hits)
    reference = read_annotations(tmp_path / "track.txt")
    assert sum(len(r) for r in reference) == len(hits)
    kick_strokes = read_strokes(tmp_path / "track.txt")[0]  # times and velocities (the third column)
    kicks = sorted((h.time_s, h.velocity) for h in hits if h.note in (35, 36))
    assert np.allclose(reference[0], [t for t, _ in kicks], atol=1e-4) and list(kick_strokes[:, 1]) == [v for _, v in kicks]
    assert np.array_equal(kick_strokes[:, 0], reference[0])
    scores = score_track(reference, reference)
    assert all(f == 1.0 for f, _, _ in scores.values())


def test_csound_kits_join_only_when_asked_for():
    def names(**options) -> set[str]:
        return {name for name, _ in kit_sources(**options)}

    csound = {f"fluidsynth:sf_GMbank:{program}" for program in CSOUND_KITS[0][1]}
    assert not csound & names()
    if CSOUND_KITS[0][0].exists():
        assert csound <= names(csound=True) and names() <= names(csound=True)


def test_a_mixed_kit_takes_each_drum_class_whole_from_one_kit_and_only_training_tracks_play_one():
    """Stand-in kits of constant one-shots, each kit its own level, so a sample tells which kit it came from."""
    notes = (36, 38, 40, 42, 44, 46, 49, 56)
    kits = [SampleKit(f"kit{k}", False, SAMPLE_RATE_HZ, {n: [(0.0, 1.0, np.full(10, k, np.float32))] for n in notes})
            for k in range(8)]
    sources = []
    for seed in range(20):
        kit = mixed_kit(kits, np.random.default_rng(seed))
        assert set(kit.layers) == set(notes)
        source = {n: int(kit.layers[n][0][2][0]) for n in notes}
        for klass in {class_of_gm_note(n) for n in notes}:  # one kit per class: snare and rim shot, all three hats
            assert len({source[n] for n in notes if class_of_gm_note(n) == klass}) == 1
        sources.append(tuple(source[n] for n in (36, 38, 42)))
    assert len(set(sources)) > 15  # kick, snare and hi-hat are paired anew
    plans = {plan.name: plan.mixed_kit_share for plan in default_plans(0.01, mixed_kits=0.5)}
    assert plans.pop("train") == plans.pop("unlabeled") == 0.5 and not any(plans.values())


def test_a_synthesised_drum_machine_has_every_class_and_its_kick_falls_below_its_toms():
    """The kick is a sine falling to 38-70 Hz, the toms fall a little to 80 Hz and above: measured, not read back."""
    for seed in range(5):
        kit = synth_kit(np.random.default_rng(seed), SAMPLE_RATE_HZ)
        assert {class_of_gm_note(n) for n in kit.layers} >= set(range(len(DRUM_CLASSES)))
        assert all(len(layers) == 3 and np.all(np.isfinite(shot)) and np.max(np.abs(shot)) == pytest.approx(1.0)
                   for layers in kit.layers.values() for _, _, shot in layers)

        def pitch_hz(note: int) -> float:  # of the shot's tail, after the kick's fall
            shot = kit.layers[note][0][2]
            tail = shot[int(0.1 * SAMPLE_RATE_HZ):int(0.1 * SAMPLE_RATE_HZ) + 8192]
            spectrum = np.abs(np.fft.rfft(tail * np.hanning(len(tail)), 1 << 16))
            return float(np.fft.rfftfreq(1 << 16, 1 / SAMPLE_RATE_HZ)[np.argmax(spectrum)])

        assert 30 < pitch_hz(36) < 75 < 80 <= pitch_hz(41) < pitch_hz(50)
    same = synth_kit(np.random.default_rng(0), SAMPLE_RATE_HZ)
    assert np.array_equal(same.layers[36][1][2], synth_kit(np.random.default_rng(0), SAMPLE_RATE_HZ).layers[36][1][2])
    plans = {plan.name: plan.synth_kit_share for plan in default_plans(0.01, synth_kits=0.2)}
    assert plans.pop("train") == plans.pop("unlabeled") == 0.2 and not any(plans.values())


def test_the_data_command_takes_mixed_and_synthesised_kit_and_snare_buzz_shares_from_0_to_1_only():
    from export.__main__ import main

    for bad in ("1.5", "-0.1", "half"):
        for option in ("--mixed-kits", "--synth-kits", "--snare-buzz"):
            with pytest.raises(SystemExit) as exit_info:
                main(["data", "drums", option, bad])
            assert exit_info.value.code == 2


@pytest.mark.skipif(not (HYDROGEN / "Millo-Drums_v.1").is_dir(), reason="hydrogen-drumkits is not installed")
def test_a_hydrogen_kit_of_the_old_format_gives_one_layer_per_instrument():
    kit = hydrogen_kit(HYDROGEN / "Millo-Drums_v.1", SAMPLE_RATE_HZ)
    assert kit.real and {36, 38, 42, 44, 46} <= set(kit.layers)
    assert all(low == 0.0 and high == 1.0 and len(shot) for layers in kit.layers.values() for low, high, shot in layers)


def test_each_kit_plays_one_role_and_only_the_test_sets_hear_the_held_out_ones():
    names = ["fluidsynth:FluidR3_GM:0", "hydrogen:BJA_Pacific", *HELD_OUT_KITS, *MORE_HELD_OUT_KITS, SONIC_PI_KIT]
    kits = [SampleKit(name, True, SAMPLE_RATE_HZ) for name in names]
    roles = {role: {k.name for k in kits_for(kits, role)}
             for role in ("training", "held_out", "more_held_out", "sonic_pi")}
    assert roles == {"training": set(names[:2]), "held_out": set(HELD_OUT_KITS),
                     "more_held_out": set(MORE_HELD_OUT_KITS), "sonic_pi": {SONIC_PI_KIT}}
    with pytest.raises(ValueError, match="unknown kit role"):
        kits_for(kits, "tuning")
    held_out_sets = ("test_unseen_kit", "test_more_kits", "test_sonic_pi_kit")
    for plan in default_plans(0.01):
        assert (plan.kit_role == "training") == (not plan.name.startswith(held_out_sets))


@pytest.mark.skipif(not SONIC_PI_SAMPLES.is_dir(), reason="sonic-pi-samples is not installed")
def test_sonic_pi_kit_has_soft_and_hard_strokes_three_hi_hats_and_no_swelling_splash():
    kit = sonic_pi_kit(SAMPLE_RATE_HZ)
    assert kit.real and SONIC_PI_KIT in {name for name, _ in kit_sources()}
    assert {35, 36, 38, 40, 41, 42, 44, 46, 49} <= set(kit.layers) and 55 not in kit.layers
    assert [(low, high) for low, high, _ in kit.layers[38]] == [(0.0, 0.55), (0.55, 1.0)]
    assert all(len(kit.layers[note]) == 1 for note in (42, 44, 46))
    rng = np.random.default_rng(0)
    soft, hard = kit.one_shot(36, 40, rng), kit.one_shot(36, 120, rng)
    assert soft is not hard and len(SONIC_PI_ONE_SHOTS) == 15


@pytest.mark.skipif(not LMMS_DRUMS.is_dir(), reason="lmms-common is not installed")
def test_lmms_kits_are_training_kits_only_on_request_each_with_its_own_files():
    names = [name for name, _ in kit_sources(lmms=True) if name.startswith("lmms:")]
    assert len(names) == LMMS_KIT_COUNT and not any(name.startswith("lmms:") for name, _ in kit_sources())
    first, second = lmms_kit(0, SAMPLE_RATE_HZ), lmms_kit(1, SAMPLE_RATE_HZ)
    assert {35, 36, 37, 38, 42, 44, 46, 49, 51} <= set(first.layers)
    assert all(len(first.layers[note]) == 1 and len(first.layers[note][0][2]) for note in first.layers)
    assert not np.array_equal(first.layers[38][0][2], second.layers[38][0][2])  # another snare file
    assert np.array_equal(first.layers[44][0][2], second.layers[44][0][2])  # the one pedal hi-hat
    assert kits_for([first], "training") == [first] and len(LMMS_ONE_SHOTS[(38, 40)]) > LMMS_KIT_COUNT
    # an LMMS kit's cache name digests the LMMS table too; the other kits' names (and caches) stay as they were
    assert kit_cache_name("lmms:0", SAMPLE_RATE_HZ).rsplit("_", 1)[1] != kit_cache_name("x", SAMPLE_RATE_HZ).rsplit("_", 1)[1]


def test_a_build_can_leave_named_kits_out_and_refuses_names_of_no_kit():
    kits = [SampleKit(name, True, SAMPLE_RATE_HZ) for name in ("hydrogen:Millo_MultiLayered2", "hydrogen:BJA_Pacific")]
    assert [k.name for k in kits_without(kits, ("hydrogen:Millo_MultiLayered2",))] == ["hydrogen:BJA_Pacific"]
    with pytest.raises(ValueError, match="no kit hydrogen:Nothing: the kits are hydrogen:Millo_MultiLayered2"):
        kits_without(kits, ("hydrogen:Nothing",))


def test_splits_join_a_build_of_their_seed_and_features_or_start_one(tmp_path):
    plans = default_plans(0.01)
    assert existing_build(tmp_path, ("test_more_kits",), plans, DRUM_FEATURES, 0) is None  # they start one
    (tmp_path / "drums.json").write_text(json.dumps({"seed": 0, "features": DRUM_FEATURES.as_dict(), "splits": {}}))
    assert existing_build(tmp_path, ("test_more_kits",), plans, DRUM_FEATURES, 0)["seed"] == 0
    with pytest.raises(ValueError, match="no split test_nothing"):
        existing_build(tmp_path, ("test_nothing",), plans, DRUM_FEATURES, 0)
    with pytest.raises(ValueError, match="would not match"):
        existing_build(tmp_path, ("test_more_kits",), plans, DRUM_FEATURES, 1)
    with pytest.raises(ValueError, match="would not match"):  # a build of all kits is joined by splits of all kits
        existing_build(tmp_path, ("test_more_kits",), plans, DRUM_FEATURES, 0, ("hydrogen:BJA_Pacific",))
    with pytest.raises(ValueError, match="attacks not aligned"):  # nor are aligned one-shots mixed with others
        existing_build(tmp_path, ("test_more_kits",), plans, DRUM_FEATURES, 0, align_attacks=True)


def test_aligned_one_shots_start_at_their_attack_and_keep_it_whole():
    """Millo-Drums_v.1's kick sample is silent for 17 ms before its attack: aligned, a stroke is heard at its
    label's time."""
    kit = hydrogen_kit(HYDROGEN / "Millo-Drums_v.1", SAMPLE_RATE_HZ)
    aligned = attack_aligned(kit)
    assert aligned.name == kit.name and set(aligned.layers) == set(kit.layers)
    for note, layers in kit.layers.items():
        for (low, high, shot), (low_a, high_a, shot_a) in zip(layers, aligned.layers[note]):
            assert (low, high) == (low_a, high_a) and np.array_equal(shot[len(shot) - len(shot_a):], shot_a)
            assert np.abs(shot_a[0]) >= np.abs(shot).max() * 10 ** (ATTACK_DB / 20)
    kick = kit.layers[36][0][2]
    assert len(kick) - len(aligned.layers[36][0][2]) > 0.015 * SAMPLE_RATE_HZ
    assert len(from_attack(np.zeros(5, np.float32))) == 5  # silence stays as it is


def test_the_latency_a_streaming_transcriber_reports_runs_from_each_found_stroke_to_when_it_was_heard():
    """Estimates written by hand, not the drum model, on purpose: the matching and percentiles need delays known
    exactly; the shipped model's own heard times are checked in test_drums_engine.py."""
    from export.evaluate_drums import Estimate, heard_after_ms, markdown_table, summarise

    reference = [np.zeros(0) for _ in DRUM_CLASSES]
    reference[0], reference[1], reference[3] = np.array([1.0, 2.0, 3.0]), np.array([1.5]), np.array([4.0])  # K, S, T
    times = [np.zeros(0) for _ in DRUM_CLASSES]
    times[0], times[1], times[3] = np.array([2.01, 1.005, 3.2]), np.array([1.51]), np.array([4.0])
    heard = [t + 0.012 for t in times]
    delays = heard_after_ms(reference, Estimate(times, heard))
    # kicks at 1 and 2 s found (in any order), the one at 3 s missed (200 ms off), the snare found; toms not counted
    assert sorted(np.round(delays, 3)) == [17.0, 22.0, 22.0]
    assert heard_after_ms(reference, Estimate(times)) is None  # an offline transcriber does not tell
    scores = [score_track(reference, times)]
    summary = summarise(scores, [delays])
    assert summary["heard_after_ms"] == {"p50": 22.0, "p90": 22.0, "p99": 22.0, "max": 22.0, "n": 3}
    assert "heard_after_ms" not in summarise(scores, [None]) and "heard_after_ms" not in summarise(scores)
    by_class = {drum: [heard_after_ms(reference, Estimate(times, heard), (drum,))] for drum in ("kick", "snare", "hihat")}
    assert by_class["hihat"] == [[]] and sorted(np.round(by_class["kick"][0], 3)) == [17.0, 22.0]
    per_class = summarise(scores, [delays], by_class)["heard_after_ms_by_class"]
    assert per_class == {"kick": {"p50": 19.5, "p90": 21.5, "p99": 21.9, "max": 22.0, "n": 2},
                         "snare": {"p50": 22.0, "p90": 22.0, "p99": 22.0, "max": 22.0, "n": 1}}  # no hi-hat: none
    table = markdown_table({"set": {"methods": {"model": summary, "pfnmf": summarise(scores)}}})
    assert table.splitlines()[2].endswith("| 22.0 / 22.0 |") and table.splitlines()[3].endswith("| - |")


def test_the_evaluation_scores_each_kit_apart_where_the_set_names_them(tmp_path):
    """Two tracks on two stand-in kits (constant one-shots); a transcriber that reads the first track's
    annotations back and hears nothing in the second scores 1 on the first kit and 0 on the second. A stand-in
    for the drum model, on purpose: what is tested is the bookkeeping per kit, which needs scores known exactly;
    the shipped model is scored (``score_track``, which ``evaluate`` runs per track) in test_drums_engine.py."""
    import json

    from export.evaluate_drums import KITS_FILE, evaluate, markdown_kit_table

    shots = {note: [(0.0, 1.0, np.full(200, 0.5, np.float32))] for note in (36, 38, 42)}
    for index, kit in enumerate(("kit:a", "kit:b")):
        audio, hits = make_track(index, SampleKit(kit, True, SAMPLE_RATE_HZ, shots), 4.0, None)
        write_annotated(tmp_path, f"track_{index}", audio, hits)
    (tmp_path / KITS_FILE).write_text(json.dumps({"track_0": "kit:a", "track_1": "kit:b"}))

    def knows_the_first(audio, rate, wav):
        reference = read_annotations(wav.with_suffix(".txt"))
        return reference if wav.stem == "track_0" else [np.zeros(0) for _ in reference]
    knows_the_first.needs_track = True

    report = evaluate([tmp_path], {"oracle": knows_the_first})[tmp_path.name]
    assert report["by_kit"]["kit:a"]["oracle"]["f_main"] == 1.0 and report["by_kit"]["kit:b"]["oracle"]["f_main"] == 0.0
    assert report["methods"]["oracle"]["tracks"] == 2
    table = markdown_kit_table({tmp_path.name: report})
    assert "| kit:a | 1 | 1.000 |" in table and "| kit:b | 1 | 0.000 |" in table
    assert markdown_kit_table({tmp_path.name: report}, max_kits=1) == ""


def test_class_tuning_tunes_each_drum_class_apart_and_only_the_training_tracks():
    """Stand-in one-shots of constant samples: the length a class's stroke rings for tells its tuning. With one
    seed every draw is the same, so kick and hi-hat share the kit's tuning unless the classes are tuned apart."""
    from export.data.drums import render_drums
    from export.data.grooves import DrumHit

    kit = SampleKit("stand-in", False, SAMPLE_RATE_HZ, {n: [(0.0, 1.0, np.ones(2000, np.float32))] for n in (36, 42)})

    def rings(note: int, semitones: float, seed: int) -> int:
        audio = render_drums([DrumHit(0.0, note, 127)], kit, np.random.default_rng(seed), 4000, semitones)
        return int(np.count_nonzero(audio))

    assert all(rings(36, 0.0, seed) == rings(42, 0.0, seed) for seed in range(5))
    assert any(rings(36, 3.0, seed) != rings(42, 3.0, seed) for seed in range(5))
    assert all(p.class_tuning_st == (2.5 if p.name in ("train", "unlabeled") else 0.0)
               for p in default_plans(0.01, class_tuning=2.5))


def test_snare_wires_ring_under_kicks_and_toms_only_unlabelled_and_only_in_training_tracks():
    """Stand-in one-shots: a short kick click, a noise snare. With ``snare_buzz`` a kick or tom stroke leaves the
    snare's high-passed noise ringing after it, softer than the stroke; a hi-hat stroke does not, nor does a kit
    without a snare; the labels stay the strokes played."""
    from export.data.drums import render_drums, snare_wires
    from export.data.grooves import DrumHit

    noise = np.random.default_rng(0).standard_normal(8000).astype(np.float32)
    click = np.r_[np.ones(50), np.zeros(7950)].astype(np.float32)
    layers = {36: [(0.0, 1.0, click)], 45: [(0.0, 1.0, click)], 42: [(0.0, 1.0, click)], 38: [(0.0, 1.0, noise)]}
    kit = SampleKit("stand-in", False, SAMPLE_RATE_HZ, layers)

    def after_stroke(note: int, buzz: bool, kit: SampleKit = kit) -> np.ndarray:
        audio = render_drums([DrumHit(0.0, note, 127)], kit, np.random.default_rng(3), 8000, snare_buzz=buzz)
        return audio[60:]

    for note in (36, 45):
        ring = after_stroke(note, True)
        assert not after_stroke(note, False).any() and 0 < np.max(np.abs(ring)) < 0.25 * np.max(np.abs(
            render_drums([DrumHit(0.0, note, 127)], kit, np.random.default_rng(3), 8000)))
    assert not after_stroke(42, True).any()
    without_snare = SampleKit("no snare", False, SAMPLE_RATE_HZ, {n: layers[n] for n in (36, 42)})
    assert snare_wires(without_snare, np.random.default_rng(0)) is None and not after_stroke(36, True, without_snare).any()
    wires = snare_wires(kit, np.random.default_rng(0))
    assert np.max(np.abs(wires)) == pytest.approx(1.0) and np.argmax(np.abs(wires)) > 0.004 * SAMPLE_RATE_HZ
    assert all(p.snare_buzz_share == (0.5 if p.name in ("train", "unlabeled") else 0.0)
               for p in default_plans(0.01, snare_buzz=0.5))
    assert all(p.snare_buzz_share == (1.0 if p.name.startswith("test") else 0.0)
               for p in default_plans(0.01, snare_buzz_tests=True))


def test_velocities_are_scored_where_annotations_have_them():
    """Estimates written by hand, to know the correlations exactly; the engine's own velocities are checked in
    test_drum_velocity.py."""
    from export.evaluate_drums import Estimate, markdown_velocity_table, mean_velocity_measures, velocity_measures

    reference = [np.zeros(0) for _ in DRUM_CLASSES]
    reference[0] = np.arange(1.0, 7.0)  # six kicks
    played = [np.zeros(0) for _ in DRUM_CLASSES]
    played[0] = np.array([20.0, 40, 60, 80, 100, 120])
    times = [np.zeros(0) for _ in DRUM_CLASSES]
    times[0] = reference[0][::-1] + 0.01  # found in reverse order: the matching must pair them back
    velocities, activations = [np.zeros(0) for _ in DRUM_CLASSES], [np.zeros(0) for _ in DRUM_CLASSES]
    velocities[0], activations[0] = np.array([127.0, 100, 90, 50, 30, 10]), np.full(6, 0.9)
    against_file = [velocities[0][::-1]] + velocities[1:]  # the other way round: a correlation of -1
    correlations = velocity_measures(reference, played,
                                         Estimate(times, times, velocities, activations, against_file))
    # the activations are constant: 0; live, the kicks by time lie 117, 70, 40, 40, 70 and 117 from the file's
    assert correlations == {"kick": {"velocity": 1.0, "activation": 0.0, "file_velocity": -1.0,
                                     "opening_gap": pytest.approx(227 / 3)}}
    assert velocity_measures(reference, played, Estimate(times, times, velocities, activations)) == {
        "kick": {"velocity": 1.0, "activation": 0.0}}  # no velocities against the file's loudest
    assert velocity_measures(reference, [np.full(len(r), np.nan) for r in reference],
                                 Estimate(times, times, velocities, activations)) == {}  # no velocity column
    assert velocity_measures(reference, played, Estimate(times, times)) == {}  # an offline transcriber
    summary = {"velocities": mean_velocity_measures([correlations, {}])}
    assert summary["velocities"] == {"kick": {"velocity": 1.0, "activation": 0.0, "file_velocity": -1.0,
                                              "opening_gap": 75.667, "tracks": 1}}
    table = markdown_velocity_table({"set": {"methods": {"model": summary, "pfnmf": {}}}})
    assert table.splitlines()[2] == "| set | model | 1.00 / -1.00 / 0.00 | - | - | 75.7, -, - | 1, 0, 0 |"
    assert len(table.splitlines()) == 3
