"""Drive a daemon from outside, as a patch or a DAW would: spawn it, talk OSC to it."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pythonosc.osc_packet import OscPacket, ParseError

from bridge.processes import die_with_parent, terminate
from bridge.io.osc import encode_message, udp_kernel_drops

log = logging.getLogger("bridge.remote")


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    address: str
    args: list
    time_s: float


class OscClient:
    """Sends to the daemon and collects everything the daemon sends to ``port``.

    Parameters
    ----------
    daemon_port : int
        The daemon's OSC listen port on 127.0.0.1.
    port : int, optional
        Where to listen for replies (a free port by default).
    """

    def __init__(self, daemon_port: int, port: int | None = None) -> None:
        self.daemon = ("127.0.0.1", daemon_port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port or 0))
        self.port = self.sock.getsockname()[1]
        self.messages: list[Received] = []
        self._lock = threading.Condition()
        self._running = True
        self.explain_silence: Callable[[], str] | None = None  # why the daemon did not answer (DaemonProcess sets it)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while self._running:
            try:
                data = self.sock.recv(65535)
            except OSError:
                return
            now = time.monotonic()
            try:
                packet = OscPacket(data)
            except ParseError:
                continue
            with self._lock:
                for timed in packet.messages:
                    self.messages.append(Received(timed.message.address, list(timed.message.params), now))
                self._lock.notify_all()

    def send(self, address: str, *args: object) -> float:
        self.sock.sendto(encode_message(address, args), self.daemon)
        return time.monotonic()

    def send_raw(self, data: bytes) -> None:
        self.sock.sendto(data, self.daemon)

    def wait_for(self, address: str, timeout_s: float = 5.0, since: int = 0, predicate=None) -> Received | None:
        """First message at ``address`` (index >= since) that satisfies ``predicate``."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while True:
                for message in self.messages[since:]:
                    if message.address == address and (predicate is None or predicate(message)):
                        return message
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._lock.wait(left)

    def mark(self) -> int:
        with self._lock:
            return len(self.messages)

    def since(self, index: int, address: str | None = None) -> list[Received]:
        with self._lock:
            return [m for m in self.messages[index:] if address is None or m.address == address]

    def ping(self, timeout_s: float = 2.0) -> float | None:
        """Round trip of /bridge/ping in seconds, or None."""
        index = self.mark()
        sent = self.send("/bridge/ping", self.port)
        pong = self.wait_for("/bridge/pong", timeout_s, since=index)
        return None if pong is None else pong.time_s - sent

    def status(self, attempts: int = 3, timeout_s: float = 2.0) -> dict[str, float]:
        """The daemon's counters (``/bridge/status``), asked for again after ``timeout_s`` without a reply (a
        UDP datagram can be lost), up to ``attempts`` times.

        Raises
        ------
        AssertionError
            No reply to any request; the message says whether one came late, what the kernel dropped at
            either end, and what ``explain_silence`` (when set) tells of the daemon.
        """
        index = self.mark()
        for attempt in range(1, attempts + 1):
            sent = self.send("/bridge/status", self.port)
            reply = self.wait_for("/bridge/status", timeout_s, since=index)
            if reply is not None:
                if attempt > 1:
                    log.warning("a /bridge/status reply came only after request %d of %d, %.0f ms after it",
                                attempt, attempts, 1000.0 * (reply.time_s - sent))
                return dict(zip(reply.args[::2], reply.args[1::2]))
        why = f"; {self.explain_silence()}" if self.explain_silence else ""
        late = self.wait_for("/bridge/status", 0.0, since=index)
        came = "none came later" if late is None else f"one came {1000.0 * (late.time_s - sent):.0f} ms after the last"
        raise AssertionError(
            f"no /bridge/status reply to {attempts} requests {timeout_s} s apart ({came}); the kernel dropped "
            f"{udp_kernel_drops(self.daemon[1])} datagrams to the daemon's port, {udp_kernel_drops(self.port)} "
            f"to this client's{why}")

    def status_once(self, predicate, timeout_s: float = 3.0) -> dict[str, float]:
        """The first status that satisfies ``predicate``, or the last one at the timeout.

        The daemon answers /bridge/status ahead of the other messages of its batch, so a reply may not show
        the effect of a message sent just before it.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            status = self.status()
            if predicate(status) or time.monotonic() > deadline:
                return status
            time.sleep(0.05)

    def close(self) -> None:
        self._running = False
        self.sock.close()


class DaemonProcess:
    """``bridge serve`` as a separate process with its own OSC ports and config file.

    Parameters
    ----------
    workdir : Path
        Where the config file and the daemon's log go.
    extra_config : str
        TOML appended to the generated config.
    attempts : int
        Starts tried when the chosen OSC port was taken before the daemon could bind it.
    """

    def __init__(self, workdir: Path, extra_config: str = "", attempts: int = 3) -> None:
        self.client_name = "mir-bridge"
        self.config_path = workdir / "bridge.toml"
        self.log_path = workdir / "daemon.log"
        self.osc = OscClient(0)  # its reply port is bound before the daemon's ports are chosen
        self.osc.explain_silence = self._explain_silence
        answered = False
        for _ in range(attempts):
            # A port found free can still be taken before the daemon binds it (by any socket bound to
            # port 0 meanwhile); the daemon then exits at once, and it is started again on other ports.
            self.osc_port = free_udp_port()
            self.osc.daemon = ("127.0.0.1", self.osc_port)
            answered = self._start(extra_config)
            if answered or "Address already in use" not in self.log():
                break
        if not answered:
            raise AssertionError(f"daemon did not answer a ping:\n{self.log()}")

    def _start(self, extra_config: str) -> bool:
        """Start ``bridge serve``; True once it answers a ping, False if it exits or stays silent for 20 s."""
        self.config_path.write_text(
            f"[osc]\nlisten_port = {self.osc_port}\nsend_port = {free_udp_port()}\n" + extra_config
        )
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bridge", "--log-level", "debug", "serve", "--config", str(self.config_path)],
            stdout=self._log, stderr=subprocess.STDOUT, env=dict(os.environ), preexec_fn=die_with_parent,
        )
        deadline = time.monotonic() + 20
        while self.osc.ping(0.2) is None:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self._log.close()
                return False
        return True

    def log(self) -> str:
        return self.log_path.read_text()

    def _explain_silence(self) -> str:
        """Whether it still runs, and the end of its log, with every thread's stack when it runs (it writes them
        there on SIGUSR1)."""
        code = self.process.poll()
        if code is None:
            self.process.send_signal(signal.SIGUSR1)
            time.sleep(0.5)
        state = "is still running" if code is None else f"exited with {code}"
        return f"the daemon {state}; its log ends:\n{self.log()[-6000:]}"

    def stop(self) -> int:
        self.osc.close()
        status = terminate(self.process, 10.0)
        self._log.close()
        return status
