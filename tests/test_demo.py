import subprocess
import sys


def test_demo_plays_the_bundled_performance_and_hears_every_note_on_the_grid():
    run = subprocess.run([sys.executable, "-m", "bridge", "demo", "--speed", "2"], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    # 35 notes in 8 bars; bars 6-7 (7 notes) are left to the inpainting model
    assert "played 28 notes; the daemon heard 28, 28 on the right bar and tick" in run.stdout, run.stdout
    assert ">> inpainted bars 6-7:" in run.stdout and "MIDI out of the daemon:" in run.stdout
    assert "errors 0, dropped 0" in run.stdout
    assert "audio level" in run.stdout
    assert "drums heard in the audio:" in run.stdout and "drum notes on channel 10" in run.stdout
    assert "instruments in the audio:" in run.stdout
