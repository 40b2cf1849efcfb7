import json
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from bridge.cli import build_parser
from bridge.config import Config, config_from_dict

README = Path(__file__).parents[1] / "README.md"
COMMANDS = [name for name in build_parser()._subparsers._group_actions[0].choices]


def bridge(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bridge", *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_command_has_help(command):
    run = bridge(*([command] if command else []), "--help")
    assert run.returncode == 0 and "usage: bridge" in run.stdout


def test_printed_default_config_is_the_default():
    run = bridge("config")
    assert config_from_dict(tomllib.loads(run.stdout)) == Config()


def test_a_bad_config_file_is_reported_not_a_traceback(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[osc]\nlisten_port = 'x'\n")
    run = bridge("serve", "--config", str(path))
    assert run.returncode == 2 and "listen_port must be an integer" in run.stderr and "Traceback" not in run.stderr


def test_devices_lists_the_daemons_jack_ports(daemon):
    run = bridge("devices", "--json")
    devices = json.loads(run.stdout)
    assert devices["midi_api"] == "jack"
    assert any("midi_in" in name for name in devices["midi"]["outputs"] + devices["midi"]["inputs"])
    assert "system:capture_1" in devices["jack_audio_sources"]


def test_readme_carries_the_current_osc_reference():
    assert bridge("osc-reference").stdout in README.read_text()


def test_transcribe_drums_writes_midi_and_json(tmp_path):
    import mido

    from bridge.bench import DRUM_BENCH_AUDIO

    out = tmp_path / "drums.mid"
    run = bridge("transcribe-drums", str(DRUM_BENCH_AUDIO), "-o", str(out), "--json")
    assert run.returncode == 0, run.stderr
    onsets = json.loads(run.stdout)["onsets"]
    assert onsets and {o["drum"] for o in onsets} >= {"kick", "snare", "hihat"}
    notes = [m for m in mido.MidiFile(out) if m.type == "note_on" and m.velocity > 0]
    assert len(notes) == len(onsets) and all(m.channel == 9 for m in notes)


def test_transcribe_drums_maps_velocities_against_the_files_loudest_strokes_or_as_live():
    from bridge.bench import DRUM_BENCH_AUDIO

    def velocities(*options: str) -> tuple[str, dict[str, list[int]]]:
        run = bridge("transcribe-drums", str(DRUM_BENCH_AUDIO), "--json", *options)
        assert run.returncode == 0, run.stderr
        result = json.loads(run.stdout)
        by_drum: dict[str, list[int]] = {}
        for onset in result["onsets"]:
            by_drum.setdefault(onset["drum"], []).append(onset["velocity"])
        return result["velocity_reference"], by_drum

    (default, whole), (running, live) = velocities(), velocities("--velocity-reference", "running")
    assert default == "file" and running == "running"
    assert {len(v) for v in whole.values()} == {len(v) for v in live.values()}  # the same strokes
    assert all(max(v) == 127 for v in whole.values())
    run = bridge("transcribe-drums", str(DRUM_BENCH_AUDIO), "--json")
    assert all(-100.0 < onset["level_dbfs"] <= 0.0 for onset in json.loads(run.stdout)["onsets"])
    # live, a drum's first stroke is taken to be 3 dB under the loudest to come (the meter's spread of 6 dB)
    assert all(v[0] == 107 for v in live.values()), {drum: v[0] for drum, v in live.items()}
    assert bridge("transcribe-drums", str(DRUM_BENCH_AUDIO), "--json", "--velocity-reference", "song").returncode == 2


def test_transcribe_drums_maps_no_velocities_from_the_activations(tmp_path):
    from bridge.bench import DRUM_BENCH_AUDIO

    config = tmp_path / "c.toml"
    config.write_text('[drums]\nvelocity = "activation"\n')
    run = bridge("transcribe-drums", str(DRUM_BENCH_AUDIO), "--json", "--config", str(config))
    assert run.returncode == 0 and json.loads(run.stdout)["velocity_reference"] is None, run.stderr


@pytest.mark.parametrize("model", ["drums", "drums_lookahead"])
def test_transcribe_drums_places_each_models_onsets_at_the_strokes(model):
    """The models name a stroke 12.5-17.5 (a snare 17.5-22.5) or 20-30 ms after it sounds; their onsets must still
    carry the stroke's time."""
    import mir_eval

    from bridge.bench import DRUM_BENCH_AUDIO
    from bridge.drum_vocabulary import read_annotations

    run = bridge("transcribe-drums", str(DRUM_BENCH_AUDIO), "--json",
                 *(["--model", model] if model == "drums_lookahead" else []))
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["model"] == model  # drums by default, as live
    kicks = read_annotations(DRUM_BENCH_AUDIO.with_suffix(".txt"))[0]
    found = np.array([o["time"] for o in result["onsets"] if o["drum"] == "kick"])
    pairs = mir_eval.util.match_events(kicks, found, 0.05)
    assert len(pairs) >= 8 and abs(np.median([found[j] - kicks[i] for i, j in pairs])) < 0.01


def test_transcribe_drums_takes_a_threshold_for_every_class_and_one_per_drum(tmp_path):
    from bridge.bench import DRUM_BENCH_AUDIO

    def hihats(*thresholds: str) -> int:
        run = bridge("transcribe-drums", str(DRUM_BENCH_AUDIO), "--json", *(f"--threshold={t}" for t in thresholds))
        assert run.returncode == 0, run.stderr
        return sum(o["drum"] == "hihat" for o in json.loads(run.stdout)["onsets"])

    assert hihats("0.9", "hihat=0.3") > hihats("0.3", "hihat=0.9")
    for bad, message in (("cowbell=0.5", "no drum class 'cowbell'"), ("hihat=loud", "takes V or DRUM=V"),
                         ("1.5", "between 0 and 1")):
        run = bridge("transcribe-drums", str(DRUM_BENCH_AUDIO), "--json", f"--threshold={bad}")
        assert run.returncode == 1 and message in run.stderr and "Traceback" not in run.stderr


def test_the_offline_commands_take_their_settings_from_the_config(tmp_path):
    """--config was accepted and ignored by the file commands; now they read what applies to them."""
    from bridge.bench import DRUM_BENCH_AUDIO
    from bridge.demo import DEMO_DATA

    config = tmp_path / "c.toml"
    config.write_text("[drums]\nthreshold = 0.9\n[drums.thresholds]\nhihat = 0.3\n[instruments]\nupdates_per_s = 5\n")

    def counts(*options: str) -> dict[str, int]:
        run = bridge("transcribe-drums", str(DRUM_BENCH_AUDIO), "--json", *options)
        assert run.returncode == 0, run.stderr
        return Counter(o["drum"] for o in json.loads(run.stdout)["onsets"])

    shipped, configured = counts(), counts("--config", str(config))
    assert configured["hihat"] > shipped["hihat"] and configured["snare"] < shipped["snare"]
    assert counts("--config", str(config), "--threshold=hihat=0.9")["hihat"] < configured["hihat"]  # the option wins
    run = bridge("detect-instruments", str(DEMO_DATA / "instruments_trio.wav"), "--json", "--config", str(config))
    assert run.returncode == 0 and json.loads(run.stdout)["hop_s"] == pytest.approx(0.2, abs=0.01), run.stderr
    config.write_text("[instruments]\nupdates_per_s = 0\n")
    run = bridge("detect-instruments", str(DEMO_DATA / "instruments_trio.wav"), "--json", "--config", str(config))
    assert run.returncode == 2 and "updates_per_s must be more than 0" in run.stderr and "Traceback" not in run.stderr


def test_detect_instruments_prints_activity_json():
    from bridge.demo import DEMO_DATA

    run = bridge("detect-instruments", str(DEMO_DATA / "instruments_trio.wav"), "--json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert len(result["activity"][0]) == len(result["classes"]) and result["hop_s"] == pytest.approx(0.1, abs=0.01)
    assert result["clip"]["drums"] > 0.5
    times = result["time_s"]  # each update's time: the end of its 1-s window
    assert len(times) == len(result["active"]) == len(result["activity"]) and times[0] == pytest.approx(1.0)
    assert all(b - a == pytest.approx(result["hop_s"], abs=1e-3) for a, b in zip(times, times[1:]))
    assert "drums" in result["active"][times.index(5.0)]
    families = result["families"]  # as /instrument/family_activity: the largest activity of each family's classes
    at_5s = dict(zip(families, result["family_activity"][times.index(5.0)]))
    assert len(families) == 8 and at_5s["drums"] == result["activity"][times.index(5.0)][result["classes"].index("drums")]


@pytest.mark.parametrize("command", ["transcribe-drums", "detect-instruments"])
def test_an_unreadable_audio_file_is_a_clear_error(tmp_path, command):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF not really a wave file")
    run = bridge(command, str(bad), "--json")
    assert run.returncode == 1 and "cannot read" in run.stderr and "Traceback" not in run.stderr
    assert "knows its format" in run.stderr and "Warning" not in run.stderr  # a reason, and no library noise


@pytest.mark.parametrize("command", ["transcribe-drums", "detect-instruments"])
def test_the_file_commands_draw_what_they_found(tmp_path, command):
    import matplotlib.image

    from bridge.demo import DEMO_DATA

    picture = tmp_path / "found.png"
    run = bridge(command, str(DEMO_DATA / "instruments_trio.wav"), "--plot", str(picture))
    assert run.returncode == 0, run.stderr
    assert str(picture) in run.stdout
    height, width, _ = matplotlib.image.imread(picture).shape
    assert width >= 600 and height >= 250
