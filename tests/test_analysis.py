"""The analysis thread keeps feeding the other engines when one fails on a block.

The audio source here is a bare ring buffer written by the test and the engines are stand-ins: no real
engine fails on demand. The real JACK input and engines are covered in test_audio_jack.py and
test_drums_jack.py."""

import time
from types import SimpleNamespace

import numpy as np

from bridge.analysis import AnalysisThread
from bridge.counters import Counters
from bridge.reporting import ErrorReporter
from bridge.ringbuffer import RingBuffer


class Failing:
    name = "failing"

    def __init__(self) -> None:
        self.resets = 0

    def samples_wanted(self, sample_rate_hz):
        return 1

    def process(self, samples, sample_rate_hz, time_s):
        raise RuntimeError("model said no")

    def reset(self):
        self.resets += 1


class Counting:
    name = "counting"

    def __init__(self) -> None:
        self.samples = 0

    def samples_wanted(self, sample_rate_hz):
        return 1

    def process(self, samples, sample_rate_hz, time_s):
        self.samples += len(samples)

    def reset(self):
        pass


def test_a_failing_engine_is_reported_and_reset_and_the_others_go_on():
    counters, errors = Counters(), []
    reporter = ErrorReporter(counters)
    reporter.connect(lambda source, message: errors.append((source, message)))
    ring = RingBuffer(48000)
    audio = SimpleNamespace(ring=ring, sample_rate_hz=48000)
    failing, counting = Failing(), Counting()
    thread = AnalysisThread(lambda: audio, [failing, counting], counters, reporter)
    thread.start()
    try:
        time.sleep(0.05)
        for _ in range(10):
            ring.write(np.zeros(480, np.float32))
            time.sleep(0.01)
        time.sleep(0.05)
    finally:
        thread.stop()
    assert counting.samples == 4800
    assert counters.snapshot()["analysis_cpu_us_counting"] >= 0  # each engine's CPU time is counted, failing or not
    assert "analysis_cpu_us_failing" in counters.snapshot()
    assert failing.resets >= 1 and counters.snapshot()["audio_engine_errors"] >= 1
    assert errors and errors[0][0] == "audio" and "Failing failed on a block" in errors[0][1]
