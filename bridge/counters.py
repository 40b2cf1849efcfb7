"""Thread-safe event counters and a bounded queue that counts what it drops."""

from __future__ import annotations

import threading
from collections import Counter, deque
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
    """Bounded FIFO between one producer and one consumer; ``put`` never blocks.

    When full, the new item is dropped and counted. Appends and pops on a
    deque are atomic, so the producer (a callback thread) takes no lock per item.

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
        self._items: deque[T] = deque()
        self._maxsize = maxsize
        self._counters = counters
        self._drop_counter = drop_counter
        self._ready = threading.Event()

    def put(self, item: T) -> bool:
        """Enqueue ``item``; return False (and count a drop) when the queue is full."""
        if len(self._items) >= self._maxsize:
            self._counters.add(self._drop_counter)
            return False
        self._items.append(item)
        if not self._ready.is_set():
            self._ready.set()
        return True

    def get(self, timeout_s: float | None = None) -> T | None:
        """Next item, or None when nothing arrives within ``timeout_s``."""
        while True:
            try:
                return self._items.popleft()
            except IndexError:
                pass
            self._ready.clear()
            if self._items:  # arrived between the pop and the clear
                continue
            if not self._ready.wait(timeout_s):
                return None

    def qsize(self) -> int:
        return len(self._items)
