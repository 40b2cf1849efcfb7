import json
import subprocess
import sys

from bridge.bench import live_block_samples, models_section
from bridge.config import load_config
from bridge.models import MODELS_DIR


def test_bench_json_has_the_design_keys_with_percentiles(tmp_path):
    out = tmp_path / "bench.json"
    run = subprocess.run([sys.executable, "-m", "bridge", "bench", "--json", "-n", "40", "-o", str(out)],
                         capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr
    printed = json.loads(run.stdout)
    assert printed == json.loads(out.read_text())
    assert printed["models_dir"] == MODELS_DIR.name and printed["drum_model"] == "drums"  # no config: the defaults
    for key in ("midi_passthrough_ms", "osc_roundtrip_ms"):
        assert {"p50", "p99", "n"} <= set(printed[key]) and printed[key]["n"] > 0
    passthrough = printed["midi_passthrough_ms"]
    assert passthrough["lost_in_daemon"] == 0, passthrough  # every note heard was echoed
    # JACK drops the MIDI of a cycle in which a client was late: on a virtual machine whose host takes the CPU
    # away (cpu_steal_share) that happens now and then, and a note can be lost on the way in or out.
    assert passthrough["lost"] == 0 or passthrough["jack_xruns"] > 0, passthrough
    drums = printed["drums_onset_to_midi_ms"]
    assert {"p50", "p99", "n", "within_50ms"} <= set(drums) and drums["n"] > 0.5 * drums["onsets"]
    assert printed["drums_realtime_factor"] > 1 and printed["drums_realtime_factor_live_pace"] > 1
    # One frame of the live default: 110 samples at 22.05 kHz, its network's hop of 220 at two phases.
    assert printed["drums_live_block_samples"] == 239
    phase = printed["drums_within_50ms_offline_by_hop_phase"]
    assert 0.5 < phase["min"] <= phase["mean"] <= phase["max"] <= 1 and phase["phases"] == 10
    assert len(phase["missed_at_every_offset"]) <= (1 - phase["max"]) * drums["onsets"] + 0.5
    heard = printed["drums_onset_to_frame_end_offline_ms"]  # the model's own latency, before any computing
    assert 0 < heard["p50"] <= heard["p99"] <= heard["max"] <= 50 + 25 and heard["n"] >= 10 * phase["min"] * drums["onsets"] - 0.5
    # Not a timing (it counts frames, the same on every machine): the live default must leave the JACK periods
    # and the computing room in the 30-ms budget; the pair with 15 ms of look-ahead, at 29.6 ms, did not.
    assert heard["p99"] <= 30 - 2 * passthrough["jack_period_ms"], heard
    assert 9.5 <= printed["instruments_updates_per_s"] <= 10.5 and 0 < printed["instruments_core_share"] < 1
    assert "cpu" in printed["machine"] and "cpu_steal_share" in printed["machine"]


def test_the_live_block_is_a_frame_or_the_jack_period_when_that_is_longer():
    """The blocks of the live real-time factors: the analysis thread wakes for the next frame (239 samples of the
    live default at 48 kHz), or once a period where a period brings a frame or more."""
    from bridge.engines.drums import DrumModel

    model = DrumModel(provider="cpu")
    assert [live_block_samples(model, period) for period in (64, 128, 256, 512)] == [239, 239, 256, 512]


def test_the_bench_points_its_daemons_at_the_configured_models(tmp_path):
    odd = tmp_path / 'models "candidate" \\ 2'
    config = tmp_path / "bridge.toml"
    config.write_text(models_section(odd, "drums_lookahead"))
    loaded = load_config(str(config))
    assert loaded.models.dir == str(odd) and loaded.drums.model == "drums_lookahead"
