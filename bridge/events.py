"""Small typed records that flow between the daemon's threads.

Every record carries ``time_s``: seconds on the ``time.monotonic()`` clock,
taken where the event entered or will leave the daemon.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RawMidi:
    """Bytes as they arrived on a MIDI input, before validation."""

    data: tuple[int, ...]
    time_s: float


@dataclass(frozen=True)
class RawOsc:
    """One UDP datagram from the OSC socket."""

    datagram: bytes
    sender: tuple[str, int]
    time_s: float


@dataclass(frozen=True)
class BarLine:
    """A bar line of the musical clock: ``bar`` starts at ``time_s``."""

    bar: int
    time_s: float
