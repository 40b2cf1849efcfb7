import subprocess
import sys


def test_demo_plays_the_bundled_performance_and_hears_every_note_on_the_grid():
    run = subprocess.run([sys.executable, "-m", "bridge", "demo", "--speed", "2"], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert "played 35 notes; the daemon heard 35, 35 on the right bar and tick" in run.stdout
    assert "errors 0, dropped 0" in run.stdout
    assert "audio level" in run.stdout
