"""Thread-safe event counters and a bounded queue that counts what it drops."""

from __future__ import annotations

import queue
import threading
from collections import Counter
from typing import Generic, TypeVar

T = TypeVar("T")


class Counters:
    """Named integer counters shared by every thread of the daemon.

    ``/bridge/status`` reports a snapshot of them, so every drop and error
    the daemon sees is visible from outside.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._counts[name] += n

    def set(self, name: str, value: int) -> None:
        with self._lock:
            self._counts[name] = value

    def get(self, name: str) -> int:
        with self._lock:
            return self._counts[name]

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._counts.items()))


class DroppingQueue(Generic[T]):
    """Bounded FIFO whose ``put`` never blocks: when full, the new item is dropped and counted.

    Parameters
    ----------
    maxsize : int
        Capacity in items.
    counters : Counters
        Where drops are counted.
    drop_counter : str
        Name of the counter that drops increment.
    """

    def __init__(self, maxsize: int, counters: Counters, drop_counter: str) -> None:
        self._queue: queue.Queue[T] = queue.Queue(maxsize=maxsize)
        self._counters = counters
        self._drop_counter = drop_counter

    def put(self, item: T) -> bool:
        """Enqueue ``item``; return False (and count a drop) when the queue is full."""
        try:
            self._queue.put_nowait(item)
            return True
        except queue.Full:
            self._counters.add(self._drop_counter)
            return False

    def get(self, timeout_s: float | None = None) -> T | None:
        """Next item, or None when nothing arrives within ``timeout_s``."""
        try:
            return self._queue.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def qsize(self) -> int:
        return self._queue.qsize()
