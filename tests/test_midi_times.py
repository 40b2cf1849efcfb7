"""Incoming MIDI is timed by the backend's deltas, not by when the reader took it from rtmidi's queue.

These feed ``EventTimes`` the (delta, arrival) pairs rtmidi's queue gives, made up: a late
reader cannot be caused on demand over real JACK. The JACK MIDI tests cover the real path.
"""

import pytest

from bridge.io.midi import EventTimes


def test_a_late_reader_keeps_the_time_the_backend_gave():
    times = EventTimes()
    period = 60.0 / 120 / 24  # MIDI clock at 120 BPM
    stamps = []
    for tick in range(48):
        late = 0.030 if tick % 7 == 3 else 0.0005  # now and then the GIL is busy for 30 ms
        stamps.append(times(0.0 if tick == 0 else period, 100.0 + tick * period + late))
    steps = [b - a for a, b in zip(stamps, stamps[1:])]
    assert steps == pytest.approx([period] * 47, abs=5e-5)  # not 30 ms off: the anchor only creeps
    assert stamps[0] == pytest.approx(100.0005, abs=1e-9)  # anchored by the least delayed arrival


def test_the_anchor_follows_a_backend_clock_that_runs_slow():
    times = EventTimes(drift_per_s=1e-3)
    slow = 1.0 - 200e-6  # the backend's second is 200 ppm short of the system's
    stamp = times(0.0, 0.0)
    for second in range(1, 601):
        stamp = times(slow, float(second))
    assert stamp == pytest.approx(600.0, abs=0.002)
