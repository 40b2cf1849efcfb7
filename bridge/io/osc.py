"""OSC over UDP: a reader thread that drains the socket in batches, and a sender.

One thread reads and handles OSC: two threads would fight over the GIL at
every system call, and a flood would starve the reader. The reader takes
everything the kernel holds in one go and hands the batch on, so the daemon
can answer urgent messages first and drop the stalest of the rest.

Datagrams the kernel drops because the socket buffer is full never reach
Python; on Linux the reader reads their count for its socket from
``/proc/net/udp``, so a flood that outruns the daemon is still counted.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
import time
from typing import Callable, Iterable

from pythonosc.osc_message_builder import OscMessageBuilder

from bridge.counters import Counters
from bridge.events import RawOsc

log = logging.getLogger("bridge.osc")

_MAX_DATAGRAM = 65535


class OscReceiver:
    """Read UDP datagrams on ``host:port`` and hand them, in batches, to ``on_batch``.

    Counters: ``osc_received`` (datagrams read). ``kernel_drops()`` tells
    how many the kernel dropped before they could be read.
    """

    def __init__(self, host: str, port: int, on_batch: Callable[[list[RawOsc]], None], counters: Counters,
                 receive_buffer_bytes: int = 1 << 22, max_batch: int = 16384) -> None:
        self._on_batch = on_batch
        self._max_batch = max_batch
        self._counters = counters
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # A burst waits in the kernel until the reader thread gets to it; the kernel caps
        # the size at net.core.rmem_max, so log what was granted.
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer_bytes)
        log.debug("OSC receive buffer: %d bytes", self._sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
        try:
            self._sock.bind((host, port))
        except OSError as exc:
            self._sock.close()
            hint = ("another program, or another mir-bridge, has that port; set osc.listen_port"
                    if exc.errno == errno.EADDRINUSE else "set osc.listen_host to an address of this machine")
            raise OSError(exc.errno, f"cannot listen for OSC on {host}:{port}: {exc.strerror} ({hint})") from exc
        self.address = self._sock.getsockname()
        self._running = True
        self._thread = threading.Thread(target=self._run, name="osc-in", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while self._running:
            try:
                batch = self._read_batch()
            except OSError:
                if self._running:
                    log.exception("OSC socket failed")
                return
            if not self._running:  # shutdown() wakes recvfrom with an empty read
                return
            self._counters.add("osc_received", len(batch))
            self._on_batch(batch)

    def _read_batch(self) -> list[RawOsc]:
        """Block for one datagram, then take what else is waiting, without blocking."""
        data, sender = self._sock.recvfrom(_MAX_DATAGRAM)
        batch = [RawOsc(data, sender, time.monotonic())]
        while len(batch) < self._max_batch:
            try:
                data, sender = self._sock.recvfrom(_MAX_DATAGRAM, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            batch.append(RawOsc(data, sender, time.monotonic()))
        return batch

    def kernel_drops(self) -> int:
        """Datagrams the kernel dropped for this socket (0 where /proc/net/udp does not exist)."""
        return udp_kernel_drops(self.address[1])

    def stop(self) -> None:
        self._running = False
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        self._thread.join(timeout=2)


def udp_kernel_drops(port: int) -> int:
    """Datagrams the kernel dropped, its receive buffer being full, for the UDP sockets bound to ``port``
    (Linux's /proc/net/udp; 0 where it does not exist)."""
    suffix = f":{port:04X}"
    drops = 0
    try:
        with open("/proc/net/udp") as table:
            for line in table:
                fields = line.split()
                if len(fields) >= 13 and fields[1].endswith(suffix):
                    drops += int(fields[12])
    except (OSError, ValueError):
        pass
    return drops


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
