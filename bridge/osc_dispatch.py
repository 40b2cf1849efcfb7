"""The OSC surface: a table of routes, each with typed, range-checked arguments.

A route declares its arguments; the dispatcher parses the packet, checks
count, types and ranges, and calls the handler with clean Python values.
Every rejection names the address and what was wrong, so a patch author sees
the mistake in ``/bridge/error``.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Callable, Sequence

from pythonosc.osc_message import OscMessage
from pythonosc.osc_packet import OscPacket, ParseError

from bridge.events import RawOsc

_TYPE_NAMES = {float: "f", int: "i", str: "s"}


@dataclass(frozen=True)
class Arg:
    """One OSC argument: a name, a type (float, int, str) and its allowed values."""

    name: str
    kind: type
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()

    def convert(self, value: object) -> object:
        """Return the value as ``kind``; raise ValueError with the reason."""
        if self.kind is str:
            if not isinstance(value, str):
                raise ValueError(f"{self.name} must be a string, got {type(value).__name__} {value!r}")
            if self.choices and value not in self.choices:
                raise ValueError(f"{self.name} must be one of {', '.join(self.choices)}, got {value!r}")
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{self.name} must be a number, got {type(value).__name__} {value!r}")
        if not math.isfinite(value):
            raise ValueError(f"{self.name} must be finite, got {value}")
        if self.kind is int:
            if value != int(value):
                raise ValueError(f"{self.name} must be a whole number, got {value}")
            value = int(value)  # Pd and Max send numbers as floats
        else:
            value = float(value)
        if self.low is not None and value < self.low or self.high is not None and value > self.high:
            raise ValueError(f"{self.name} must be in [{self.low}, {self.high}], got {value}")
        return value

    @property
    def signature(self) -> str:
        return _TYPE_NAMES[self.kind]


@dataclass(frozen=True)
class Route:
    """An OSC input address.

    ``handler(raw, *values)`` receives the datagram (sender, time) and the
    converted arguments; the last ``optional`` arguments may be left out.
    """

    address: str
    args: tuple[Arg, ...]
    handler: Callable[..., None]
    doc: str
    optional: int = 0

    @property
    def signature(self) -> str:
        required = "".join(a.signature for a in self.args[: len(self.args) - self.optional])
        extra = "".join(a.signature for a in self.args[len(self.args) - self.optional :])
        return required + (f"[{extra}]" if extra else "")

    def convert(self, values: Sequence[object]) -> list[object]:
        low, high = len(self.args) - self.optional, len(self.args)
        if not low <= len(values) <= high:
            wanted = str(low) if low == high else f"{low}-{high}"
            raise ValueError(f"expects {wanted} arguments ({self.signature or 'none'}), got {len(values)}")
        return [arg.convert(value) for arg, value in zip(self.args, values)]


class OscDispatcher:
    """Parse datagrams and call routes.

    Parameters
    ----------
    routes : sequence of Route
        The input address table.
    on_error : callable
        ``on_error(message)`` for every rejected packet or message.
    """

    def __init__(self, routes: Sequence[Route], on_error: Callable[[str], None]) -> None:
        self.routes = {route.address: route for route in routes}
        self._on_error = on_error

    def dispatch(self, raw: RawOsc) -> int:
        """Handle one datagram; return how many messages were handled."""
        size = len(raw.datagram)
        try:
            check_packet(raw.datagram)
            packet = OscPacket(raw.datagram)
        except ParseError as exc:
            self._on_error(f"malformed OSC packet of {size} bytes from {_sender(raw)}: {exc}")
            return 0
        handled = 0
        for timed in packet.messages:
            handled += self._dispatch_message(timed.message, raw)
        return handled

    def _dispatch_message(self, message: OscMessage, raw: RawOsc) -> int:
        route = self.routes.get(message.address)
        if route is None:
            self._on_error(f"unknown address {message.address}")
            return 0
        try:
            values = route.convert(message.params)
        except ValueError as exc:
            self._on_error(f"{message.address} {exc}")
            return 0
        route.handler(raw, *values)
        return 1


def check_packet(data: bytes) -> None:
    """Raise ParseError unless ``data`` is a well-framed message or bundle (recursively).

    pythonosc accepts some truncated arguments and skips bundle elements it
    cannot identify; a live surface should say so instead.
    """
    if len(data) == 0 or len(data) % 4:
        raise ParseError(f"an OSC packet's size is a non-zero multiple of 4 bytes, got {len(data)}")
    if data.startswith(b"/"):
        return
    if not data.startswith(b"#bundle\x00") or len(data) < 16:
        raise ParseError("neither a message (starts with /) nor a bundle (#bundle)")
    position = 16
    while position < len(data):
        if position + 4 > len(data):
            raise ParseError("bundle element size is cut off")
        (element_size,) = struct.unpack(">i", data[position : position + 4])
        element = data[position + 4 : position + 4 + element_size]
        if element_size <= 0 or len(element) != element_size:
            raise ParseError(f"bundle element of {element_size} bytes does not fit the bundle")
        check_packet(element)
        position += 4 + element_size


def _sender(raw: RawOsc) -> str:
    return f"{raw.sender[0]}:{raw.sender[1]}" if raw.sender else "an unknown sender"

