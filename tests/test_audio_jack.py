"""Audio into the daemon's JACK input reaches the analysis thread."""

import time

import numpy as np
import pytest


def _level_after(client, peer, samples, seconds=1.0):
    index = client.mark()
    peer.play(samples)
    time.sleep(seconds)
    return [m.args for m in client.since(index, "/bridge/audio/level")]


def test_a_sine_played_over_jack_is_measured_at_its_level(daemon, peer):
    client = daemon.osc
    client.send("/bridge/subscribe", client.port)
    rate = peer.sample_rate_hz
    t = np.arange(int(1.5 * rate)) / rate
    sine = 0.5 * np.sin(2 * np.pi * 440 * t)  # peak -6 dBFS, RMS -9 dBFS
    levels = _level_after(client, peer, sine, 1.2)
    steady = [rms for rms, peak in levels[3:-3]]
    assert steady and np.median(steady) == pytest.approx(-9.03, abs=0.5)
    assert max(peak for _, peak in levels) == pytest.approx(-6.02, abs=0.3)


def test_silence_nan_and_clipping_are_handled(daemon, peer):
    client = daemon.osc
    client.send("/bridge/subscribe", client.port)
    rate = peer.sample_rate_hz
    silence = _level_after(client, peer, np.zeros(rate // 2), 0.6)
    assert silence and all(rms <= -100 for rms, _ in silence[2:])
    index = client.mark()
    bad = np.full(rate // 4, np.nan)
    peer.play(bad)
    error = client.wait_for("/bridge/error", 2.0, since=index, predicate=lambda m: m.args[0] == "audio")
    assert error is not None and "NaN" in error.args[1]
    time.sleep(0.5)  # let the whole NaN stretch play
    peer.play(np.clip(3.0 * np.sin(np.arange(rate // 2) * 0.05), -1.0, 1.0))
    time.sleep(0.7)
    status = client.status()
    # the periods of a cycle the input missed on a loaded machine never reach it (counted as skipped)
    assert status["audio_nonfinite_samples"] >= rate // 4 - status["audio_frames_skipped"], status
    assert status["audio_clipped_samples"] > 1000, status
    assert client.ping() is not None


def test_cycles_the_input_misses_are_counted(jack_server):
    """The JACK input's callback is Python; this test holds the interpreter lock for 60 ms (a switch interval
    raised for the purpose), as a busy thread of a loaded daemon could, and the cycles it missed are counted."""
    import sys

    from bridge.config import AudioConfig
    from bridge.counters import Counters
    from bridge.io.audio import JackAudioInput

    counters = Counters()
    audio = JackAudioInput(AudioConfig(backend="jack"), counters, "skip-test")
    audio.open()
    try:
        time.sleep(0.3)
        before = counters.snapshot().get("audio_frames_skipped", 0)
        interval = sys.getswitchinterval()
        sys.setswitchinterval(0.5)
        try:
            end = time.perf_counter() + 0.06
            while time.perf_counter() < end:
                pass
        finally:
            sys.setswitchinterval(interval)
        time.sleep(0.3)
        skipped = counters.snapshot().get("audio_frames_skipped", 0) - before
    finally:
        audio.close()
    period = jack_server.period_frames
    assert skipped >= period and skipped % period == 0, skipped
    assert counters.snapshot()["audio_blocks"] > 0


def test_opening_the_jack_input_lets_its_callback_take_the_interpreter_lock_in_time(jack_server):
    """Python hands the lock over every 5 ms by default, two periods: the input shortens that when it opens."""
    import sys

    from bridge.config import AudioConfig
    from bridge.counters import Counters
    from bridge.io.audio import JackAudioInput
    from bridge.io.jack_server import GIL_SWITCH_INTERVAL_S

    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    audio = JackAudioInput(AudioConfig(backend="jack"), Counters(), "switch-test")
    try:
        audio.open()
        assert sys.getswitchinterval() <= GIL_SWITCH_INTERVAL_S
        assert sys.getswitchinterval() < jack_server.period_frames / jack_server.sample_rate_hz
    finally:
        audio.close()
        sys.setswitchinterval(interval)
