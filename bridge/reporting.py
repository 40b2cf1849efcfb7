"""Error reporting: every problem is logged, counted and sent as ``/bridge/error``."""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from bridge.counters import Counters

log = logging.getLogger("bridge")

SendError = Callable[[str, str], None]


class ErrorReporter:
    """Log, count and forward errors, with a rate limit on the OSC side.

    A flood of bad input must not turn into a flood of error messages, so
    at most ``rate_per_s`` errors a second go out as OSC; the others are
    still logged at debug level and counted as ``errors_suppressed``.

    Parameters
    ----------
    counters : Counters
        ``errors`` and ``errors_suppressed`` are counted here.
    rate_per_s : float
        Token-bucket rate of ``/bridge/error`` messages.
    """

    def __init__(self, counters: Counters, rate_per_s: float = 50.0) -> None:
        self._counters = counters
        self._rate_per_s = rate_per_s
        self._tokens = rate_per_s
        self._last_s = time.monotonic()
        self._lock = threading.Lock()
        self._send: SendError | None = None

    def connect(self, send: SendError) -> None:
        """Route errors to ``send(source, message)`` (the OSC client)."""
        self._send = send

    def _take_token(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self._rate_per_s, self._tokens + (now - self._last_s) * self._rate_per_s)
            self._last_s = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False

    def error(self, source: str, message: str) -> None:
        """Report one problem from ``source`` (e.g. ``"osc"``, ``"midi"``, ``"audio"``)."""
        self._counters.add("errors")
        self._counters.add(f"errors_{source}")
        if not self._take_token():
            self._counters.add("errors_suppressed")
            log.debug("%s: %s (suppressed)", source, message)
            return
        log.warning("%s: %s", source, message)
        if self._send is not None:
            self._send(source, message)
