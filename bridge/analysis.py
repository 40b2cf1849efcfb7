"""The analysis thread: reads the audio ring buffer, cleans the signal, feeds audio engines.

It sleeps until the input holds the samples that complete the next frame of
one of its engines (the drum model's, every 10 ms), so a frame is analysed
as soon as its last sample is in, not at the next tick of a clock; with the
JACK input, the input's callback wakes it.

Bad audio is handled here once for every engine: NaN and infinite samples
become silence (and are reported), clipping is counted, and each engine gets
the block with its sample rate so it can resample to its model's rate.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Protocol

import numpy as np

from bridge.counters import Counters
from bridge.reporting import ErrorReporter

SILENCE_DBFS = -120.0
WAIT_S = 0.1  # the longest the thread sleeps on the input before it looks again at its source and at stop()
NO_INPUT_WAIT_S = 0.05  # how often it looks for an input while there is none


class AudioEngine(Protocol):
    """What the analysis thread feeds: a name (its CPU time is counted as ``analysis_cpu_us_<name>``), how many
    samples it wants next, a method to process a block, one to reset."""

    name: str

    def samples_wanted(self, sample_rate_hz: int) -> int: ...

    def process(self, samples: np.ndarray, sample_rate_hz: int, time_s: float) -> None: ...

    def reset(self) -> None: ...


def to_dbfs(value: float) -> float:
    """Amplitude to dB full scale, floored at ``SILENCE_DBFS``."""
    return max(SILENCE_DBFS, 20.0 * float(np.log10(max(value, 1e-12))))


class LevelMeter:
    """RMS and peak of the incoming audio over the last report period, in dBFS."""

    name = "level"

    def __init__(self, send: Callable[[float, float], None], rate_hz: float = 10.0) -> None:
        self._send = send
        self._period_s = 1.0 / rate_hz
        self._next_s = 0.0
        self._sum_squares = 0.0
        self._count = 0
        self._peak = 0.0
        self.rms_dbfs = SILENCE_DBFS
        self.peak_dbfs = SILENCE_DBFS

    def samples_wanted(self, sample_rate_hz: int) -> int:
        """A quarter of the report period: the meter needs no frame, only blocks often enough."""
        return max(1, round(sample_rate_hz * self._period_s / 4))

    def process(self, samples: np.ndarray, sample_rate_hz: int, time_s: float) -> None:
        if len(samples):
            self._sum_squares += float(np.dot(samples, samples))
            self._count += len(samples)
            self._peak = max(self._peak, float(np.max(np.abs(samples))))
        if time_s >= self._next_s and self._count:
            self.rms_dbfs = to_dbfs(np.sqrt(self._sum_squares / self._count))
            self.peak_dbfs = to_dbfs(self._peak)
            self._send(self.rms_dbfs, self.peak_dbfs)
            self.reset()
            self._next_s = time_s + self._period_s

    def reset(self) -> None:
        self._sum_squares, self._count, self._peak = 0.0, 0, 0.0


class AnalysisThread:
    """Wait until the ring buffer holds what the engines want next, and run them on what arrived.

    Parameters
    ----------
    source : callable
        Returns the current ``AudioInput`` (it is replaced when JACK restarts).
    engines : list of AudioEngine
        Fed in order with every cleaned block.
    """

    def __init__(self, source, engines: list[AudioEngine], counters: Counters, reporter: ErrorReporter) -> None:
        self._source = source
        self.engines = engines
        self._counters = counters
        self._reporter = reporter
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="analysis", daemon=True)
        self._ring = None
        self._position = 0
        self._in_bad_stretch = False

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            audio = self._source()
            if audio is None or audio.sample_rate_hz == 0:
                self._stop.wait(NO_INPUT_WAIT_S)
                continue
            if audio.ring is not self._ring:
                self._ring, self._position = audio.ring, audio.ring.written
                for engine in self.engines:
                    engine.reset()
            wanted = min((engine.samples_wanted(audio.sample_rate_hz) for engine in self.engines), default=1)
            if not self._ring.wait_for(self._position + wanted, WAIT_S):
                continue
            samples, self._position, missed = self._ring.read(self._position)
            if missed:
                self._counters.add("audio_samples_missed", missed)
            if len(samples):
                self._process(samples, audio.sample_rate_hz)

    def _process(self, samples: np.ndarray, sample_rate_hz: int) -> None:
        self._counters.add("audio_samples", len(samples))
        bad = ~np.isfinite(samples)
        if bad.any():
            self._counters.add("audio_nonfinite_samples", int(bad.sum()))
            if not self._in_bad_stretch:
                self._reporter.error("audio", f"{int(bad.sum())} NaN or infinite samples in the input; treated as silence")
            samples = np.where(bad, 0.0, samples).astype(np.float32)
        self._in_bad_stretch = bool(bad.any())
        clipped = int(np.count_nonzero(np.abs(samples) >= 0.999))
        if clipped:
            self._counters.add("audio_clipped_samples", clipped)
        now = time.monotonic()
        for engine in self.engines:
            started = time.thread_time()
            try:
                engine.process(samples, sample_rate_hz, now)
            except Exception as exc:  # one engine's failure must not stop the others or the thread
                self._counters.add("audio_engine_errors")
                self._reporter.error("audio", f"{type(engine).__name__} failed on a block and was reset: {exc}")
                engine.reset()
            finally:  # the engine's own CPU time, as it runs live (between other work)
                self._counters.add(f"analysis_cpu_us_{engine.name}", round(1e6 * (time.thread_time() - started)))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
