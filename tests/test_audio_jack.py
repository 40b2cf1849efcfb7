"""Audio into the daemon's JACK input reaches the analysis thread."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from bridge.config import AudioConfig
from bridge.counters import Counters
from bridge.io.audio import JackAudioInput
from bridge.io.jack_player import JackPlayer
from bridge.remote import DaemonProcess


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


def _hold_the_interpreter_lock(seconds: float) -> None:
    """Keep this thread in Python for ``seconds`` without handing the interpreter lock to any other thread,
    as a busy thread of a loaded daemon can for a while (Python's switch interval raised for the purpose)."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(10 * seconds)
    try:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            pass
    finally:
        sys.setswitchinterval(interval)


def test_a_device_pattern_that_is_no_regular_expression_is_reported_and_audio_still_opens(jack_server, tmp_path):
    daemon = DaemonProcess(tmp_path, '[audio]\nbackend = "jack"\ndevice = "["\n')
    try:
        status = daemon.osc.status()
        assert status["audio_open"] == 1 and status["errors_audio"] == 1, status
        assert "[audio] device '[' is not a regular expression" in daemon.log()
    finally:
        assert daemon.stop() == 0


def test_the_jack_input_keeps_to_its_cycles_while_python_holds_the_interpreter_lock(jack_server):
    """The input's callback is C: it runs every cycle while a Python thread holds the lock for 200 ms (a
    callback in Python ran none of them: its audio was lost, and the server logged an xrun for each)."""
    counters = Counters()
    audio = JackAudioInput(AudioConfig(backend="jack"), counters, "hold-test")
    audio.open()
    try:
        time.sleep(0.3)
        before = audio.ring.counts()
        _hold_the_interpreter_lock(0.2)
        during = audio.ring.counts()
        time.sleep(0.3)
        audio.count()
    finally:
        audio.close()
    cycles = 0.2 * jack_server.sample_rate_hz / jack_server.period_frames
    assert during.blocks - before.blocks >= 0.8 * cycles, (before, during)
    assert counters.get("audio_blocks") >= during.blocks > 0


def test_the_player_plays_every_sample_it_is_given(jack_server):
    """``JackPlayer.play`` starts the audio with the cycle that takes it. Placed at Python's estimate of the
    frame time, which can lag the cycle's start, it lost the first few samples now and then (CI once counted
    11,996 of 12,000 NaN samples)."""
    counters = Counters()
    audio = JackAudioInput(AudioConfig(backend="jack"), counters, "whole-test")
    audio.open()
    player = JackPlayer("whole-player")
    try:
        player.client.connect(player.audio_out, "whole-test:in_1")
        start, before = audio.ring.written, audio.ring.counts()
        for _ in range(20):
            player.play(np.ones(997))
            time.sleep(997 / jack_server.sample_rate_hz + 0.03)
        samples, _, missed = audio.ring.read(start)
        after = audio.ring.counts()
    finally:
        player.close()
        audio.close()
    if after.frames_skipped > before.frames_skipped:
        pytest.skip("the server skipped cycles: their samples never reached the input")
    assert missed == 0 and np.count_nonzero(samples == 1.0) == 20 * 997


def _midi_sent_while_python_holds_the_lock(sample_rate_hz: int) -> tuple[list, list, str]:
    """Twenty notes queued for the next 300 ms, the interpreter lock held through them: what came, what was due,
    and the sender's count of late events."""
    sender, receiver = JackPlayer("hold-sender"), JackPlayer("hold-receiver")
    try:
        sender.client.connect(sender.midi_out, receiver.midi_in)
        start = sender.now_frame() + sample_rate_hz // 10
        frames = [start + i * sample_rate_hz // 100 for i in range(20)]  # every 10 ms for 200 ms
        for i, frame in enumerate(frames):
            sender.send_at(frame, [0x90, 60 + i, 100])
        time.sleep(0.09)
        _hold_the_interpreter_lock(0.3)
        time.sleep(0.1)
        received = [(frame, data) for frame, data, _ in receiver.received]
    finally:
        sender.close()
        receiver.close()
    due = [(frame, bytes([0x90, 60 + i, 100])) for i, frame in enumerate(frames)]
    return received, due, "{} late, up to {:.1f} ms".format(*sender.lateness_ms())


def test_the_player_sends_midi_on_its_frames_while_python_holds_the_interpreter_lock(jack_server):
    """The player's callback is C too: MIDI due while Python holds the lock goes out on its frames.

    A cycle the dummy driver itself runs late (jackd reports an XRun: the machine did not schedule it) can
    delay a note whatever the callback does; such a try says nothing either way, and it is tried again.
    """
    for _ in range(3):
        xruns_before = jack_server.messages().count("XRun")
        received, due, late = _midi_sent_while_python_holds_the_lock(jack_server.sample_rate_hz)
        if received == due or jack_server.messages().count("XRun") == xruns_before:
            break
    assert received == due, f"{late}; jackd: {jack_server.messages()[-2000:]}"


UNSCHEDULED_INPUT = """
import sys, time
from bridge.config import AudioConfig
from bridge.counters import Counters
from bridge.io.audio import JackAudioInput
audio = JackAudioInput(AudioConfig(backend="jack"), Counters(), "unscheduled-input")
audio.open()
time.sleep(0.2)
print(audio.ring.counts().frames_skipped, flush=True)
sys.stdin.readline()
print(audio.ring.counts().frames_skipped, flush=True)
audio.close()
"""


def test_cycles_an_input_the_machine_did_not_run_are_counted(jack_server):
    """What the C callback can still miss: cycles in which its process does not run at all. The input runs
    in a process of its own, stopped for eight periods (SIGSTOP), as a machine that cannot schedule it would."""
    period = jack_server.period_frames
    child = subprocess.Popen([sys.executable, "-c", UNSCHEDULED_INPUT], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        before = int(child.stdout.readline())
        os.kill(child.pid, signal.SIGSTOP)
        time.sleep(8 * period / jack_server.sample_rate_hz)
        os.kill(child.pid, signal.SIGCONT)
        time.sleep(0.2)
        child.stdin.write("\n")
        child.stdin.flush()
        skipped = int(child.stdout.readline()) - before
    finally:
        child.communicate(timeout=10)
    assert skipped >= 5 * period and skipped % period == 0, skipped  # JACK waits for it a cycle or two
