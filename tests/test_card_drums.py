"""The drum card is written from the files its commands write."""

from pathlib import Path

import torch

from export.card_drums import (false_alarm_table, heard_lines, heard_phrase, kit_samples_section, latency_line,
                               look_ahead_text, lookahead_section, machine_phrase, networks_phrase, phases_phrase,
                               precision_recall_phrase, teachers_lines, time_offset_text, training_command,
                               training_lines, velocities_section, verdict)
from export.provenance import training_line


def _scores(f_main: float) -> dict:
    classes = {c: {"f": f_main, "p": 0.5, "r": 0.75, "tracks": 1} for c in ("kick", "snare", "hihat")}
    return {"classes": classes, "f_main": f_main, "f_all": f_main}


ENTRY = {"look_ahead_frames": 2, "features": {"hop": 220, "sample_rate_hz": 22050}, "classes": ["kick"],
         "thresholds": [0.8], "time_offset_s": 0.0185}
EVALUATION = {name: {"methods": {"model": _scores(0.70), "lookahead": _scores(0.70 + gain)}}
              for name, gain in (("test_alone", 0.1), ("test_unseen_kit", 0.05), ("test_more_kits", -0.02))}


def test_the_look_ahead_section_reports_its_delay_and_gain():
    text = "\n".join(lookahead_section(ENTRY, EVALUATION))
    assert "2 frames (20 ms)" in text and "-0.020 to +0.100 on the 3 held-out sets" in text
    assert "higher on 2, lower on 1" in text
    assert "times shifted back by 18.5 ms" in text
    assert "`drums_lookahead` precision 0.500, 0.500, 0.500, recall 0.750, 0.750, 0.750" in text
    assert lookahead_section({}, EVALUATION) == []  # not exported here: no section


def test_precision_and_recall_are_averaged_over_the_sets_that_scored_the_class():
    one, other = _scores(0.7), _scores(0.7)
    other["classes"]["kick"]["p"] = 1.0
    del other["classes"]["snare"]  # a set whose tracks have no snare
    evaluation = {"a": {"methods": {"model": one}}, "b": {"methods": {"model": other}}}
    assert precision_recall_phrase(evaluation, "model", "p") == "0.750, 0.500, 0.500"
    assert precision_recall_phrase(evaluation, "lookahead", "r") == "-, -, -"


def test_the_live_models_own_latency_is_reported_from_its_quickest_to_its_slowest_held_out_set():
    delays = {"test_alone": (21.0, 100), "test_unseen_kit": (34.5, 50), "test_more_kits": (48.0, 20)}
    evaluation = {name: {"methods": {"model": {**_scores(0.7), "heard_after_ms": {"p50": 15.0, "p99": p99, "n": n}},
                                     "pfnmf": _scores(0.5)}} for name, (p99, n) in delays.items()}
    text = " ".join(heard_lines(evaluation))
    assert "from 21.0 ms (test_alone) to 48.0 ms (test_more_kits) over 170 strokes" in text
    assert heard_lines(EVALUATION) == []  # an evaluation from before it was measured: nothing to say


def test_the_false_alarms_table_names_what_the_most_of_them_fall_on():
    alarms = {"snare": {"hihat": 165, "kick+hihat": 117, "tom": 49}, "hihat": {"kick": 3}}
    evaluation = {"test_sonic_pi_kit": {"methods": {"model": {**_scores(0.8), "false_alarms": alarms}}}}
    rows = false_alarm_table(evaluation)
    assert "| test_sonic_pi_kit | 0 | 331 (hihat 165, kick+hihat 117) | 3 (kick 3) |" in rows
    assert "false hi-hat" in rows[3]
    assert false_alarm_table(EVALUATION) == []  # an evaluation from before they were counted: no table


def test_the_contract_says_how_much_of_a_stroke_a_fractional_look_ahead_hears():
    text = heard_phrase(ENTRY | {"look_ahead_frames": 1.5})
    assert text.startswith("Look-ahead 1.5 hops (15 ms)") and "heard 15-25 ms of a stroke" in text
    assert heard_phrase(ENTRY).startswith("Look-ahead 2 hops (20 ms)")
    quarter = heard_phrase(ENTRY | {"look_ahead_frames": 1.25})  # 12.47 ms at a 9.98-ms hop: not "12"
    assert quarter.startswith("Look-ahead 1.25 hops (12.5 ms)") and "heard 12.5-22.5 ms of a stroke" in quarter


def test_the_contract_says_what_the_first_of_several_phases_has_heard():
    entry = ENTRY | {"look_ahead_frames": [1.25, 1.75], "classes": ["kick", "snare"], "phases": 2}
    text = heard_phrase(entry)
    assert "heard 12.5-22.5 ms of a stroke before it names it, 17.5-27.5 ms of a snare stroke; at its" in text
    assert text.endswith("the first phase to reach that frame has heard 12.5-17.5 ms of a stroke, 17.5-22.5 ms of a "
                         "snare stroke.")
    assert phases_phrase(entry).startswith("The daemon runs the network at 2 phases: on log-mel frames every 5.0 ms")
    assert phases_phrase(ENTRY) == "" and "phase" not in heard_phrase(ENTRY)


def test_latency_is_judged_against_the_budget():
    bench = {"drums_onset_to_midi_ms": {"p50": 31.0, "p99": 40.0, "max": 41.0, "within_50ms": 0.93, "onsets": 66,
                                        "daemon_core_share": 0.21, "drums_engine_core_share": 0.1},
             "drums_realtime_factor": 100.0, "drums_realtime_factor_live_blocks": 30.0,
             "drums_realtime_factor_live_pace": 9.5,
             "drums_within_50ms_offline_by_hop_phase": {"min": 0.9, "mean": 0.92, "max": 0.95, "phases": 10},
             "drums_onset_to_frame_end_offline_ms": {"p50": 21.4, "p99": 34.8, "max": 46.7, "n": 633}}
    text = latency_line("drums_lookahead", bench)[0]
    assert "93.0% of the clip's 66" in text and "p99 40.0 ms (over the budget)" in text and "30.0x" in text and "used 21%" in text and "a real-time factor of 10x" in text
    assert "at the live pace" in text and "it ran 9.5x" in text
    assert "10 offsets across one analysis hop: 90.0% to 95.0%, mean 92.0%" in text
    assert "ended p50 21.4 ms, p99 34.8 ms after it (633 strokes)" in text
    assert "own latency" not in latency_line("drums", {"drums_onset_to_midi_ms": bench["drums_onset_to_midi_ms"]})[0]
    assert "not measured" in latency_line("drums", {})[0]


def test_training_and_verdict_lines_read_the_histories_and_scores():
    history = [{"step": 10, "valid_loss": 0.3, "elapsed_s": 60.0}, {"step": 20, "valid_loss": 0.1, "elapsed_s": 120.0}]
    assert "2 minutes" in training_line("train drums", history) and "0.1000 at step 20" in training_line("train drums", history)
    assert verdict(EVALUATION)[0] == "- test_alone: `drums` 0.700, `drums_lookahead` 0.800"


def test_each_networks_training_command_is_read_from_its_checkpoint(tmp_path):
    torch.save({"config": {"steps": "8000", "look_ahead": "1", "seed": "1"}}, tmp_path / "drums.pt")
    own = "each model on its own targets"
    assert training_command(tmp_path, Path("runs/drums")) == (
        f"train drums --steps 8000 --look-ahead 1 --seed 1 --out {tmp_path}", own)
    assert training_command(tmp_path, tmp_path) == ("train drums --steps 8000 --look-ahead 1 --seed 1", own)
    torch.save({"config": {"steps": "8000", "look_ahead": "1.25", "class_look_ahead": "{'snare': 1.75}"}},
               tmp_path / "drums.pt")
    assert training_command(tmp_path, tmp_path)[0] == "train drums --steps 8000 --look-ahead 1.25 --look-ahead snare=1.75"
    assert networks_phrase(1) == "A causal CNN" and networks_phrase(2).startswith("Two causal CNNs (one recipe trained from two seeds")


def test_the_evaluation_figure_draws_every_set_and_leaves_out_a_method_a_set_lacks(tmp_path):
    import matplotlib.image

    from export.figures_drums import f_measure_figure

    report = {**EVALUATION, "clip": {"methods": {"model": _scores(0.7)}}}
    path = f_measure_figure(report, tmp_path / "drums.png")
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 400 and image.shape[1] > 700


def test_a_networks_training_line_is_kept_for_machines_without_its_run_folder(tmp_path):
    here, elsewhere = tmp_path / "drums", tmp_path / "drums-lookahead"
    here.mkdir()
    torch.save({"config": {"steps": "8000", "look_ahead": "1.5", "seed": "0"}}, here / "drums.pt")
    (here / "drums_history.json").write_text('[{"step": 8000, "valid_loss": 0.1, "elapsed_s": 1800.0}]')
    record = tmp_path / "drums_training.json"
    record.write_text('{"drums-lookahead": "- trained elsewhere", "drums": "- an older line"}')
    lines = training_lines([here, elsewhere, tmp_path / "never-trained"], record)
    assert lines[0].startswith(f"- `python -m export train drums --steps 8000 --look-ahead 1.5 --out {here}`: 30 minutes")
    assert lines[1:] == ["- trained elsewhere"]
    assert "older" not in record.read_text()  # the run folder's history wins and is kept


def test_a_distilled_networks_command_names_its_data_and_teachers_and_the_card_lists_them(tmp_path):
    """The config a checkpoint saves holds strings: ``teachers`` is the repr of a tuple of paths."""
    config = {"steps": "8000", "look_ahead": "1.25", "seed": "0", "data": "cache/drums-other",
              "teachers": "(PosixPath('runs/drums'), PosixPath('runs/drums-nogm'))"}
    torch.save({"config": config}, tmp_path / "drums.pt")
    (tmp_path / "drums_history.json").write_text('[{"step": 8000, "valid_loss": 0.1, "elapsed_s": 60.0}]')
    command, targets = training_command(tmp_path, tmp_path)
    assert command == ("train drums --steps 8000 --look-ahead 1.25 --data cache/drums-other "
                       "--teachers runs/drums runs/drums-nogm") and targets.startswith("half of each target")
    line = training_lines([tmp_path], tmp_path / "drums_training.json")[0]
    assert "(half of each target the teachers' averaged probability, half the label)" in line
    torch.save({"config": {**config, "teach_off_onsets": "True"}}, tmp_path / "drums.pt")
    command, targets = training_command(tmp_path, tmp_path)
    assert command.endswith("--teachers runs/drums runs/drums-nogm --teach-off-onsets")
    assert targets.startswith("the onset frames at their label")
    assert "the 2 networks of these run folders" in teachers_lines({"teachers": ["runs/drums", "runs/drums-nogm"]})[0]
    assert teachers_lines({}) == []


def test_the_latency_names_the_machine_it_was_measured_on():
    bench = {"machine": {"cpu": "AMD EPYC", "cores": 2}}
    assert machine_phrase(bench) == " on an AMD EPYC (2 cores)"
    assert machine_phrase({}) == ""


def test_false_onsets_are_counted_per_stroke_of_the_class_they_fall_on(tmp_path):
    """Two sets: the rates divide by the strokes of both; a false onset on a kick and a hi-hat counts for each."""
    from export.figures_drums import false_onset_figure, false_onset_rates

    report = {"a": {"strokes": {"kick": 10, "hihat": 40}, "methods": {"model": {
                  "false_alarms": {"snare": {"kick+hihat": 2, "hihat": 4}}, "unscored_onsets": {"ride": {"none": 3}}}}},
              "b": {"strokes": {"kick": 10, "hihat": 40}, "methods": {"model": {"false_alarms": {"snare": {"hihat": 2}}}}}}
    counts, rates = false_onset_rates(report, "model")
    assert counts.tolist() == [0, 8, 0, 0, 0, 3]
    assert rates[1, 0] == 2 / 20 and rates[1, 2] == 8 / 80 and rates[5].sum() == 0
    assert false_onset_figure(report, tmp_path / "false.png").stat().st_size > 0


def test_the_shared_recordings_section_names_the_kits_and_classes_a_training_kit_also_plays():
    report = {"avl:Black_Pearl_4_LV2": {"kick": {"one_shots": 5, "shared": 0, "kits": []},
                                        "hihat": {"one_shots": 15, "shared": 12, "kits": ["avl:Red_Zeppelin_4_LV2"]}},
              "sonic_pi:menegass": {"kick": {"one_shots": 4, "shared": 0, "kits": []}}}
    text = "\n".join(kit_samples_section(report))
    assert text.startswith("## Recordings the held-out kits share")
    assert "| avl:Black_Pearl_4_LV2 | 0 of 5 | - | 12 of 15 | - | - | - | avl:Red_Zeppelin_4_LV2 |" in text
    assert "- avl:Black_Pearl_4_LV2: 12 of its 15 hihat recordings are recordings that avl:Red_Zeppelin_4_LV2 plays" in text
    assert "sonic_pi:menegass share no recording with a training kit." in text
    assert kit_samples_section({}) == []


def test_the_velocities_section_tells_the_bands_and_references_and_tabulates_the_report():
    following = {"kick": {"velocity": 0.5, "file_velocity": 0.6, "activation": 0.1, "opening_gap": 12.5, "tracks": 3}}
    report = {"test_alone": {"methods": {"model": {"velocities": following}}}}
    lines = velocities_section(report, Path("runs/drums/velocities.json"))
    text = "\n".join(lines)
    assert lines[0] == "## Velocities" and lines[-1] == ""
    assert "kick below 400 Hz" in text and "raised by 6 dB / (n + 1)" in text
    assert "-o runs/drums/velocities.json`" in text
    assert "| test_alone | model | 0.50 / 0.60 / 0.10 | - | - | 12.5, -, - | 3, 0, 0 |" in text
    assert velocities_section({}, Path("runs/drums/velocities.json")) == []



def test_a_class_with_its_own_look_ahead_is_told_apart():
    entry = ENTRY | {"classes": ["kick", "snare", "hihat"], "look_ahead_frames": [1.25, 1.75, 1.25],
                     "time_offset_s": [0.0107, 0.0157, 0.0107]}
    assert heard_phrase(entry).startswith("Look-ahead 1.25 hops (12.5 ms), the snare's 1.75 hops (17.5 ms): ")
    assert heard_phrase(entry).endswith("heard 12.5-22.5 ms of a stroke before it names it, 17.5-27.5 ms of a snare stroke.")
    assert look_ahead_text(entry) == "12.5 ms (17.5 ms for the snare)"
    assert time_offset_text(entry) == "10.7 ms, the snare's 15.7 ms"
    assert look_ahead_text(ENTRY) == "20 ms" and time_offset_text(ENTRY) == "18.5 ms"  # one for every class
