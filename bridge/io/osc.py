"""OSC over UDP: a reader thread that only timestamps datagrams, and a sender.

The reader asks Linux for ``SO_RXQ_OVFL``, the count of datagrams the kernel
dropped because the socket buffer was full, so a flood that outruns the
daemon is counted even before the datagrams reach Python.
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
import time
from typing import Callable, Iterable

from pythonosc.osc_message_builder import OscMessageBuilder

from bridge.counters import Counters
from bridge.events import RawOsc

log = logging.getLogger("bridge.osc")

_SO_RXQ_OVFL = getattr(socket, "SO_RXQ_OVFL", 40)
_MAX_DATAGRAM = 65535


class OscReceiver:
    """Read UDP datagrams on ``host:port`` and hand each to ``on_datagram``.

    Counters: ``osc_received`` (datagrams read), ``osc_dropped_kernel``
    (datagrams the kernel dropped, Linux only).
    """

    def __init__(self, host: str, port: int, on_datagram: Callable[[RawOsc], None], counters: Counters) -> None:
        self._on_datagram = on_datagram
        self._counters = counters
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        try:
            self._sock.setsockopt(socket.SOL_SOCKET, _SO_RXQ_OVFL, 1)
            self._counts_kernel_drops = True
        except OSError:
            self._counts_kernel_drops = False
        self._sock.bind((host, port))
        self.address = self._sock.getsockname()
        self._running = True
        self._thread = threading.Thread(target=self._run, name="osc-in", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        ancillary_size = socket.CMSG_SPACE(4)
        while self._running:
            try:
                data, ancillary, _flags, sender = self._sock.recvmsg(_MAX_DATAGRAM, ancillary_size)
            except OSError:
                if self._running:
                    log.exception("OSC socket failed")
                return
            now = time.monotonic()
            for level, kind, payload in ancillary:
                if level == socket.SOL_SOCKET and kind == _SO_RXQ_OVFL and len(payload) >= 4:
                    self._counters.set("osc_dropped_kernel", struct.unpack("I", payload[:4])[0])
            self._counters.add("osc_received")
            self._on_datagram(RawOsc(data, sender, now))

    def stop(self) -> None:
        self._running = False
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        self._thread.join(timeout=2)


def encode_message(address: str, args: Iterable[object]) -> bytes:
    """OSC message bytes; Python floats become ``f``, ints ``i``, strings ``s``."""
    builder = OscMessageBuilder(address=address)
    for arg in args:
        builder.add_arg(arg)
    return builder.build().dgram


class OscSender:
    """Send OSC messages to a set of destinations (the configured one plus subscribers)."""

    def __init__(self, host: str, port: int, counters: Counters) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._counters = counters
        self._lock = threading.Lock()
        self._destinations: set[tuple[str, int]] = {(host, port)}

    def subscribe(self, host: str, port: int) -> bool:
        """Add a destination; False if it was already there."""
        with self._lock:
            new = (host, port) not in self._destinations
            self._destinations.add((host, port))
            return new

    def unsubscribe(self, host: str, port: int) -> None:
        with self._lock:
            self._destinations.discard((host, port))

    def send(self, address: str, *args: object) -> None:
        """Send to every destination."""
        with self._lock:
            destinations = list(self._destinations)
        data = encode_message(address, args)
        for destination in destinations:
            self._send_bytes(data, destination)

    def send_to(self, destination: tuple[str, int], address: str, *args: object) -> None:
        """Send to one destination only (a reply)."""
        self._send_bytes(encode_message(address, args), destination)

    def _send_bytes(self, data: bytes, destination: tuple[str, int]) -> None:
        try:
            self._sock.sendto(data, destination)
            self._counters.add("osc_sent")
        except OSError as exc:
            self._counters.add("osc_send_failed")
            log.debug("OSC send to %s failed: %s", destination, exc)

    def close(self) -> None:
        self._sock.close()
