"""Real outside parties for the tests: a JACK client, an OSC client, the daemon as a process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import jack

from bridge.io.jack_server import die_with_parent
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_packet import OscPacket, ParseError


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def osc_bytes(address: str, *args: object) -> bytes:
    builder = OscMessageBuilder(address=address)
    for arg in args:
        builder.add_arg(arg)
    return builder.build().dgram


@dataclass
class Received:
    address: str
    args: list
    time_s: float


class OscClient:
    """Sends to the daemon and collects everything the daemon sends to ``port``."""

    def __init__(self, daemon_port: int, port: int | None = None) -> None:
        self.daemon = ("127.0.0.1", daemon_port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port or 0))
        self.port = self.sock.getsockname()[1]
        self.messages: list[Received] = []
        self._lock = threading.Condition()
        self._running = True
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
        self.sock.sendto(osc_bytes(address, *args), self.daemon)
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

    def status(self) -> dict[str, float]:
        index = self.mark()
        self.send("/bridge/status", self.port)
        reply = self.wait_for("/bridge/status", 3.0, since=index)
        assert reply is not None, "no /bridge/status reply"
        return dict(zip(reply.args[::2], reply.args[1::2]))

    def close(self) -> None:
        self._running = False
        self.sock.close()


class JackPeer:
    """Another JACK client: sends MIDI at exact frames, records MIDI it receives, plays audio.

    Times of received events are ``time.monotonic()`` seconds, derived from the
    cycle start of the JACK period they arrived in plus their frame offset.
    """

    def __init__(self, name: str = "peer") -> None:
        self.client = jack.Client(name, no_start_server=True)
        self.sample_rate_hz = self.client.samplerate
        self.period_frames = self.client.blocksize
        self.midi_out = self.client.midi_outports.register("midi_out")
        self.midi_in = self.client.midi_inports.register("midi_in")
        self.audio_out = self.client.outports.register("audio_out")
        self._lock = threading.Lock()
        self._pending: list[tuple[int, bytes]] = []
        self.received: list[tuple[int, bytes, float]] = []
        self._audio = None
        self._audio_position = 0
        self.client.set_process_callback(self._process)
        self.client.activate()

    def _process(self, frames: int) -> None:
        start = self.client.last_frame_time
        cycle_start_s = time.monotonic() - self.client.frames_since_cycle_start / self.sample_rate_hz
        self.midi_out.clear_buffer()
        with self._lock:
            due = [p for p in self._pending if p[0] < start + frames]
            self._pending = [p for p in self._pending if p[0] >= start + frames]
            for frame, data in due:
                self.midi_out.write_midi_event(max(0, frame - start), data)
            for offset, data in self.midi_in.incoming_midi_events():
                self.received.append((start + offset, bytes(data), cycle_start_s + offset / self.sample_rate_hz))
            buffer = self.audio_out.get_array()
            buffer[:] = 0.0
            if self._audio is not None:
                chunk = self._audio[self._audio_position : self._audio_position + frames]
                buffer[: len(chunk)] = chunk
                self._audio_position += frames
                if self._audio_position >= len(self._audio):
                    self._audio = None

    def now_frame(self) -> int:
        return self.client.frame_time

    def send_at(self, frame: int, data: bytes | list[int]) -> None:
        with self._lock:
            self._pending.append((frame, bytes(data)))
            self._pending.sort(key=lambda p: p[0])

    def play(self, samples) -> None:
        with self._lock:
            self._audio = samples.astype("float32")
            self._audio_position = 0

    def connect_to_daemon(self, client_name: str = "mir-bridge") -> None:
        """Wire this peer's MIDI and audio into the daemon and the daemon's MIDI out back to it."""
        self.client.connect(self.midi_out, self._port(f"{client_name}-in:.*"))
        self.client.connect(self._port(f"{client_name}-out:.*"), self.midi_in)
        self.client.connect(self.audio_out, self._port(f"{client_name}-audio:in.*"))

    def _port(self, pattern: str) -> str:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                ports = self.client.get_ports(pattern)
            except UnicodeDecodeError:  # JACK-Client can read a port name mid-registration; ask again
                ports = []
            if ports:
                return ports[0].name
            time.sleep(0.05)
        names = [p.name for p in self.client.get_ports()]
        raise AssertionError(f"no JACK port matches {pattern}; ports: {names}")

    def close(self) -> None:
        self.client.deactivate()
        self.client.close()


class DaemonProcess:
    """``bridge serve`` as a separate process with its own ports and config file."""

    def __init__(self, tmp_path: Path, extra_config: str = "") -> None:
        self.osc_port = free_udp_port()
        self.client_name = "mir-bridge"
        self.config_path = tmp_path / "bridge.toml"
        self.config_path.write_text(
            f"[osc]\nlisten_port = {self.osc_port}\nsend_port = {free_udp_port()}\n" + extra_config
        )
        self.log_path = tmp_path / "daemon.log"
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bridge", "--log-level", "debug", "serve", "--config", str(self.config_path)],
            stdout=self._log, stderr=subprocess.STDOUT, env=dict(os.environ), preexec_fn=die_with_parent,
        )
        self.osc = OscClient(self.osc_port)
        deadline = time.monotonic() + 20
        while self.osc.ping(0.2) is None:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"daemon did not answer a ping:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> int:
        self.osc.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode
