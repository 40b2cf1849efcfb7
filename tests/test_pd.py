"""Pure Data as an outside OSC client: the shipped patch pings the daemon and prints PONG."""

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from bridge.remote import free_udp_port

PATCH = Path(__file__).parents[1] / "max_patches" / "pd" / "bridge-ping.pd"


@pytest.mark.skipif(shutil.which("pd") is None, reason="Pure Data is not installed (Debian: puredata-core)")
def test_pd_patch_pings_the_daemon_and_receives_pong(daemon):
    reply_port = free_udp_port()
    pd = subprocess.Popen(
        ["pd", "-nogui", "-noaudio", "-nomidi", "-stderr", "-open", str(PATCH),
         "-send", f"bridge-config {daemon.osc_port} {reply_port}"],
        stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 10
        lines = []
        while time.monotonic() < deadline:
            line = pd.stderr.readline()
            lines.append(line)
            if line.startswith("PONG"):
                break
        assert any(line.startswith("PONG: bang") for line in lines), lines
    finally:
        pd.terminate()
        pd.wait(5)


VISUALS = Path(__file__).parents[1] / "max_patches" / "pd" / "bridge-visuals.pd"


@pytest.mark.jack
@pytest.mark.skipif(shutil.which("pd") is None, reason="Pure Data is not installed (Debian: puredata-core)")
def test_pd_visuals_patch_sets_drum_thresholds_and_velocities_and_receives_drum_onsets_and_instrument_activity(
        daemon, peer):
    import librosa

    from bridge.bench import DRUM_BENCH_AUDIO

    reply_port = free_udp_port()
    daemon.osc.send("/bridge/subscribe", daemon.osc.port)
    before_pd = daemon.osc.mark()
    pd = subprocess.Popen(
        ["pd", "-nogui", "-noaudio", "-nomidi", "-stderr", "-open", str(VISUALS),
         "-send", f"bridge-config {daemon.osc_port} {reply_port}; drums-threshold 0.45 hihat; "
                  "drums-velocity level 30; drums-velocity-reference hold; instruments-threshold 0.35 piano"],
        stderr=subprocess.PIPE, text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(line.startswith("CLASSES:") for line in lines):
            lines.append(pd.stderr.readline())
        assert any(line.startswith("CLASSES: drums") for line in lines), lines
        status = daemon.osc.status_once(lambda status: status["drums_threshold_hihat"] == pytest.approx(0.45))
        assert status["drums_threshold_hihat"] == pytest.approx(0.45)
        status = daemon.osc.status_once(lambda status: status["drums_velocity_curve_db"] == pytest.approx(30.0))
        assert status["drums_velocity_curve_db"] == pytest.approx(30.0) and status["drums_velocity_from_level"] == 1
        # No stroke heard yet: the daemon answers the patch's well-formed hold that there is nothing to hold.
        nothing_to_hold = "/drums/velocity_reference hold: no drum stroke"
        held = daemon.osc.wait_for("/bridge/error", 5.0, since=before_pd,
                                   predicate=lambda message: nothing_to_hold in message.args[1])
        assert held is not None, daemon.osc.since(before_pd, "/bridge/error")
        status = daemon.osc.status_once(lambda status: status["instruments_threshold_piano"] == pytest.approx(0.35))
        assert status["instruments_threshold_piano"] == pytest.approx(0.35)
        audio, _ = librosa.load(str(DRUM_BENCH_AUDIO), sr=peer.sample_rate_hz)
        peer.play(audio)
        deadline = time.monotonic() + 15
        def seen(prefix: str) -> bool:
            return any(line.startswith(prefix) for line in lines)

        while time.monotonic() < deadline and not (seen("DRUM: ") and seen("ACTIVITY:") and seen("PEAKS: ")
                                                    and seen("FAMILY:")):
            lines.append(pd.stderr.readline())
        assert seen("DRUM: "), lines[-5:]
        assert seen("ACTIVITY:") and seen("FAMILIES: drums bass keys")
        family = next(line for line in lines if line.startswith("FAMILY: ")).split()[1:]
        assert len(family) == 8 and all(0.0 <= float(v) <= 1.0 for v in family), family
        peaks = next(line for line in lines if line.startswith("PEAKS: ")).split()[1:]
        assert len(peaks) == 6 and all(0.0 <= float(p) <= 1.0 for p in peaks), peaks
    finally:
        pd.terminate()
        pd.wait(5)
