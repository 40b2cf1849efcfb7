import re
import subprocess
import sys

from bridge.demo import drum_counts
from tests.conftest import TEST_PERIOD_FRAMES


# 35 notes in 8 bars; bars 6-7 (7 notes) are left to the inpainting model
EVERY_NOTE_ON_THE_GRID = "played 28 notes; the daemon heard 28, 28 on the right bar and tick"


def run_demo() -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bridge", "demo", "--speed", "2", "--period", str(TEST_PERIOD_FRAMES)],
                          capture_output=True, text=True, timeout=120)


def test_demo_plays_the_bundled_performance_and_hears_every_note_on_the_grid():
    """On a loaded machine (a virtual machine whose host takes its CPU away) JACK can skip cycles and the
    demo's player then sends MIDI late, and the demo says so; a run in which that happened and a note came off the grid is played once more, and
    the second run is judged."""
    run = run_demo()
    if EVERY_NOTE_ON_THE_GRID not in run.stdout and "MIDI events late" in run.stdout:
        run = run_demo()
    assert run.returncode == 0, run.stderr
    assert EVERY_NOTE_ON_THE_GRID in run.stdout, run.stdout
    assert ">> inpainted bars 6-7:" in run.stdout and "MIDI out of the daemon:" in run.stdout
    assert "errors 0, dropped 0" in run.stdout
    assert "audio level" in run.stdout
    assert "drums heard in the audio:" in run.stdout and "drum notes on channel 10" in run.stdout
    assert re.search(r"drums heard in the audio: \w+ \d+ \(vel \d+(-\d+)?\)", run.stdout), run.stdout
    assert "instruments in the audio:" in run.stdout


def test_the_demo_shows_each_drum_s_strokes_with_their_velocity_range():
    assert drum_counts({"kick": [127, 90], "hihat": [60, 64, 127], "snare": [101]}) == (
        "hihat 3 (vel 60-127), kick 2 (vel 90-127), snare 1 (vel 101)")
