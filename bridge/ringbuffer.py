"""Single-producer, single-consumer ring buffer of audio samples.

The audio callback writes, the analysis thread reads; neither takes a lock.
Positions are absolute sample counts, so the reader knows exactly how many
samples it missed when it falls more than a buffer behind.
"""

from __future__ import annotations

import time

import numpy as np

POLL_S = 0.002  # how often ``wait_for`` looks at the producer's count


class RingBuffer:
    """Mono float32 samples, overwritten oldest-first.

    Parameters
    ----------
    capacity : int
        Samples held.
    """

    def __init__(self, capacity: int) -> None:
        self._data = np.zeros(capacity, dtype=np.float32)
        self.capacity = capacity
        self.written = 0  # absolute count, only the producer advances it

    def write(self, samples: np.ndarray) -> None:
        """Append samples (producer side; never blocks, never allocates beyond a slice)."""
        n = len(samples)
        if n >= self.capacity:
            samples, n = samples[-self.capacity :], self.capacity
        start = self.written % self.capacity
        first = min(n, self.capacity - start)
        self._data[start : start + first] = samples[:first]
        self._data[: n - first] = samples[first:]
        self.written += n  # published last: the reader never sees unwritten samples

    def read(self, position: int, max_samples: int | None = None) -> tuple[np.ndarray, int, int]:
        """Samples from absolute ``position`` on (consumer side).

        Returns
        -------
        samples : np.ndarray
            A copy of the available samples.
        next_position : int
            Where the next read starts.
        missed : int
            Samples overwritten before they could be read.
        """
        written = self.written
        missed = max(0, written - self.capacity - position)
        position += missed
        n = written - position
        if max_samples is not None:
            n = min(n, max_samples)
        if n <= 0:
            return np.zeros(0, dtype=np.float32), position, missed
        indices = np.arange(position, position + n) % self.capacity
        return self._data[indices], position + n, missed

    def wait_for(self, samples: int, timeout_s: float) -> bool:
        """Sleep until ``samples`` samples have been written since the start, or ``timeout_s`` passes; True if
        they have (consumer side). The producer is a Python callback that must not take a lock to wake the
        reader, so the reader looks every ``POLL_S``."""
        deadline = time.monotonic() + timeout_s
        while self.written < samples:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(POLL_S, left))
        return True
